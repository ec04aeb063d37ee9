import ArgumentParser

/// The `pccc` command-line tool: one executable with a subcommand per job.
@main
struct PCCC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pccc",
        abstract: "PCCC Sync: a local replica per centre that syncs signed, merged records with its neighbours.",
        subcommands: [
            InitCommand.self, RecordCommand.self, HitCommand.self, NoteCommand.self, DigestCommand.self,
            StatusCommand.self, PullCommand.self, DemoCommand.self, CertsCommand.self, ServeCommand.self, TopologyCommand.self, SearchCommand.self,
            RequestCommand.self, UsersCommand.self, AuditCommand.self,
        ]
    )
}

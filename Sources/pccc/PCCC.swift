import ArgumentParser
import Foundation
import Node

/// The `pccc` command-line tool: one executable with a subcommand per job.
@main
struct PCCC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pccc",
        abstract: "PCCC Sync: a local replica per centre that syncs signed, merged records with its neighbours.",
        subcommands: [
            InitCommand.self, RecordCommand.self, HitCommand.self, NoteCommand.self, DigestCommand.self,
            StatusCommand.self, PullCommand.self, DemoCommand.self, CertsCommand.self, ServeCommand.self, TopologyCommand.self, SchemaCommand.self,
            SearchCommand.self,
            RequestCommand.self, HandoverCommand.self, ReportCommand.self, ReviewCommand.self, UsersCommand.self, PurposesCommand.self, AuditCommand.self,
            KeysCommand.self,
            BackupCommand.self,
            RestoreCommand.self,
        ]
    )

    /// Runs the command line. Under an LD_PRELOAD library such as libfaketime (which the
    /// clock-skew test and an admin reproducing a skewed clock use), Swift's runtime on Linux
    /// sees no arguments at all, while /proc/self/cmdline still holds them.
    static func main() async {
        // Read before anything slow, so `serve --stop-with-parent` notices a parent killed while
        // the node starts.
        _ = ParentProcessWatch.parentAtStart
        guard CommandLine.arguments.isEmpty, let cmdline = FileManager.default.contents(atPath: "/proc/self/cmdline") else {
            await main(nil)
            return
        }
        // Each argument ends with a NUL, so the last piece is the empty tail after the final one.
        let arguments = cmdline.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        await main(Array(arguments.dropFirst()))
    }
}

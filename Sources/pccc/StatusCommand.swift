import ArgumentParser
import Replica

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show streams held, quarantine and alarms.")
    @Option(help: "The node folder.") var data: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let replica = try NodeDirectory(data).open()
        let streams = try replica.streamPositions()
        let alarms = try replica.alarms()
        let quarantined = try replica.quarantinedCount()
        if json {
            try printJSON([
                "node": replica.configuration.nodeID,
                "streams": streams.map { ["origin": $0.origin, "group": $0.group, "seq": $0.seq] },
                "quarantined": quarantined,
                "alarms": alarms.map { ["code": $0.code, "subject": $0.subject, "message": $0.message, "count": $0.count] },
            ])
            return
        }
        print("node \(replica.configuration.nodeID)")
        print("streams held:")
        for stream in streams { print("  \(stream.origin)/\(stream.group): seq \(stream.seq)") }
        print("quarantined batches: \(quarantined)")
        print(alarms.isEmpty ? "alarms: none" : "alarms:")
        for alarm in alarms { print("  [\(alarm.code)] \(alarm.message) (×\(alarm.count))") }
    }
}

import ArgumentParser
import Foundation
import Records
import Replica
import SyncCore

struct HandoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handover",
        abstract: "A shift handover: what this centre must act on, what falls due soon, and who holds each; the incoming operator accepts items.",
        discussion: """
            Lists every request this centre must act on (received and not yet answered, refused or closed; or sent and \
            waiting for this centre's clarification), most urgent first, with its holder. --accept or --accept-all makes the \
            listed items yours. Audited.
            """
    )
    @OptionGroup var staff: StaffOptions
    @Option(help: "Mark what falls due within this many hours (1 to 168).") var hours = Replica.handoverHours
    @Option(parsing: .upToNextOption, help: "Take over these requests.") var accept: [String] = []
    @Flag(help: "Take over every request listed that someone else holds or nobody does.") var acceptAll = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...168).contains(hours) else { throw ValidationError("--hours must be from 1 to 168, not \(hours)") }
        if acceptAll && !accept.isEmpty { throw ValidationError("--accept and --accept-all exclude each other") }
    }

    func run() throws {
        let session = try staff.open()
        let me = session.replica.configuration.nodeID
        var (items, now) = try session.replica.handover(withinHours: hours, auditedAs: session.actor)
        let accepted = try acceptAll ? items.filter { $0.holder != session.actor.user }.map { try parseID($0.request.id) } : accept.map(parseID)
        if !accepted.isEmpty {
            try session.replica.acceptHandover(accepted, auditedAs: session.actor)
            (items, now) = try session.replica.handover(withinHours: hours, auditedAs: session.actor)
        }
        if json {
            try printJSON(HandoverJSON(hours: hours, items: items.map { $0.json(me: me, now: now) }))
            return
        }
        if items.isEmpty { print("nothing waits for this centre") }
        for item in items {
            let request = item.request
            let party = request.to == me ? "from \(request.from)" : "to \(request.to)"
            let holder = item.holder.map { "held by \($0)" } ?? "NOT TAKEN"
            let soon = item.dueSoon ? "  DUE WITHIN \(hours)h" : ""
            print(
                "\(request.id)  \(party)  \(request.thread.urgencyClass)  \(request.status)  \(holder)  \(RequestCommand.List.deadline(request, now: now))\(soon)  \(request.question)"
            )
        }
        if !accepted.isEmpty { print("\(session.actor.user) took over \(accepted.count) request\(accepted.count == 1 ? "" : "s")") }
    }
}

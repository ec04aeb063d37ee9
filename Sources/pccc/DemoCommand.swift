import ArgumentParser
import Foundation
import Records
import Replica
import SyncCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a sample region of four centres on this machine and show their replicas converge."
    )

    @Option(help: "The state folder (made anew; keys and replicas live there).") var state = "demo-state"

    func run() throws {
        let region = try DemoRegion(stateFolder: state)
        print("Sample region wb-demo in \(state): \(DemoRegion.nodeIDs.joined(separator: ", "))")
        print("Links (a chain): \(DemoRegion.links.map { "\($0.0) – \($0.1)" }.joined(separator: ", "))")
        print("Groups: region = all four; mk-rs = mk-tabanovce and rs-presevo only\n")

        print("1. Each centre records what its staff see, with every link down.")
        let mk = region.replicas["mk-tabanovce"]!
        let rs = region.replicas["rs-presevo"]!
        let al = region.replicas["al-hani-hotit"]!
        let marko = try mk.create(
            .person, in: "region",
            [
                FieldWrite("family_name", "Đorđević"), FieldWrite("given_name", "Marko"), FieldWrite("alert", "wanted"),
                FieldWrite("reason", "armed robbery, Kumanovo"), FieldWrite("handling_code", "H1"),
            ]
        )
        _ = try rs.create(
            .vehicle, in: "region",
            [FieldWrite("plate", "NI 123-AB"), FieldWrite("make", "Škoda"), FieldWrite("alert", "stolen")]
        )
        let bilateral = try mk.create(
            .document, in: "mk-rs",
            [FieldWrite("doc_type", "passport"), FieldWrite("number", "A1234567"), FieldWrite("status", "stolen")]
        )
        let arben = try al.create(
            .person, in: "region", [FieldWrite("family_name", "Hoxha"), FieldWrite("given_name", "Arben"), FieldWrite("alert", "missing")]
        )
        try region.printDigests(group: "region")

        print("\n2. Links come up; batches flow along the chain and are relayed within groups.")
        print("   applied \(try region.syncUntilQuiet()) batches")
        try region.printDigests(group: "region")
        for id in DemoRegion.nodeIDs {
            let holds = try region.replicas[id]!.lookup(bilateral) != .unknown
            print("   \(id) \(holds ? "holds" : "never received") the mk-rs passport record")
        }

        print("\n3. The mk–rs link fails. Both sides change Marko's record; Albania erases Arben's (found).")
        try mk.update(marko, [FieldWrite("reason", "armed robbery, Kumanovo; seen near Tabanovce")])
        try rs.update(marko, [FieldWrite("reason", "armed robbery; crossed at Preševo"), FieldWrite("alert", "suspect")])
        try al.erase(arben, reason: "person_found")
        try region.printDigests(group: "region")

        print("\n4. The link heals.")
        print("   applied \(try region.syncUntilQuiet()) batches")
        try region.printDigests(group: "region")
        if case .live(let record) = try region.replicas["me-dobrakovo"]!.lookup(marko) {
            print("   me-dobrakovo sees Marko as: alert=\(record.values["alert"] ?? "-"), reason=\"\(record.values["reason"] ?? "-")\"")
            print("   (the later write wins each field, by hybrid logical clock then node id)")
        }
        if case .erased(let tombstone) = try region.replicas["mk-tabanovce"]!.lookup(arben) {
            print("   mk-tabanovce keeps only a tombstone of Arben: erased by \(tombstone.stamp.origin), reason \(tombstone.reason)")
        }
        print("\nEach node folder in \(state)/nodes works with the other commands, for example:")
        print("   swift run pccc record show \(marko) --data \(state)/nodes/me-dobrakovo")
        print("   swift run pccc digest --data \(state)/nodes/rs-presevo --group region")
    }
}

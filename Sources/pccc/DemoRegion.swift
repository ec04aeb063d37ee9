import Foundation
import NodeService
import Records
import Replica
import SyncCore
import Topology

/// The demo's sample region on disk: a CA, a certificate and a node folder per centre, the
/// topology, and seeded records in several scripts and groups. Made once in the state folder
/// and reused by later runs.
struct DemoRegion {
    static let nodeIDs = ["mk-tabanovce", "rs-presevo", "me-dobrakovo", "al-hani-hotit"]
    /// A chain, plus a link that closes the triangle mk–rs–me.
    static let links = [("mk-tabanovce", "rs-presevo"), ("rs-presevo", "me-dobrakovo"), ("me-dobrakovo", "al-hani-hotit"), ("mk-tabanovce", "me-dobrakovo")]
    static let groups: [(String, [String])] = [
        ("region", nodeIDs), ("mk-rs", ["mk-tabanovce", "rs-presevo"]), ("me-al", ["me-dobrakovo", "al-hani-hotit"]),
    ]
    static let admin = "admin"

    /// A password for one demo run: 16 random letters and digits, printed with the addresses.
    static func newPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
    static let marker = ".pccc-demo"

    let root: URL
    let portBase: Int

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    func folder(_ node: String) -> String { path("nodes/\(node)") }
    func logPath(_ node: String) -> String { path("logs/\(node).log") }
    func syncPort(_ node: String) -> Int { portBase + Self.nodeIDs.firstIndex(of: node)! }
    func apiPort(_ node: String) -> Int { portBase + 100 + Self.nodeIDs.firstIndex(of: node)! }
    /// Where a node serves its web UI: plain HTTP on 127.0.0.1, or HTTPS on 127.0.0.2.
    func webAddress(_ node: String, https: Bool) -> String { "\(https ? "127.0.0.2" : "127.0.0.1"):\(apiPort(node))" }
    func webURL(_ node: String, https: Bool) -> String { "\(https ? "https" : "http")://\(webAddress(node, https: https))/" }
    var webCertificatePath: String { path("certs/api.pem") }
    var webKeyPath: String { path("certs/api.key") }

    /// Issues the web UIs' certificate for 127.0.0.2 from the demo CA, once.
    func ensureWebServerCertificate() throws {
        guard !FileManager.default.fileExists(atPath: webCertificatePath) else { return }
        let issued = try RegionCertificates.issueWebServer(
            names: ["127.0.0.2", "localhost"], caCertificatePEM: try String(contentsOfFile: path("certs/ca.pem"), encoding: .utf8),
            caPrivateKeyPEM: try String(contentsOfFile: path("certs/ca.key"), encoding: .utf8))
        try writeFile(webKeyPath, issued.privateKeyPEM, mode: 0o600)
        try writeFile(webCertificatePath, issued.certificatePEM, mode: 0o644)
    }

    /// Opens the region in `stateFolder`, making it when absent (or when `fresh`).
    /// Returns the region and whether it was made now.
    static func prepare(stateFolder: String, portBase: Int, fresh: Bool) throws -> (DemoRegion, made: Bool) {
        let fileManager = FileManager.default
        let root = URL(fileURLWithPath: stateFolder, isDirectory: true).standardizedFileURL
        let region = DemoRegion(root: root, portBase: portBase)
        if fileManager.fileExists(atPath: root.path) {
            guard fileManager.fileExists(atPath: region.path(marker)) else {
                throw CLIError("\(stateFolder) exists and is not a demo state folder; choose another with --state")
            }
            let complete = nodeIDs.allSatisfy { fileManager.fileExists(atPath: region.folder($0) + "/node.id") }
            if !fresh && complete {
                let saved = (try? String(contentsOfFile: region.path("port-base"), encoding: .utf8)).flatMap {
                    Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }
                return (DemoRegion(root: root, portBase: saved ?? portBase), false)
            }
            try fileManager.removeItem(at: root)
        }
        try region.make()
        return (region, true)
    }

    private func make() throws {
        let fileManager = FileManager.default
        for folder in ["nodes", "certs", "logs"] {
            try fileManager.createDirectory(atPath: path(folder), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try Data().write(to: URL(fileURLWithPath: path(Self.marker)))
        try Data("\(portBase)\n".utf8).write(to: URL(fileURLWithPath: path("port-base")))
        let authority = try RegionCertificates.makeAuthority(name: "PCCC demo region CA")
        try writeFile(path("certs/ca.pem"), authority.certificatePEM, mode: 0o644)
        try writeFile(path("certs/ca.key"), authority.privateKeyPEM, mode: 0o600)
        var keys: [String: BatchSigningKey] = [:]
        for id in Self.nodeIDs {
            keys[id] = BatchSigningKey()
            let issued = try RegionCertificates.issue(node: id, caCertificatePEM: authority.certificatePEM, caPrivateKeyPEM: authority.privateKeyPEM)
            try writeFile(path("certs/\(id).pem"), issued.certificatePEM, mode: 0o644)
            try writeFile(path("certs/\(id).key"), issued.privateKeyPEM, mode: 0o600)
            try NodeDirectory.writeSigningKey(keys[id]!, to: path("certs/\(id).signing"))
        }
        try writeFile(path("topology.yaml"), topologyYAML(keys: keys), mode: 0o644)
        var replicas: [String: Replica] = [:]
        for id in Self.nodeIDs {
            let directory = NodeDirectory(folder(id))
            replicas[id] =
                try directory.initialise(
                    node: NodeID(id), topologyPath: path("topology.yaml"), signingKeyFile: path("certs/\(id).signing"), admin: Self.admin,
                    // Whoever runs the demo administers its nodes from the command line too.
                    adminAccount: OSAccount.current().name
                ).replica
            try directory.install(.init(ca: path("certs/ca.pem"), certificate: path("certs/\(id).pem"), key: path("certs/\(id).key")))
        }
        try Self.seed(replicas)
    }

    func topologyYAML(keys: [String: BatchSigningKey]) -> String {
        var yaml = "# The demo region made by pccc demo.\nnetwork: wb-demo\nnodes:\n"
        for id in Self.nodeIDs {
            // The country is the id's prefix; each centre takes requests in its languages too.
            let country = String(id.prefix(2))
            let languages = ["mk": "mk, sq", "rs": "sr", "me": "sr", "al": "sq"][country] ?? ""
            yaml += "  - id: \(id)\n    address: 127.0.0.1:\(syncPort(id))\n    signing_key: \(keys[id]!.publicKey.topologyForm)\n"
            yaml += "    country: \(country.uppercased())\n    languages: [\(languages)]\n"
        }
        yaml += "links:\n" + Self.links.map { "  - [\($0.0), \($0.1)]\n" }.joined()
        yaml += "groups:\n" + Self.groups.map { "  \($0.0): [\($0.1.joined(separator: ", "))]\n" }.joined()
        return yaml
    }

    /// What each centre's staff recorded before the region first synced, in the scripts the
    /// centres write: Serbian and Macedonian Cyrillic, Latin with diacritics, Albanian.
    private static func seed(_ replicas: [String: Replica]) throws {
        let staff = AuditActor(user: admin, purpose: "demo seed")
        let mk = replicas["mk-tabanovce"]!
        let rs = replicas["rs-presevo"]!
        let me = replicas["me-dobrakovo"]!
        let al = replicas["al-hani-hotit"]!
        let trajkovski = try mk.create(
            .person, in: "region",
            [
                FieldWrite("category", "suspect"), FieldWrite("family_name", "Трајковски"), FieldWrite("given_name", "Никола"),
                FieldWrite("birth_date", "1979-11-02"),
                FieldWrite("nationality", "MK"), FieldWrite("alert", "wanted"), FieldWrite("reason", "fraud, Skopje court order"),
                FieldWrite("handling_code", "H1"),
            ],
            auditedAs: staff
        )
        _ = try mk.create(
            .document, in: "mk-rs",
            [FieldWrite("doc_type", "passport"), FieldWrite("number", "A1234567"), FieldWrite("issuing_country", "MK"), FieldWrite("status", "stolen")],
            auditedAs: staff
        )
        _ = try rs.create(
            .person, in: "region",
            [
                FieldWrite("category", "suspect"), FieldWrite("family_name", "Ђорђевић"), FieldWrite("given_name", "Марко"),
                FieldWrite("birth_date", "1984-03-07"),
                FieldWrite("nationality", "RS"), FieldWrite("alert", "suspect"), FieldWrite("reason", "armed robbery, Vranje"),
            ],
            auditedAs: staff
        )
        _ = try rs.create(
            .vehicle, in: "region",
            [FieldWrite("plate", "VR 123-AB"), FieldWrite("make", "Škoda"), FieldWrite("model", "Octavia"), FieldWrite("alert", "stolen")],
            auditedAs: staff
        )
        _ = try me.create(
            .person, in: "me-al",
            [
                FieldWrite("category", "suspect"), FieldWrite("family_name", "Vujović"), FieldWrite("given_name", "Milica"), FieldWrite("alert", "missing"),
                FieldWrite("nationality", "ME"),
            ],
            auditedAs: staff
        )
        _ = try me.create(
            .firearm, in: "region", [FieldWrite("serial", "ZT-99-0815"), FieldWrite("make", "Zastava"), FieldWrite("status", "stolen")], auditedAs: staff)
        _ = try al.create(
            .person, in: "region",
            [
                FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha"), FieldWrite("given_name", "Arbën"), FieldWrite("alert", "wanted"),
                FieldWrite("nationality", "AL"),
            ],
            auditedAs: staff
        )
        let form = RequestForm(
            question: "Has Трајковски Никола crossed at Preševo in the last 30 days?", urgency: "urgent",
            purpose: "A person wanted for smuggling is believed to have crossed into Serbia", offence: "migrant smuggling",
            availabilityReasons: "Preševo records every crossing", subjects: [trajkovski.description], subjectRelation: "the wanted person",
            urgentGround: "loss_of_relevance", urgentReasons: "he may leave the region within days", language: "en",
            requestingAuthority: "Border police Tabanovce, duty officer", caseNumber: "MK-2026-1187", spocCopy: "sent", europolCopy: "not_needed",
            europolReason: "bilateral case without an organised crime link")
        _ = try mk.sendRequest(to: "rs-presevo", form: form, auditedAs: staff)
    }
}

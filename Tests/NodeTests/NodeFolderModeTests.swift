import Foundation
import TestSupport
import Testing

/// A node folder holds personal data and private keys: `init` leaves it its owner's only even
/// in a folder that was open to everyone, and `serve` closes again whatever was opened since.
@Suite(.serialized, .ownThread) struct NodeFolderModeTests {
    static func mode(_ path: String) throws -> Int {
        guard let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue else {
            throw TestFailure("\(path) has no mode")
        }
        return mode & 0o7777
    }

    /// Every folder and file below `folder`, with its mode.
    static func modes(below folder: String) throws -> [String: Int] {
        var modes = [folder: try mode(folder)]
        for name in try FileManager.default.subpathsOfDirectory(atPath: folder) {
            modes[name] = try mode(folder + "/" + name)
        }
        return modes
    }

    static func expectOwnerOnly(_ folder: String, _ context: String) throws {
        let modes = try modes(below: folder)
        for (path, mode) in modes.sorted(by: { $0.key < $1.key }) {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path == folder ? folder : folder + "/" + path, isDirectory: &isFolder)
            #expect(mode == (isFolder.boolValue ? 0o700 : 0o600), "\(context): \(path) has mode \(String(mode, radix: 8))")
        }
    }

    @Test func initInAnOpenFolderAndServeAfterAChmodLeaveEveryNodeFileItsOwnersOnly() throws {
        let region = try LiveRegion(nodes: ["b"], idle: ["a"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        // An existing folder anyone may read, as an admin might have made it.
        let open = region.directory.path("open")
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: open)
        try region.pccc([
            "init", "--data", open, "--node", "a", "--topology", region.topologyPath, "--ca", region.directory.path("ca.pem"),
            "--cert", region.directory.path("a.pem"), "--key", region.directory.path("a.key"), "--signing-key", region.directory.path("a.signing"),
        ])
        let files = try Self.modes(below: open).keys
        for expected in ["replica.sqlite", "topology.yaml", "signing.key", "node.id", "tls", "tls/ca.pem", "tls/node.pem", "tls/node.key"] {
            #expect(files.contains(expected), "init made no \(expected)")
        }
        try Self.expectOwnerOnly(open, "after init in a 0755 folder")

        // Someone opens b's folder and files; serve closes them at start and says so.
        let folder = region.folder("b")
        for (path, mode) in [(folder, 0o755), (folder + "/replica.sqlite", 0o644), (folder + "/topology.yaml", 0o644), (folder + "/tls/node.key", 0o640)] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
        try region.start("b")
        for (path, was) in [(folder, "755"), (folder + "/replica.sqlite", "644"), (folder + "/topology.yaml", "644"), (folder + "/tls/node.key", "640")] {
            let sentence = "\(path) had mode \(was); it is now \(path == folder ? "700" : "600"), its owner's only"
            #expect(region.log("b").contains(sentence), "b's log lacks: \(sentence)")
        }
        // The WAL and shared-memory files SQLite made while b serves take the replica's mode.
        #expect(FileManager.default.fileExists(atPath: folder + "/replica.sqlite-wal"))
        try Self.expectOwnerOnly(folder, "after serve started")
    }
}

import Foundation

/// A temporary folder removed when the value is released.
public final class TemporaryDirectory: Sendable {
    /// The folder.
    public let url: URL

    /// Creates an empty folder.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pccc-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the folder.
    public func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    deinit {
        // PCCC_KEEP_TEST_FOLDERS=1 keeps them, to read a failed run's logs and replicas.
        guard ProcessInfo.processInfo.environment["PCCC_KEEP_TEST_FOLDERS"] != "1" else { return }
        try? FileManager.default.removeItem(at: url)
    }
}

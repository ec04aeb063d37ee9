import CSQLiteSettings
import GRDB

/// SQLite's process-wide settings, made once before the process opens its first connection.
public enum SQLiteLibrary {
    /// SQLite's memory statistics off: with them on, every allocation in every connection
    /// takes one mutex shared by the whole process, and threads working on different replicas
    /// (a node's storage threads and its API's readers; the many nodes of a test run) queue on
    /// it. Nothing here reads the statistics.
    private static let settingsMade: Void = {
        // SQLITE_MISUSE only if a connection came first, which leaves the statistics on and
        // changes nothing else.
        _ = pccc_sqlite3_disable_memory_statistics()
    }()

    /// A GRDB configuration with SQLite's defaults, after the process-wide settings are made;
    /// every connection this project opens starts from one.
    public static func configuration() -> Configuration {
        settingsMade
        return Configuration()
    }
}

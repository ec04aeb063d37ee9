import GRDB
import SyncCore

/// Node ids bind as SQL arguments and read from rows as their text.
extension NodeID: DatabaseValueConvertible, StatementColumnConvertible {}

/// Group ids bind as SQL arguments and read from rows as their text.
extension GroupID: DatabaseValueConvertible, StatementColumnConvertible {}

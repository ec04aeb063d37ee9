import GRDB
import GRDBSQLite
import SyncCore

extension Statement {
    /// Runs this write statement with its parameters bound straight to SQLite by `bind`, in
    /// order, then checks that every parameter was bound.
    ///
    /// `execute(arguments:)` boxes each argument and nests a closure per value. On the few
    /// statements run for every change written or applied, that was the largest single cost in
    /// the profiles. Only for statements that return no rows, run inside the caller's write
    /// transaction: GRDB's observation hooks are skipped, and this replica registers none.
    func executeBinding(_ bind: (inout ParameterBinder) -> Void) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        var binder = ParameterBinder(statement: statement)
        bind(&binder)
        let expected = sqlite3_bind_parameter_count(statement)
        guard binder.failure == SQLITE_OK, binder.next - 1 == expected else {
            let reason = binder.failure == SQLITE_OK ? "bound \(binder.next - 1) of \(expected) parameters" : "a parameter did not bind"
            sqlite3_clear_bindings(statement)
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: reason, sql: sql)
        }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(statement)))
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
        sqlite3_reset(statement)
    }
}

/// Binds a statement's parameters one after another; see ``Statement/executeBinding(_:)``.
struct ParameterBinder {
    fileprivate let statement: OpaquePointer
    fileprivate var next: Int32 = 1
    fileprivate var failure = SQLITE_OK

    fileprivate init(statement: OpaquePointer) {
        self.statement = statement
    }

    /// SQLite copies the bytes, so the Swift string need not outlive the call.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    /// Binds text, or NULL for nil.
    mutating func bind(_ text: String?) {
        guard var text else {
            record(sqlite3_bind_null(statement, next))
            return
        }
        let code = text.withUTF8 { bytes in
            // An empty buffer may have no address, and a null pointer would bind NULL, not "".
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text(statement, next, "", 0, Self.transient)
            }
            let characters = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            return sqlite3_bind_text(statement, next, characters, Int32(bytes.count), Self.transient)
        }
        record(code)
    }

    /// Binds an integer.
    mutating func bind(_ integer: Int64) {
        record(sqlite3_bind_int64(statement, next, integer))
    }

    /// Binds a blob; an empty one is a zero-length blob, not NULL.
    mutating func bind(bytes: [UInt8]) {
        let code = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, !raw.isEmpty else { return sqlite3_bind_zeroblob(statement, next, 0) }
            return sqlite3_bind_blob(statement, next, base, Int32(raw.count), Self.transient)
        }
        record(code)
    }

    /// Binds NULL.
    mutating func bindNull() {
        record(sqlite3_bind_null(statement, next))
    }

    private mutating func record(_ code: Int32) {
        if code != SQLITE_OK, failure == SQLITE_OK { failure = code }
        next += 1
    }
}

extension ParameterBinder {
    /// Binds a node id as its text.
    mutating func bind(_ id: NodeID) { bind(id.rawValue) }

    /// Binds a group id as its text.
    mutating func bind(_ id: GroupID) { bind(id.rawValue) }
}

import CSQLite
import Synchronization

/// Error from SQLite, carrying its result code and message.
struct SQLiteError: Error, Sendable {
    let code: Int32
    let message: String
    var isConstraint: Bool { code & 0xff == SQLITE_CONSTRAINT }
}

/// A value bound to or read from a statement.
enum SQLValue {
    case int(Int64)
    case text(String)
    case blob([UInt8])
    case null
}

/// One result row, valid only inside the row callback.
struct SQLRow {
    fileprivate let statement: OpaquePointer

    func int(_ i: Int32) -> Int64 { sqlite3_column_int64(statement, i) }
    func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(statement, i) else { return "" }
        let n = Int(sqlite3_column_bytes(statement, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    func blobString(_ i: Int32) -> String {
        let n = Int(sqlite3_column_bytes(statement, i))
        guard n > 0, let p = sqlite3_column_blob(statement, i) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }
    func blobBytes(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(statement, i))
        guard n > 0, let p = sqlite3_column_blob(statement, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection with a cache of prepared statements. Used by one thread at a time (see `SQLitePool`).
final class SQLiteConnection {
    private let db: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws(SQLiteError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            sqlite3_close(handle)
            throw SQLiteError(code: rc, message: message)
        }
        db = handle
        sqlite3_busy_timeout(db, 10_000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        for s in statements.values { sqlite3_finalize(s) }
        sqlite3_close(db)
    }

    private func error(_ rc: Int32) -> SQLiteError { SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(db))) }

    /// Runs one or more statements without parameters.
    func exec(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let s = statements[sql] { return s }
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
        guard rc == SQLITE_OK, let s else { throw error(rc) }
        statements[sql] = s
        return s
    }

    /// Runs a statement, calling `row` for each result row until it returns false.
    func query(_ sql: String, _ args: [SQLValue] = [], row: (SQLRow) throws(SQLiteError) -> Bool = { _ in true })
        throws(SQLiteError)
    {
        let s = try prepared(sql)
        defer {
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
        }
        for (i, arg) in args.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch arg {
            case .int(let v): rc = sqlite3_bind_int64(s, index, v)
            case .text(let v): rc = sqlite3_bind_text(s, index, v, -1, transient)
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(s, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), transient) }
            case .null: rc = sqlite3_bind_null(s, index)
            }
            guard rc == SQLITE_OK else { throw error(rc) }
        }
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw error(rc) }
            if try !row(SQLRow(statement: s)) { return }
        }
    }

    /// Number of rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(db)) }
}

/// A pool of connections: each request thread checks one out, so threads never share a connection.
final class SQLitePool: Sendable {
    private let path: String
    private let idle: Mutex<[SQLiteConnectionBox]>

    private final class SQLiteConnectionBox: @unchecked Sendable {  // owned by one thread at a time via the pool
        let connection: SQLiteConnection
        init(_ c: SQLiteConnection) { connection = c }
    }

    init(path: String, setup: (SQLiteConnection) throws(SQLiteError) -> Void) throws(SQLiteError) {
        self.path = path
        let first = try SQLiteConnection(path: path)
        try first.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
        try setup(first)
        idle = Mutex([SQLiteConnectionBox(first)])
    }

    /// Runs `body` with a connection of its own.
    func with<T>(_ body: (SQLiteConnection) throws(OSSError) -> T) throws(OSSError) -> T {
        let box: SQLiteConnectionBox
        if let b = idle.withLock({ $0.popLast() }) {
            box = b
        } else {
            do {
                let c = try SQLiteConnection(path: path)
                try c.exec("PRAGMA synchronous=FULL;")
                box = SQLiteConnectionBox(c)
            } catch {
                throw OSSError.internalError("database: \(error.message)")
            }
        }
        defer { idle.withLock { $0.append(box) } }
        return try body(box.connection)
    }
}

extension SQLiteConnection {
    /// `query` with SQLite errors reported as OSS `InternalError`.
    func run(_ sql: String, _ args: [SQLValue] = [], row: (SQLRow) -> Bool = { _ in true }) throws(OSSError) {
        do { try query(sql, args) { r throws(SQLiteError) in row(r) } } catch {
            throw OSSError.internalError("database: \(error.message)")
        }
    }
}

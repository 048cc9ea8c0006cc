import CSQLite
import Foundation
import Synchronization

/// A value bound to a statement parameter or read from a result column.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// A schema step: the SQL that takes the database from `version - 1` to `version` (`PRAGMA user_version`).
public struct SQLiteMigration: Sendable {
    /// The schema version this step produces (1, 2, ...).
    public let version: Int32
    /// One or more SQL statements, run inside one transaction.
    public let sql: String

    /// Creates a migration step.
    public init(version: Int32, sql: String) {
        self.version = version
        self.sql = sql
    }
}

/// SQLite's "copy the bound value now" destructor sentinel (`SQLITE_TRANSIENT`, a macro Swift cannot import).
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One row of a result, valid only inside the row closure of ``SQLiteConnection/query(_:_:_:)``.
public struct SQLiteRow {
    fileprivate let statement: OpaquePointer

    fileprivate init(statement: OpaquePointer) { self.statement = statement }

    /// Whether column `index` is NULL.
    public func isNull(_ index: Int32) -> Bool { sqlite3_column_type(statement, index) == SQLITE_NULL }

    /// Column `index` as an integer (0 when NULL).
    public func integer(_ index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }

    /// Column `index` as UTF-8 text ("" when NULL).
    public func text(_ index: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, index) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Column `index` as text, or nil when NULL.
    public func optionalText(_ index: Int32) -> String? { isNull(index) ? nil : text(index) }

    /// Column `index` as bytes (empty when NULL).
    public func blob(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, index))
        guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// One SQLite connection with a cache of prepared statements.
///
/// A connection is used by one thread at a time: ``SQLiteDatabase`` hands it out exclusively, which is why
/// the class can be marked `@unchecked Sendable` (it moves between threads, it is never shared).
public final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private var inTransaction = false

    /// Opens (creating if needed) the database file at `path` and applies the per-connection settings:
    /// a busy timeout, foreign keys, and full synchronous commits.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(StoreError) {
        var pointer: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &pointer, flags, nil)
        guard status == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let pointer { sqlite3_close_v2(pointer) }
            throw .storage("cannot open \(path): \(message)")
        }
        handle = pointer
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        try execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements without parameters (schema, pragmas). Result rows are ignored.
    public func execute(_ sql: String) throws(StoreError) {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        if status != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_free(error)
            throw .storage(message)
        }
    }

    /// Runs one statement with parameters and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws(StoreError) -> Int {
        let statement = try prepared(sql, arguments)
        defer { release(statement) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_DONE || status == SQLITE_ROW else { throw failure(status) }
        return Int(sqlite3_changes(handle))
    }

    /// Runs one query and maps every result row.
    public func query<T>(
        _ sql: String, _ arguments: [SQLiteValue] = [], _ map: (SQLiteRow) throws(StoreError) -> T
    ) throws(StoreError) -> [T] {
        let statement = try prepared(sql, arguments)
        defer { release(statement) }
        var results: [T] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw failure(status) }
            results.append(try map(SQLiteRow(statement: statement)))
        }
        return results
    }

    /// The first row of a query, mapped, or nil when there is none.
    public func first<T>(
        _ sql: String, _ arguments: [SQLiteValue] = [], _ map: (SQLiteRow) throws(StoreError) -> T
    ) throws(StoreError) -> T? {
        let statement = try prepared(sql, arguments)
        defer { release(statement) }
        let status = sqlite3_step(statement)
        if status == SQLITE_DONE { return nil }
        guard status == SQLITE_ROW else { throw failure(status) }
        return try map(SQLiteRow(statement: statement))
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`, so the write lock is taken up front and two
    /// writers never deadlock upgrading read locks). Commits when `body` returns, rolls back when it throws.
    public func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        precondition(!inTransaction, "nested SQLite transaction")
        try execute("BEGIN IMMEDIATE")
        inTransaction = true
        defer { inTransaction = false }
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The schema version (`PRAGMA user_version`).
    public func userVersion() throws(StoreError) -> Int32 {
        Int32(try first("PRAGMA user_version") { row in row.integer(0) } ?? 0)
    }

    private func prepared(_ sql: String, _ arguments: [SQLiteValue]) throws(StoreError) -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var pointer: OpaquePointer?
            let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
            guard status == SQLITE_OK, let pointer else { throw failure(status) }
            statements[sql] = pointer
            statement = pointer
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch argument {
            case .null: status = sqlite3_bind_null(statement, index)
            case .integer(let value): status = sqlite3_bind_int64(statement, index, value)
            case .text(let value):
                let bytes = Array(value.utf8)
                status = bytes.withUnsafeBufferPointer { buffer in
                    sqlite3_bind_text(
                        statement, index, UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                            .assumingMemoryBound(to: CChar.self), Int32(buffer.count), transientDestructor)
                }
            case .blob(let value):
                status = value.withUnsafeBytes { buffer in
                    sqlite3_bind_blob(
                        statement, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(buffer.count),
                        transientDestructor)
                }
            }
            guard status == SQLITE_OK else {
                release(statement)
                throw failure(status)
            }
        }
        return statement
    }

    private func release(_ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    private func failure(_ status: Int32) -> StoreError {
        .storage("sqlite error \(status): \(String(cString: sqlite3_errmsg(handle)))")
    }
}

/// A SQLite database file in WAL mode with a pool of connections, so concurrent request threads each get a
/// connection of their own (readers never block each other or the writer).
public final class SQLiteDatabase: Sendable {
    /// The database file.
    public let path: String
    private let idle = Mutex<[SQLiteConnection]>([])
    private let closed = Atomic<Bool>(false)
    private let maximumIdleConnections: Int

    /// Opens the database at `path`, switches it to WAL, and applies every migration newer than its
    /// `user_version`, each in its own transaction.
    public init(path: String, migrations: [SQLiteMigration], maximumIdleConnections: Int = 16) throws(StoreError) {
        self.path = path
        self.maximumIdleConnections = maximumIdleConnections
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA journal_mode = WAL")
        let current = try connection.userVersion()
        let known = migrations.map(\.version).max() ?? 0
        guard current <= known else {
            throw .storage("\(path) has schema version \(current), newer than this program knows (\(known))")
        }
        for migration in migrations.sorted(by: { $0.version < $1.version }) where migration.version > current {
            try connection.transaction { () throws(StoreError) in
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
        idle.withLock { $0.append(connection) }
    }

    /// Runs `body` with a connection of its own, taken from the pool (or newly opened) and returned after.
    public func withConnection<T>(_ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        guard !closed.load(ordering: .acquiring) else { throw .storage("database \(path) is closed") }
        let connection: SQLiteConnection
        if let pooled = idle.withLock({ $0.popLast() }) {
            connection = pooled
        } else {
            connection = try SQLiteConnection(path: path)
        }
        defer {
            idle.withLock { connections in
                if connections.count < maximumIdleConnections && !closed.load(ordering: .acquiring) {
                    connections.append(connection)
                }
            }
        }
        return try body(connection)
    }

    /// Closes the pooled connections; later calls fail. Connections in use close when their call returns.
    public func close() {
        closed.store(true, ordering: .releasing)
        idle.withLock { $0.removeAll() }
    }
}

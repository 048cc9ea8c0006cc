import Foundation
import Synchronization

/// ``IdentityStore`` on a SQLite file (WAL, pooled connections, one write transaction per method).
///
/// Names of users, roles and policies are unique ignoring ASCII case, as in RAM: lookups with any casing
/// find the entity, and records always carry the name as it was created.
public final class SQLiteIdentityStore: IdentityStore {
    private let database: SQLiteDatabase
    private let limits: IdentityLimits
    private let currentVersion: Atomic<UInt64>

    /// The schema, one step per `user_version`.
    static let migrations: [SQLiteMigration] = [
        SQLiteMigration(
            version: 1,
            sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO meta (key, value) VALUES ('version', 0);
                CREATE TABLE account (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    account_id TEXT NOT NULL, create_date INTEGER NOT NULL);
                CREATE TABLE users (
                    name TEXT PRIMARY KEY COLLATE NOCASE, id TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
                    mobile_phone TEXT NOT NULL, email TEXT NOT NULL, comments TEXT NOT NULL,
                    create_date INTEGER NOT NULL, update_date INTEGER NOT NULL);
                CREATE TABLE access_keys (
                    id TEXT PRIMARY KEY, user_name TEXT COLLATE NOCASE REFERENCES users(name) ON UPDATE CASCADE,
                    sealed_secret BLOB NOT NULL, status TEXT NOT NULL, create_date INTEGER NOT NULL);
                CREATE INDEX access_keys_by_user ON access_keys(user_name);
                CREATE TABLE roles (
                    name TEXT PRIMARY KEY COLLATE NOCASE, id TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
                    trust_document TEXT NOT NULL, max_session_duration INTEGER NOT NULL,
                    create_date INTEGER NOT NULL, update_date INTEGER NOT NULL);
                CREATE TABLE policies (
                    name TEXT PRIMARY KEY COLLATE NOCASE, description TEXT NOT NULL, default_version INTEGER NOT NULL,
                    next_version INTEGER NOT NULL, create_date INTEGER NOT NULL, update_date INTEGER NOT NULL);
                CREATE TABLE policy_versions (
                    policy_name TEXT NOT NULL COLLATE NOCASE REFERENCES policies(name) ON DELETE CASCADE,
                    number INTEGER NOT NULL, document TEXT NOT NULL, create_date INTEGER NOT NULL,
                    PRIMARY KEY (policy_name, number));
                CREATE TABLE attachments (
                    principal_type TEXT NOT NULL, principal_name TEXT NOT NULL COLLATE NOCASE,
                    policy_type TEXT NOT NULL, policy_name TEXT NOT NULL COLLATE NOCASE, attach_date INTEGER NOT NULL,
                    PRIMARY KEY (principal_type, principal_name, policy_type, policy_name));
                CREATE INDEX attachments_by_policy ON attachments(policy_type, policy_name);
                """)
    ]

    /// Opens (creating and migrating if needed) the store in the SQLite file at `path`.
    public init(path: String, limits: IdentityLimits = IdentityLimits()) throws(StoreError) {
        database = try SQLiteDatabase(path: path, migrations: Self.migrations)
        self.limits = limits
        let stored = try database.withConnection { connection throws(StoreError) in
            try connection.first("SELECT value FROM meta WHERE key = 'version'") { row in row.integer(0) } ?? 0
        }
        currentVersion = Atomic(UInt64(stored))
    }

    /// Closes the database; later calls fail with `StorageFailure`.
    public func close() { database.close() }

    public var version: UInt64 { currentVersion.load(ordering: .acquiring) }

    // MARK: Transactions

    private func read<T>(_ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        try database.withConnection(body)
    }

    /// Runs `body` in a write transaction that also bumps the stored version.
    private func write<T>(_ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        let (result, newVersion) = try database.withConnection { connection throws(StoreError) in
            try connection.transaction { () throws(StoreError) in
                let result = try body(connection)
                let version = try connection.first(
                    "UPDATE meta SET value = value + 1 WHERE key = 'version' RETURNING value"
                ) { row in row.integer(0) }
                return (result, UInt64(version ?? 0))
            }
        }
        var seen = currentVersion.load(ordering: .relaxed)
        while seen < newVersion {
            let (exchanged, original) = currentVersion.compareExchange(
                expected: seen, desired: newVersion, ordering: .acquiringAndReleasing)
            if exchanged { break }
            seen = original
        }
        return result
    }

    // MARK: Account

    public func account() throws(StoreError) -> AccountRecord? {
        try read { connection throws(StoreError) in
            try connection.first("SELECT account_id, create_date FROM account") { row in
                AccountRecord(accountId: row.text(0), createDate: date(row.integer(1)))
            }
        }
    }

    public func createAccount(_ account: AccountRecord, rootKey: AccessKeyRecord) throws(StoreError) {
        try write { connection throws(StoreError) in
            if try connection.first("SELECT 1 FROM account", [], { _ in true }) != nil {
                throw StoreError(code: "EntityAlreadyExists.Account", message: "The account does already exist.")
            }
            try connection.run(
                "INSERT INTO account (singleton, account_id, create_date) VALUES (1, ?, ?)",
                [.text(account.accountId), seconds(account.createDate)])
            try insertKey(rootKey, connection)
        }
    }

    // MARK: Users

    private static let userColumns =
        "id, name, display_name, mobile_phone, email, comments, create_date, update_date"

    private static func user(_ row: SQLiteRow) -> UserRecord {
        UserRecord(
            userId: row.text(0), userName: row.text(1), displayName: row.text(2), mobilePhone: row.text(3),
            email: row.text(4), comments: row.text(5), createDate: date(row.integer(6)),
            updateDate: date(row.integer(7)))
    }

    public func createUser(_ user: UserRecord) throws(StoreError) {
        try write { connection throws(StoreError) in
            if try userExists(user.userName, connection) {
                throw StoreError(code: "EntityAlreadyExists.User", message: "The user does already exist.")
            }
            try connection.run(
                "INSERT INTO users (\(Self.userColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", Self.userValues(user))
        }
    }

    private static func userValues(_ user: UserRecord) -> [SQLiteValue] {
        [
            .text(user.userId), .text(user.userName), .text(user.displayName), .text(user.mobilePhone),
            .text(user.email), .text(user.comments), seconds(user.createDate), seconds(user.updateDate),
        ]
    }

    public func user(named name: String) throws(StoreError) -> UserRecord? {
        try read { connection throws(StoreError) in
            try connection.first("SELECT \(Self.userColumns) FROM users WHERE name = ?", [.text(name)], Self.user)
        }
    }

    public func listUsers(after marker: String?, limit: Int) throws(StoreError) -> [UserRecord] {
        try read { connection throws(StoreError) in
            try connection.query(
                "SELECT \(Self.userColumns) FROM users WHERE name > ? ORDER BY name LIMIT ?",
                [.text(marker ?? ""), .integer(Int64(limit))], Self.user)
        }
    }

    public func updateUser(named name: String, to user: UserRecord) throws(StoreError) {
        try write { connection throws(StoreError) in
            guard try userExists(name, connection) else { throw notExist("User", "user") }
            if user.userName != name {
                if user.userName.lowercased() != name.lowercased(), try userExists(user.userName, connection) {
                    throw StoreError(code: "EntityAlreadyExists.User", message: "The user does already exist.")
                }
                try connection.run(
                    "UPDATE attachments SET principal_name = ? WHERE principal_type = 'User' AND principal_name = ?",
                    [.text(user.userName), .text(name)])
            }
            try connection.run(
                """
                UPDATE users SET id = ?, name = ?, display_name = ?, mobile_phone = ?, email = ?, comments = ?,
                create_date = ?, update_date = ? WHERE name = ?
                """, Self.userValues(user) + [.text(name)])
        }
    }

    public func deleteUser(named name: String) throws(StoreError) {
        try write { connection throws(StoreError) in
            guard try userExists(name, connection) else { throw notExist("User", "user") }
            if try connection.first("SELECT 1 FROM access_keys WHERE user_name = ?", [.text(name)], { _ in true })
                != nil
            {
                throw StoreError(
                    code: "DeleteConflict.User.AccessKey",
                    message: "The user CAN NOT has any access key while deleting the user.")
            }
            if try connection.first(
                "SELECT 1 FROM attachments WHERE principal_type = 'User' AND principal_name = ?", [.text(name)],
                { _ in true }) != nil
            {
                throw StoreError(
                    code: "DeleteConflict.User.Policy",
                    message: "The user CAN NOT has any attached policy while deleting the user.")
            }
            try connection.run("DELETE FROM users WHERE name = ?", [.text(name)])
        }
    }

    private func userExists(_ name: String, _ connection: SQLiteConnection) throws(StoreError) -> Bool {
        try connection.first("SELECT 1 FROM users WHERE name = ?", [.text(name)]) { _ in true } != nil
    }

    // MARK: Access keys

    private static let keyColumns = "id, user_name, sealed_secret, status, create_date"

    private static func key(_ row: SQLiteRow) -> AccessKeyRecord {
        AccessKeyRecord(
            accessKeyId: row.text(0), userName: row.optionalText(1), sealedSecret: row.blob(2),
            status: AccessKeyStatus(rawValue: row.text(3)) ?? .inactive, createDate: date(row.integer(4)))
    }

    private func insertKey(_ key: AccessKeyRecord, _ connection: SQLiteConnection) throws(StoreError) {
        try connection.run(
            "INSERT INTO access_keys (\(Self.keyColumns)) VALUES (?, ?, ?, ?, ?)",
            [
                .text(key.accessKeyId), key.userName.map { .text($0) } ?? .null, .blob(key.sealedSecret),
                .text(key.status.rawValue), seconds(key.createDate),
            ])
    }

    public func createAccessKey(_ key: AccessKeyRecord) throws(StoreError) {
        try write { connection throws(StoreError) in
            if let userName = key.userName {
                guard try userExists(userName, connection) else { throw notExist("User", "user") }
                let count =
                    try connection.first(
                        "SELECT COUNT(*) FROM access_keys WHERE user_name = ?", [.text(userName)]
                    ) { row in row.integer(0) } ?? 0
                if count >= Int64(limits.accessKeysPerUser) {
                    throw StoreError(
                        code: "LimitExceeded.User.AccessKey",
                        message: "The count of access key for the user has exceeded the limit.")
                }
            }
            try insertKey(key, connection)
        }
    }

    public func accessKey(id: String) throws(StoreError) -> AccessKeyRecord? {
        try read { connection throws(StoreError) in
            try connection.first("SELECT \(Self.keyColumns) FROM access_keys WHERE id = ?", [.text(id)], Self.key)
        }
    }

    public func accessKeys(userName: String?) throws(StoreError) -> [AccessKeyRecord] {
        try read { connection throws(StoreError) in
            if let userName {
                return try connection.query(
                    "SELECT \(Self.keyColumns) FROM access_keys WHERE user_name = ? ORDER BY create_date, id",
                    [.text(userName)], Self.key)
            }
            return try connection.query(
                "SELECT \(Self.keyColumns) FROM access_keys WHERE user_name IS NULL ORDER BY create_date, id", [],
                Self.key)
        }
    }

    public func setAccessKeyStatus(id: String, userName: String?, status: AccessKeyStatus) throws(StoreError) {
        try write { connection throws(StoreError) in
            let changed = try connection.run(
                "UPDATE access_keys SET status = ? WHERE id = ? AND user_name IS ?",
                [.text(status.rawValue), .text(id), userName.map { .text($0) } ?? .null])
            if changed == 0 { throw notExist("User.AccessKey", "access key") }
        }
    }

    public func deleteAccessKey(id: String, userName: String?) throws(StoreError) {
        try write { connection throws(StoreError) in
            let changed = try connection.run(
                "DELETE FROM access_keys WHERE id = ? AND user_name IS ?",
                [.text(id), userName.map { .text($0) } ?? .null])
            if changed == 0 { throw notExist("User.AccessKey", "access key") }
        }
    }

    // MARK: Roles

    private static let roleColumns =
        "id, name, description, trust_document, max_session_duration, create_date, update_date"

    private static func role(_ row: SQLiteRow) -> RoleRecord {
        RoleRecord(
            roleId: row.text(0), roleName: row.text(1), description: row.text(2),
            assumeRolePolicyDocument: row.text(3), maxSessionDuration: Int(row.integer(4)),
            createDate: date(row.integer(5)), updateDate: date(row.integer(6)))
    }

    private static func roleValues(_ role: RoleRecord) -> [SQLiteValue] {
        [
            .text(role.roleId), .text(role.roleName), .text(role.description), .text(role.assumeRolePolicyDocument),
            .integer(Int64(role.maxSessionDuration)), seconds(role.createDate), seconds(role.updateDate),
        ]
    }

    private func roleExists(_ name: String, _ connection: SQLiteConnection) throws(StoreError) -> Bool {
        try connection.first("SELECT 1 FROM roles WHERE name = ?", [.text(name)]) { _ in true } != nil
    }

    public func createRole(_ role: RoleRecord) throws(StoreError) {
        try write { connection throws(StoreError) in
            if try roleExists(role.roleName, connection) {
                throw StoreError(code: "EntityAlreadyExists.Role", message: "The role does already EXIST.")
            }
            try connection.run(
                "INSERT INTO roles (\(Self.roleColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)", Self.roleValues(role))
        }
    }

    public func role(named name: String) throws(StoreError) -> RoleRecord? {
        try read { connection throws(StoreError) in
            try connection.first("SELECT \(Self.roleColumns) FROM roles WHERE name = ?", [.text(name)], Self.role)
        }
    }

    public func listRoles(after marker: String?, limit: Int) throws(StoreError) -> [RoleRecord] {
        try read { connection throws(StoreError) in
            try connection.query(
                "SELECT \(Self.roleColumns) FROM roles WHERE name > ? ORDER BY name LIMIT ?",
                [.text(marker ?? ""), .integer(Int64(limit))], Self.role)
        }
    }

    public func updateRole(_ role: RoleRecord) throws(StoreError) {
        try write { connection throws(StoreError) in
            let changed = try connection.run(
                """
                UPDATE roles SET id = ?, name = ?, description = ?, trust_document = ?, max_session_duration = ?,
                create_date = ?, update_date = ? WHERE name = ?
                """, Self.roleValues(role) + [.text(role.roleName)])
            if changed == 0 { throw notExist("Role", "role") }
        }
    }

    public func deleteRole(named name: String) throws(StoreError) {
        try write { connection throws(StoreError) in
            guard try roleExists(name, connection) else { throw notExist("Role", "role") }
            if try connection.first(
                "SELECT 1 FROM attachments WHERE principal_type = 'Role' AND principal_name = ?", [.text(name)],
                { _ in true }) != nil
            {
                throw StoreError(
                    code: "DeleteConflict.Role.Policy",
                    message: "The role CAN NOT has any attached policy while deleting the role.")
            }
            try connection.run("DELETE FROM roles WHERE name = ?", [.text(name)])
        }
    }

    // MARK: Policies

    private static let policyColumns = "name, description, default_version, create_date, update_date"

    private static func policy(_ row: SQLiteRow) -> PolicyRecord {
        PolicyRecord(
            policyName: row.text(0), description: row.text(1), defaultVersion: "v\(row.integer(2))",
            createDate: date(row.integer(3)), updateDate: date(row.integer(4)))
    }

    private func policyRow(_ name: String, _ connection: SQLiteConnection) throws(StoreError) -> (
        defaultVersion: Int64, nextVersion: Int64
    )? {
        try connection.first("SELECT default_version, next_version FROM policies WHERE name = ?", [.text(name)]) {
            row in (row.integer(0), row.integer(1))
        }
    }

    public func createPolicy(_ policy: PolicyRecord, document: String) throws(StoreError) {
        try write { connection throws(StoreError) in
            if try policyRow(policy.policyName, connection) != nil {
                throw StoreError(code: "EntityAlreadyExists.Policy", message: "The policy does already exist.")
            }
            let count = try connection.first("SELECT COUNT(*) FROM policies") { row in row.integer(0) } ?? 0
            if count >= Int64(limits.customPolicies) {
                throw StoreError(
                    code: "LimitExceeded.Policy", message: "The count of custom policies has exceeded the limit.")
            }
            try connection.run(
                """
                INSERT INTO policies (name, description, default_version, next_version, create_date, update_date)
                VALUES (?, ?, 1, 2, ?, ?)
                """,
                [.text(policy.policyName), .text(policy.description), seconds(policy.createDate),
                 seconds(policy.updateDate)])
            try connection.run(
                "INSERT INTO policy_versions (policy_name, number, document, create_date) VALUES (?, 1, ?, ?)",
                [.text(policy.policyName), .text(document), seconds(policy.createDate)])
        }
    }

    public func policy(named name: String) throws(StoreError) -> PolicyRecord? {
        try read { connection throws(StoreError) in
            try connection.first(
                "SELECT \(Self.policyColumns) FROM policies WHERE name = ?", [.text(name)], Self.policy)
        }
    }

    public func listPolicies(after marker: String?, limit: Int) throws(StoreError) -> [PolicyRecord] {
        try read { connection throws(StoreError) in
            try connection.query(
                "SELECT \(Self.policyColumns) FROM policies WHERE name > ? ORDER BY name LIMIT ?",
                [.text(marker ?? ""), .integer(Int64(limit))], Self.policy)
        }
    }

    public func createPolicyVersion(
        policyName: String, document: String, setAsDefault: Bool, rotate: Bool, date: Date
    ) throws(StoreError) -> PolicyVersionRecord {
        try write { connection throws(StoreError) in
            guard let row = try policyRow(policyName, connection) else { throw notExist("Policy", "policy") }
            let count =
                try connection.first(
                    "SELECT COUNT(*) FROM policy_versions WHERE policy_name = ?", [.text(policyName)]
                ) { row in row.integer(0) } ?? 0
            if count >= Int64(limits.versionsPerPolicy) {
                guard rotate else {
                    throw StoreError(
                        code: "LimitExceeded.Policy.Version",
                        message: "The count of versions for the policy has exceeded the limit.")
                }
                try connection.run(
                    """
                    DELETE FROM policy_versions WHERE policy_name = ? AND number = (
                        SELECT MIN(number) FROM policy_versions WHERE policy_name = ? AND number != ?)
                    """, [.text(policyName), .text(policyName), .integer(row.defaultVersion)])
            }
            let number = row.nextVersion
            try connection.run(
                "INSERT INTO policy_versions (policy_name, number, document, create_date) VALUES (?, ?, ?, ?)",
                [.text(policyName), .integer(number), .text(document), seconds(date)])
            try connection.run(
                """
                UPDATE policies SET next_version = next_version + 1, update_date = ?,
                default_version = CASE WHEN ? THEN ? ELSE default_version END WHERE name = ?
                """, [seconds(date), .integer(setAsDefault ? 1 : 0), .integer(number), .text(policyName)])
            return PolicyVersionRecord(
                policyName: policyName, versionId: "v\(number)", document: document, isDefaultVersion: setAsDefault,
                createDate: Date(timeIntervalSince1970: TimeInterval(Int64(date.timeIntervalSince1970))))
        }
    }

    public func policyVersion(policyName: String, versionId: String) throws(StoreError) -> PolicyVersionRecord? {
        guard let number = Self.versionNumber(versionId) else { return nil }
        return try read { connection throws(StoreError) in
            try connection.first(
                """
                SELECT v.number, v.document, v.create_date, p.default_version FROM policy_versions v
                JOIN policies p ON p.name = v.policy_name WHERE v.policy_name = ? AND v.number = ?
                """, [.text(policyName), .integer(number)]
            ) { row in
                PolicyVersionRecord(
                    policyName: policyName, versionId: "v\(row.integer(0))", document: row.text(1),
                    isDefaultVersion: row.integer(0) == row.integer(3), createDate: date(row.integer(2)))
            }
        }
    }

    public func policyVersions(policyName: String) throws(StoreError) -> [PolicyVersionRecord] {
        try read { connection throws(StoreError) in
            try connection.query(
                """
                SELECT v.number, v.document, v.create_date, p.default_version FROM policy_versions v
                JOIN policies p ON p.name = v.policy_name WHERE v.policy_name = ? ORDER BY v.number
                """, [.text(policyName)]
            ) { row in
                PolicyVersionRecord(
                    policyName: policyName, versionId: "v\(row.integer(0))", document: row.text(1),
                    isDefaultVersion: row.integer(0) == row.integer(3), createDate: date(row.integer(2)))
            }
        }
    }

    public func setDefaultPolicyVersion(policyName: String, versionId: String, date: Date) throws(StoreError) {
        try write { connection throws(StoreError) in
            guard try policyRow(policyName, connection) != nil else { throw notExist("Policy", "policy") }
            guard let number = Self.versionNumber(versionId),
                try connection.first(
                    "SELECT 1 FROM policy_versions WHERE policy_name = ? AND number = ?",
                    [.text(policyName), .integer(number)], { _ in true }) != nil
            else { throw notExist("Policy.Version", "policy version") }
            try connection.run(
                "UPDATE policies SET default_version = ?, update_date = ? WHERE name = ?",
                [.integer(number), seconds(date), .text(policyName)])
        }
    }

    public func deletePolicyVersion(policyName: String, versionId: String) throws(StoreError) {
        try write { connection throws(StoreError) in
            guard let row = try policyRow(policyName, connection) else { throw notExist("Policy", "policy") }
            guard let number = Self.versionNumber(versionId) else {
                throw notExist("Policy.Version", "policy version")
            }
            if number == row.defaultVersion {
                throw StoreError(
                    code: "DeleteConflict.PolicyVersion.Default",
                    message: "The default version of the policy cannot be deleted.")
            }
            let changed = try connection.run(
                "DELETE FROM policy_versions WHERE policy_name = ? AND number = ?",
                [.text(policyName), .integer(number)])
            if changed == 0 { throw notExist("Policy.Version", "policy version") }
        }
    }

    public func deletePolicy(named name: String, cascade: Bool) throws(StoreError) {
        try write { connection throws(StoreError) in
            guard try policyRow(name, connection) != nil else { throw notExist("Policy", "policy") }
            if !cascade {
                let principals = try connection.query(
                    "SELECT DISTINCT principal_type FROM attachments WHERE policy_type = 'Custom' AND policy_name = ?",
                    [.text(name)]
                ) { row in row.text(0) }
                for kind in ["User", "Role"] where principals.contains(kind) {
                    throw StoreError(
                        code: "DeleteConflict.Policy.\(kind)",
                        message: "The policy CAN NOT be attached to any \(kind.lowercased()) while deleting the policy.")
                }
                let versions =
                    try connection.first(
                        "SELECT COUNT(*) FROM policy_versions WHERE policy_name = ?", [.text(name)]
                    ) { row in row.integer(0) } ?? 0
                if versions > 1 {
                    throw StoreError(
                        code: "DeleteConflict.Policy.Version",
                        message: "The policy CAN NOT have any non-default version while deleting the policy.")
                }
            }
            try connection.run(
                "DELETE FROM attachments WHERE policy_type = 'Custom' AND policy_name = ?", [.text(name)])
            try connection.run("DELETE FROM policies WHERE name = ?", [.text(name)])
        }
    }

    private static func versionNumber(_ versionId: String) -> Int64? {
        guard versionId.hasPrefix("v"), let number = Int64(versionId.dropFirst()), number > 0 else { return nil }
        return number
    }

    // MARK: Attachments

    private static func principalColumns(_ principal: PolicyPrincipal) -> (type: String, entity: String) {
        switch principal {
        case .user: ("User", "user")
        case .role: ("Role", "role")
        }
    }

    public func attach(_ attachment: AttachmentRecord) throws(StoreError) {
        let (type, entity) = Self.principalColumns(attachment.principal)
        try write { connection throws(StoreError) in
            let table = type == "User" ? "users" : "roles"
            guard
                let name = try connection.first(
                    "SELECT name FROM \(table) WHERE name = ?", [.text(attachment.principal.name)], { row in row.text(0) })
            else { throw notExist(type, entity) }
            var policyName = attachment.policyName
            if attachment.policyKind == .custom {
                guard
                    let canonical = try connection.first(
                        "SELECT name FROM policies WHERE name = ?", [.text(policyName)], { row in row.text(0) })
                else { throw notExist("Policy", "policy") }
                policyName = canonical
            }
            if try connection.first(
                """
                SELECT 1 FROM attachments WHERE principal_type = ? AND principal_name = ? AND policy_type = ?
                AND policy_name = ?
                """, [.text(type), .text(name), .text(attachment.policyKind.rawValue), .text(policyName)],
                { _ in true }) != nil
            {
                throw StoreError(
                    code: "EntityAlreadyExists.\(type).Policy",
                    message: "The policy has already been attached to the \(entity).")
            }
            let count =
                try connection.first(
                    """
                    SELECT COUNT(*) FROM attachments WHERE principal_type = ? AND principal_name = ?
                    AND policy_type = ?
                    """, [.text(type), .text(name), .text(attachment.policyKind.rawValue)]
                ) { row in row.integer(0) } ?? 0
            let limit =
                attachment.policyKind == .system ? limits.systemPoliciesPerPrincipal : limits.customPoliciesPerPrincipal
            if count >= Int64(limit) {
                throw StoreError(
                    code: "LimitExceeded.\(type).Policy",
                    message: "The count of \(attachment.policyKind.rawValue.lowercased()) policies attached to the "
                        + "\(entity) has exceeded the limit.")
            }
            try connection.run(
                """
                INSERT INTO attachments (principal_type, principal_name, policy_type, policy_name, attach_date)
                VALUES (?, ?, ?, ?, ?)
                """,
                [.text(type), .text(name), .text(attachment.policyKind.rawValue), .text(policyName),
                 seconds(attachment.attachDate)])
        }
    }

    public func detach(principal: PolicyPrincipal, policyKind: PolicyKind, policyName: String) throws(StoreError) {
        let (type, entity) = Self.principalColumns(principal)
        try write { connection throws(StoreError) in
            let changed = try connection.run(
                """
                DELETE FROM attachments WHERE principal_type = ? AND principal_name = ? AND policy_type = ?
                AND policy_name = ?
                """, [.text(type), .text(principal.name), .text(policyKind.rawValue), .text(policyName)])
            if changed == 0 {
                let table = type == "User" ? "users" : "roles"
                guard
                    try connection.first(
                        "SELECT 1 FROM \(table) WHERE name = ?", [.text(principal.name)], { _ in true }) != nil
                else { throw notExist(type, entity) }
                throw StoreError(
                    code: "EntityNotExist.\(type).Policy", message: "The policy is not attached to the \(entity).")
            }
        }
    }

    public func attachedPolicies(_ principal: PolicyPrincipal) throws(StoreError) -> [AttachedPolicyDocument] {
        let type = Self.principalColumns(principal).type
        return try read { connection throws(StoreError) in
            try connection.query(
                """
                SELECT a.policy_type, a.policy_name, a.attach_date, v.document FROM attachments a
                LEFT JOIN policies p ON a.policy_type = 'Custom' AND p.name = a.policy_name
                LEFT JOIN policy_versions v ON v.policy_name = p.name AND v.number = p.default_version
                WHERE a.principal_type = ? AND a.principal_name = ? ORDER BY a.attach_date, a.policy_name
                """, [.text(type), .text(principal.name)]
            ) { row in
                AttachedPolicyDocument(
                    attachment: AttachmentRecord(
                        principal: principal, policyKind: PolicyKind(rawValue: row.text(0)) ?? .custom,
                        policyName: row.text(1), attachDate: date(row.integer(2))),
                    document: row.optionalText(3))
            }
        }
    }

    public func attachments(policyKind: PolicyKind, policyName: String) throws(StoreError) -> [AttachmentRecord] {
        try read { connection throws(StoreError) in
            try connection.query(
                """
                SELECT principal_type, principal_name, attach_date FROM attachments
                WHERE policy_type = ? AND policy_name = ? ORDER BY principal_type, principal_name
                """, [.text(policyKind.rawValue), .text(policyName)]
            ) { row in
                let name = row.text(1)
                return AttachmentRecord(
                    principal: row.text(0) == "Role" ? .role(name) : .user(name), policyKind: policyKind,
                    policyName: policyName, attachDate: date(row.integer(2)))
            }
        }
    }
}

private func notExist(_ codeSuffix: String, _ entity: String) -> StoreError {
    StoreError(code: "EntityNotExist.\(codeSuffix)", message: "The \(entity) does not exist.")
}

private func seconds(_ date: Date) -> SQLiteValue { .integer(Int64(date.timeIntervalSince1970.rounded(.down))) }

private func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

import Foundation
import LanyardStore
import Testing

/// A fresh store in its own temporary directory.
private struct TemporaryStore: ~Copyable {
    let directory: URL
    let store: SQLiteIdentityStore
    var path: String { directory.appendingPathComponent("identity.sqlite").path }

    init(limits: IdentityLimits = IdentityLimits()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteIdentityStore(path: directory.appendingPathComponent("identity.sqlite").path, limits: limits)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

private let day0 = Date(timeIntervalSince1970: 1_700_000_000)

private func user(_ name: String) -> UserRecord {
    UserRecord(userId: "id-\(name)", userName: name, displayName: name, createDate: day0, updateDate: day0)
}

private func role(_ name: String, duration: Int = 3600) -> RoleRecord {
    RoleRecord(
        roleId: "id-\(name)", roleName: name, description: "d",
        assumeRolePolicyDocument: #"{"Version":"1","Statement":[]}"#, maxSessionDuration: duration,
        createDate: day0, updateDate: day0)
}

private func key(_ id: String, user: String?) -> AccessKeyRecord {
    AccessKeyRecord(accessKeyId: id, userName: user, sealedSecret: [1, 2, 3, 0, 255], status: .active, createDate: day0)
}

private func policy(_ name: String) -> PolicyRecord {
    PolicyRecord(policyName: name, description: "p", defaultVersion: "v1", createDate: day0, updateDate: day0)
}

/// Expects `body` to fail with the store error `code`.
private func expectCode(_ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(code), call succeeded", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct IdentityStoreTests {
    @Test func accountIsCreatedOnceAndSurvivesReopen() throws {
        let temp = try TemporaryStore()
        #expect(try temp.store.account() == nil)
        let account = AccountRecord(accountId: "1234567890123456", createDate: day0)
        try temp.store.createAccount(account, rootKey: key("LTAIroot", user: nil))
        expectCode("EntityAlreadyExists.Account") {
            try temp.store.createAccount(account, rootKey: key("LTAIroot2", user: nil))
        }
        try temp.store.createUser(user("alice"))
        let version = temp.store.version
        temp.store.close()

        let reopened = try SQLiteIdentityStore(path: temp.path)
        defer { reopened.close() }
        #expect(try reopened.account() == account)
        #expect(try reopened.accessKey(id: "LTAIroot") == key("LTAIroot", user: nil))
        #expect(try reopened.user(named: "alice") == user("alice"))
        #expect(reopened.version == version)
    }

    @Test func everyWriteBumpsTheVersionAndFailedWritesDoNot() throws {
        let temp = try TemporaryStore()
        let start = temp.store.version
        try temp.store.createUser(user("alice"))
        #expect(temp.store.version == start + 1)
        expectCode("EntityAlreadyExists.User") { try temp.store.createUser(user("alice")) }
        #expect(temp.store.version == start + 1)
        _ = try temp.store.user(named: "alice")
        #expect(temp.store.version == start + 1)
        try temp.store.createRole(role("R"))
        #expect(temp.store.version == start + 2)
    }

    @Test func usersPaginateRenameAndDelete() throws {
        let temp = try TemporaryStore()
        for name in ["carol", "alice", "bob", "dave"] { try temp.store.createUser(user(name)) }
        let page1 = try temp.store.listUsers(after: nil, limit: 2)
        #expect(page1.map(\.userName) == ["alice", "bob"])
        let page2 = try temp.store.listUsers(after: "bob", limit: 2)
        #expect(page2.map(\.userName) == ["carol", "dave"])
        #expect(try temp.store.listUsers(after: "dave", limit: 2).isEmpty)

        try temp.store.createAccessKey(key("LTAIbob", user: "bob"))
        try temp.store.attach(
            AttachmentRecord(principal: .user("bob"), policyKind: .system, policyName: "AdministratorAccess",
                             attachDate: day0))
        var renamed = user("bob")
        renamed.userName = "robert"
        renamed.comments = "renamed"
        expectCode("EntityAlreadyExists.User") {
            var clash = renamed
            clash.userName = "alice"
            try temp.store.updateUser(named: "bob", to: clash)
        }
        try temp.store.updateUser(named: "bob", to: renamed)
        #expect(try temp.store.user(named: "bob") == nil)
        #expect(try temp.store.user(named: "robert")?.comments == "renamed")
        #expect(try temp.store.accessKey(id: "LTAIbob")?.userName == "robert")
        #expect(try temp.store.attachedPolicies(.user("robert")).map(\.attachment.policyName) == ["AdministratorAccess"])

        expectCode("DeleteConflict.User.AccessKey") { try temp.store.deleteUser(named: "robert") }
        try temp.store.deleteAccessKey(id: "LTAIbob", userName: "robert")
        expectCode("DeleteConflict.User.Policy") { try temp.store.deleteUser(named: "robert") }
        try temp.store.detach(principal: .user("robert"), policyKind: .system, policyName: "AdministratorAccess")
        try temp.store.deleteUser(named: "robert")
        expectCode("EntityNotExist.User") { try temp.store.deleteUser(named: "robert") }
    }

    @Test func accessKeysAreLimitedPerUserAndScopedToTheirOwner() throws {
        let temp = try TemporaryStore()
        try temp.store.createUser(user("alice"))
        try temp.store.createUser(user("bob"))
        try temp.store.createAccessKey(key("K1", user: "alice"))
        try temp.store.createAccessKey(key("K2", user: "alice"))
        expectCode("LimitExceeded.User.AccessKey") { try temp.store.createAccessKey(key("K3", user: "alice")) }
        expectCode("EntityNotExist.User") { try temp.store.createAccessKey(key("K4", user: "nobody")) }
        #expect(try temp.store.accessKeys(userName: "alice").map(\.accessKeyId) == ["K1", "K2"])

        expectCode("EntityNotExist.User.AccessKey") {
            try temp.store.setAccessKeyStatus(id: "K1", userName: "bob", status: .inactive)
        }
        try temp.store.setAccessKeyStatus(id: "K1", userName: "alice", status: .inactive)
        #expect(try temp.store.accessKey(id: "K1")?.status == .inactive)
        expectCode("EntityNotExist.User.AccessKey") { try temp.store.deleteAccessKey(id: "K2", userName: nil) }
        try temp.store.deleteAccessKey(id: "K2", userName: "alice")
        try temp.store.createAccessKey(key("K3", user: "alice"))
        #expect(try temp.store.accessKey(id: "K3")?.sealedSecret == [1, 2, 3, 0, 255])
    }

    @Test func rolesUpdateAndRefuseDeletionWhileAttached() throws {
        let temp = try TemporaryStore()
        try temp.store.createRole(role("ECIRamRoleTest"))
        expectCode("EntityAlreadyExists.Role") { try temp.store.createRole(role("ECIRamRoleTest")) }
        var updated = role("ECIRamRoleTest", duration: 7200)
        updated.description = "new"
        try temp.store.updateRole(updated)
        #expect(try temp.store.role(named: "ECIRamRoleTest") == updated)
        expectCode("EntityNotExist.Role") { try temp.store.updateRole(role("Missing")) }

        try temp.store.createPolicy(policy("OSSRead"), document: "doc1")
        try temp.store.attach(
            AttachmentRecord(principal: .role("ECIRamRoleTest"), policyKind: .custom, policyName: "OSSRead",
                             attachDate: day0))
        expectCode("DeleteConflict.Role.Policy") { try temp.store.deleteRole(named: "ECIRamRoleTest") }
        try temp.store.detach(principal: .role("ECIRamRoleTest"), policyKind: .custom, policyName: "OSSRead")
        try temp.store.deleteRole(named: "ECIRamRoleTest")
        #expect(try temp.store.role(named: "ECIRamRoleTest") == nil)
        expectCode("EntityNotExist.Role") { try temp.store.deleteRole(named: "ECIRamRoleTest") }
    }

    @Test func policyVersionsRespectTheLimitAndRotate() throws {
        let temp = try TemporaryStore()
        try temp.store.createPolicy(policy("P"), document: "d1")
        expectCode("EntityAlreadyExists.Policy") { try temp.store.createPolicy(policy("P"), document: "x") }
        for n in 2...5 {
            let version = try temp.store.createPolicyVersion(
                policyName: "P", document: "d\(n)", setAsDefault: n == 3, rotate: false, date: day0)
            #expect(version.versionId == "v\(n)")
        }
        #expect(try temp.store.policy(named: "P")?.defaultVersion == "v3")
        expectCode("LimitExceeded.Policy.Version") {
            _ = try temp.store.createPolicyVersion(policyName: "P", document: "d6", setAsDefault: false, rotate: false,
                                                   date: day0)
        }
        // Rotation deletes the oldest non-default version (v1), never the default.
        let v6 = try temp.store.createPolicyVersion(
            policyName: "P", document: "d6", setAsDefault: true, rotate: true, date: day0)
        #expect(v6.versionId == "v6" && v6.isDefaultVersion)
        #expect(try temp.store.policyVersions(policyName: "P").map(\.versionId) == ["v2", "v3", "v4", "v5", "v6"])
        try temp.store.setDefaultPolicyVersion(policyName: "P", versionId: "v2", date: day0)
        _ = try temp.store.createPolicyVersion(policyName: "P", document: "d7", setAsDefault: false, rotate: true,
                                               date: day0)
        #expect(try temp.store.policyVersions(policyName: "P").map(\.versionId) == ["v2", "v4", "v5", "v6", "v7"])
        #expect(try temp.store.policyVersion(policyName: "P", versionId: "v2")?.isDefaultVersion == true)
        #expect(try temp.store.policyVersion(policyName: "P", versionId: "v2")?.document == "d2")
        #expect(try temp.store.policyVersion(policyName: "P", versionId: "v1") == nil)
        #expect(try temp.store.policyVersion(policyName: "P", versionId: "bogus") == nil)

        expectCode("DeleteConflict.PolicyVersion.Default") {
            try temp.store.deletePolicyVersion(policyName: "P", versionId: "v2")
        }
        expectCode("EntityNotExist.Policy.Version") {
            try temp.store.setDefaultPolicyVersion(policyName: "P", versionId: "v1", date: day0)
        }
        try temp.store.deletePolicyVersion(policyName: "P", versionId: "v7")
        expectCode("EntityNotExist.Policy.Version") {
            try temp.store.deletePolicyVersion(policyName: "P", versionId: "v7")
        }
        expectCode("DeleteConflict.Policy.Version") { try temp.store.deletePolicy(named: "P", cascade: false) }
    }

    @Test func attachmentsCarryTheDefaultDocumentAndFollowLimits() throws {
        var limits = IdentityLimits()
        limits.customPoliciesPerPrincipal = 2
        let temp = try TemporaryStore(limits: limits)
        try temp.store.createRole(role("R"))
        try temp.store.createUser(user("u"))
        for name in ["A", "B", "C"] { try temp.store.createPolicy(policy(name), document: "\(name)-v1") }
        _ = try temp.store.createPolicyVersion(policyName: "A", document: "A-v2", setAsDefault: true, rotate: false,
                                               date: day0)
        let attach = { (principal: PolicyPrincipal, kind: PolicyKind, name: String) throws in
            try temp.store.attach(AttachmentRecord(principal: principal, policyKind: kind, policyName: name,
                                                   attachDate: day0))
        }
        try attach(.role("R"), .custom, "A")
        try attach(.role("R"), .system, "AliyunOSSReadOnlyAccess")
        expectCode("EntityAlreadyExists.Role.Policy") { try attach(.role("R"), .custom, "A") }
        expectCode("EntityNotExist.Policy") { try attach(.role("R"), .custom, "Nope") }
        expectCode("EntityNotExist.Role") { try attach(.role("Nope"), .custom, "A") }
        expectCode("EntityNotExist.User") { try attach(.user("Nope"), .custom, "A") }
        try attach(.role("R"), .custom, "B")
        expectCode("LimitExceeded.Role.Policy") { try attach(.role("R"), .custom, "C") }
        try attach(.user("U"), .custom, "a")  // names match ignoring case; records keep the created casing

        let documents = try temp.store.attachedPolicies(.role("R"))
        #expect(documents.count == 3)
        #expect(documents.first { $0.attachment.policyName == "A" }?.document == "A-v2")
        #expect(documents.first { $0.attachment.policyName == "AliyunOSSReadOnlyAccess" }?.document == nil)
        #expect(try temp.store.attachments(policyKind: .custom, policyName: "A").map(\.principal)
                == [.role("R"), .user("u")])

        expectCode("DeleteConflict.Policy.User") { try temp.store.deletePolicy(named: "A", cascade: false) }
        expectCode("EntityNotExist.Role.Policy") {
            try temp.store.detach(principal: .role("R"), policyKind: .custom, policyName: "C")
        }
        expectCode("DeleteConflict.Policy.Role") { try temp.store.deletePolicy(named: "B", cascade: false) }
        try temp.store.deletePolicy(named: "A", cascade: true)
        #expect(try temp.store.attachedPolicies(.role("R")).map(\.attachment.policyName).sorted()
                == ["AliyunOSSReadOnlyAccess", "B"])
        #expect(try temp.store.policy(named: "A") == nil)
        #expect(try temp.store.policyVersions(policyName: "A").isEmpty)
    }

    @Test func namesAreUniqueIgnoringCase() throws {
        let temp = try TemporaryStore()
        try temp.store.createRole(role("ECIRamRoleTest"))
        expectCode("EntityAlreadyExists.Role") { try temp.store.createRole(role("eciramroletest")) }
        #expect(try temp.store.role(named: "ecIRAMroleTEST")?.roleName == "ECIRamRoleTest")
        try temp.store.createUser(user("alice"))
        var renamed = user("alice")
        renamed.userName = "Alice"
        try temp.store.updateUser(named: "alice", to: renamed)
        #expect(try temp.store.user(named: "ALICE")?.userName == "Alice")
    }

    @Test func concurrentWritersAllCommit() throws {
        let temp = try TemporaryStore()
        let store = temp.store
        let start = store.version
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            do {
                try store.createUser(user("user\(index)"))
                _ = try store.listUsers(after: nil, limit: 5)
            } catch {
                Issue.record("concurrent write failed: \(error)")
            }
        }
        #expect(try store.listUsers(after: nil, limit: 100).count == 40)
        #expect(store.version == start + 40)
    }
}

@Suite struct NonceRegistryTests {
    @Test func refusesAReplayWithinTheWindowAndForgetsAfter() {
        let registry = NonceRegistry(window: 900, shardCount: 1)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(registry.register(accessKeyId: "AK", nonce: "n1", timestamp: now, now: now))
        #expect(!registry.register(accessKeyId: "AK", nonce: "n1", timestamp: now, now: now.addingTimeInterval(899)))
        #expect(registry.register(accessKeyId: "AK2", nonce: "n1", timestamp: now, now: now))
        #expect(registry.register(accessKeyId: "AK", nonce: "n2", timestamp: now, now: now))
        // A request stamped in the future keeps its nonce until that stamp leaves the window.
        let future = now.addingTimeInterval(600)
        #expect(registry.register(accessKeyId: "AK", nonce: "n3", timestamp: future, now: now))
        #expect(!registry.register(accessKeyId: "AK", nonce: "n3", timestamp: future, now: now.addingTimeInterval(1400)))
        // Past the window the entries are swept.
        let later = now.addingTimeInterval(3600)
        #expect(registry.register(accessKeyId: "AK", nonce: "n1", timestamp: later, now: later))
        #expect(registry.count == 1)
    }

    /// Enough nonces to grow the tables many times: every one stays refused for the window, and only live
    /// nonces count.
    @Test func manyNoncesThroughGrowth() {
        let registry = NonceRegistry(window: 900, shardCount: 4)
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        for i in 0..<40_000 {
            #expect(registry.register(accessKeyId: "AK", nonce: "a\(i)", timestamp: start, now: start))
        }
        let soon = start.addingTimeInterval(800)
        for i in stride(from: 0, to: 40_000, by: 7) {
            #expect(!registry.register(accessKeyId: "AK", nonce: "a\(i)", timestamp: start, now: soon))
        }
        #expect(registry.count == 40_000)
        let later = start.addingTimeInterval(2_000)
        for i in 0..<40_000 {
            #expect(registry.register(accessKeyId: "AK", nonce: "b\(i)", timestamp: later, now: later))
        }
        #expect(registry.count == 40_000)
        #expect(registry.register(accessKeyId: "AK", nonce: "a1", timestamp: later, now: later))
        #expect(!registry.register(accessKeyId: "AK", nonce: "b1", timestamp: later, now: later))
    }

    /// At a steady rate the memory stops growing once the window has filled: every minute a table like the
    /// one dropped takes its place.
    @Test func steadyRateKeepsTheTablesTheSameSizeOnceTheWindowIsFull() {
        let registry = NonceRegistry(window: 900, shardCount: 1)
        let start = 1_700_000_040.0
        var bytes: [Int] = []
        for second in 0..<(40 * 60) {
            let now = Date(timeIntervalSince1970: start + Double(second))
            for i in 0..<20 { _ = registry.register(accessKeyId: "AK", nonce: "\(second)-\(i)", timestamp: now, now: now) }
            if second % 60 == 59 { bytes.append(registry.tableBytes) }
        }
        #expect(bytes[5] < bytes[14], "the tables grow while the window fills")
        #expect(Set(bytes[16...]).count == 1, "\(bytes)")
        #expect(registry.count <= 20 * (900 + 61))
    }
}

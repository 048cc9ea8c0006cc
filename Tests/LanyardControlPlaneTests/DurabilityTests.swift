import Foundation
import LanyardPolicy
import LanyardControlPlane
import Testing

/// The data directory: first start, restart durability, and the single-instance lock.
@Suite struct DurabilityTests {
    @Test func firstStartWritesRootCredentialsAndTokenKeyPrivately() throws {
        let harness = try Harness()
        let path = harness.directory.appendingPathComponent("root-credentials.json").path
        let data = try #require(FileManager.default.contents(atPath: path))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(json == [
            "AccountId": harness.accountId, "AccessKeyId": harness.root.accessKeyId,
            "AccessKeySecret": harness.root.secret,
        ])
        #expect(harness.accountId.count == 16 && harness.accountId.allSatisfy(\.isNumber))
        for file in ["root-credentials.json", "token.key"] {
            let attributes = try FileManager.default.attributesOfItem(
                atPath: harness.directory.appendingPathComponent(file).path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        #expect(FileManager.default.contents(atPath: harness.directory.appendingPathComponent("token.key").path)?.count == 32)
    }

    @Test func everythingSurvivesARestartAndOldTokensStillVerify() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.ok("CreatePolicy", ["PolicyName": "P", "PolicyDocument": allowPolicy(["ram:ListRoles"])])
        harness.ok("CreatePolicyVersion", ["PolicyName": "P", "PolicyDocument": allowPolicy(["ram:ListRoles", "ram:GetRole"]),
                                           "SetAsDefault": "true"])
        harness.role("R", maxSessionDuration: 7200)
        harness.ok("AttachPolicyToRole", ["RoleName": "R", "PolicyType": "Custom", "PolicyName": "P"])
        let session = harness.assume("R", as: alice, extra: ["DurationSeconds": "7200"])
        let account = harness.plane.account
        let credentialsFile = try #require(
            FileManager.default.contents(atPath: harness.directory.appendingPathComponent("root-credentials.json").path))

        try harness.restart()

        #expect(harness.plane.account == account)
        #expect(FileManager.default.contents(atPath: harness.directory.appendingPathComponent("root-credentials.json").path)
                == credentialsFile)
        #expect(harness.ok("GetUser", ["UserName": "alice"]).string("User.UserName") == "alice")
        #expect(harness.ok("GetRole", ["RoleName": "R"])["Role.MaxSessionDuration"] as? Int == 7200)
        #expect(harness.ok("GetPolicy", ["PolicyName": "P", "PolicyType": "Custom"]).string("Policy.DefaultVersion") == "v2")
        let attached = (harness.ok("ListPoliciesForRole", ["RoleName": "R"])["Policies.Policy"] as? [[String: Any]]) ?? []
        #expect(attached.map { $0["PolicyName"] as? String } == ["P"])
        // The user's permanent key and the pre-restart STS token both still work.
        harness.ok("GetCallerIdentity", as: alice)
        harness.ok("ListRoles", as: session)
        harness.ok("GetRole", ["RoleName": "R"], as: session)
        _ = harness.assume("R", as: alice, session: "after-restart")
    }

    @Test func aSecondInstanceOnTheSameDirectoryIsRefused() throws {
        let harness = try Harness()
        let configuration = ControlPlaneConfiguration(dataDirectory: harness.directory.path, logSink: .discard)
        do {
            _ = try ControlPlane(configuration: configuration)
            Issue.record("a second control plane opened a locked data directory")
        } catch {
            #expect(error.code == "DataDirectoryLocked")
            #expect(error.message.contains(harness.directory.path))
            #expect(error.message.contains("pid \(ProcessInfo.processInfo.processIdentifier)"))
        }
        // The first instance keeps serving.
        harness.ok("GetCallerIdentity")
        // After close, the directory can be opened again.
        try harness.restart()
        harness.ok("GetCallerIdentity")
    }

    @Test func aDataPathThatIsAFileIsRefused() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cp-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: ControlPlaneError.self) {
            try ControlPlane(configuration: ControlPlaneConfiguration(dataDirectory: file.path, logSink: .discard))
        }
    }

    @Test func aTruncatedTokenKeyIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cp-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data([1, 2, 3]).write(to: directory.appendingPathComponent("token.key"))
        do {
            _ = try ControlPlane(configuration: ControlPlaneConfiguration(dataDirectory: directory.path, logSink: .discard))
            Issue.record("a 3-byte token key was accepted")
        } catch {
            #expect(error.code == "InvalidTokenKey")
        }
        // The failed start released its lock.
        try Data(repeating: 5, count: 32).write(to: directory.appendingPathComponent("token.key"))
        let plane = try ControlPlane(configuration: ControlPlaneConfiguration(dataDirectory: directory.path, logSink: .discard))
        plane.close()
    }
}

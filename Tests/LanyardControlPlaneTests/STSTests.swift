import Foundation
import LanyardPolicy
import LanyardControlPlane
import Testing

/// STS 2015-04-01: AssumeRole, its refusals, tokens, GetCallerIdentity.
@Suite struct AssumeRoleTests {
    @Test func assumeRoleReturnsTheSpecShape() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("ECIRamRoleTest", system: ["AliyunOSSReadOnlyAccess"])
        for style in [SignatureStyle.v1, .acs3] {
            let reply = harness.ok("AssumeRole", [
                "RoleArn": "acs:ram::\(harness.accountId):role/ECIRamRoleTest", "RoleSessionName": "alice-session",
                "DurationSeconds": "900",
            ], as: alice, style: style)
            let roleId = try #require(harness.ok("GetRole", ["RoleName": "ECIRamRoleTest"]).string("Role.RoleId"))
            #expect(reply.string("AssumedRoleUser.Arn") == "acs:ram::\(harness.accountId):role/ECIRamRoleTest/alice-session")
            #expect(reply.string("AssumedRoleUser.AssumedRoleId") == "\(roleId):alice-session")
            let keyId = try #require(reply.string("Credentials.AccessKeyId"))
            #expect(keyId.hasPrefix("STS."))
            #expect(reply.string("Credentials.AccessKeySecret")?.isEmpty == false)
            #expect(reply.string("Credentials.SecurityToken")?.isEmpty == false)
            let expected = Date(timeIntervalSince1970: harness.clock.now.timeIntervalSince1970.rounded(.down) + 900)
            let expiration = try #require(reply.string("Credentials.Expiration"))
            let formatter = ISO8601DateFormatter()
            #expect(formatter.date(from: expiration) == expected)
            #expect(expiration.count == 20 && expiration.hasSuffix("Z"))
        }
        // Role ARNs are matched ignoring the case of the role name, as RAM names are.
        _ = harness.assume("eciramroletest", as: alice)
    }

    @Test func theSessionCanSignAndIdentifiesItself() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("Reader", system: ["AliyunRAMReadOnlyAccess"])
        let session = harness.assume("Reader", as: alice, session: "s-1")
        for style in [SignatureStyle.v1, .acs3] {
            let identity = harness.ok("GetCallerIdentity", as: session, style: style)
            let roleId = harness.ok("GetRole", ["RoleName": "Reader"]).string("Role.RoleId")
            #expect(identity.string("IdentityType") == "AssumedRoleUser")
            #expect(identity.string("Arn") == "acs:ram::\(harness.accountId):role/Reader/s-1")
            #expect(identity.string("RoleId") == roleId)
            #expect(identity.string("PrincipalId") == "\(roleId ?? ""):s-1")
            #expect(identity.string("AccountId") == harness.accountId)
            harness.ok("ListUsers", as: session, style: style)
            harness.fails("CreateUser", ["UserName": "x"], as: session, status: 403, code: "NoPermission", style: style)
        }
        let user = harness.ok("GetCallerIdentity", as: alice)
        #expect(user.string("IdentityType") == "RAMUser")
        #expect(user.string("Arn") == "acs:ram::\(harness.accountId):user/alice")
        #expect(user.string("UserId") == harness.ok("GetUser", ["UserName": "alice"]).string("User.UserId"))
        let root = harness.ok("GetCallerIdentity")
        #expect(root.string("IdentityType") == "Account" && root.string("Arn") == "acs:ram::\(harness.accountId):root")
        #expect(root.string("PrincipalId") == harness.accountId)
    }

    @Test func refusals() throws {
        let harness = try Harness()
        let arn = "acs:ram::\(harness.accountId):role/Target"
        harness.role("Target", maxSessionDuration: 7200)
        let allowed = harness.user("allowed", system: ["AliyunSTSAssumeRoleAccess"])
        let withoutPermission = harness.user("plain")

        let root = harness.fails("AssumeRole", ["RoleArn": arn, "RoleSessionName": "s1"], status: 403, code: "NoPermission")
        #expect(root.message == "Roles may not be assumed by root accounts.")
        let noPermission = harness.fails("AssumeRole", ["RoleArn": arn, "RoleSessionName": "s1"], as: withoutPermission,
                                         status: 403, code: "NoPermission")
        #expect(noPermission.message == "You are not authorized to do this action. You should be authorized by RAM.")
        harness.fails("AssumeRole", ["RoleSessionName": "s1"], as: allowed, status: 400, code: "MissingParameter")
        harness.fails("AssumeRole", ["RoleArn": arn], as: allowed, status: 400, code: "MissingParameter")
        let badArn = harness.fails("AssumeRole", ["RoleArn": "role/Target", "RoleSessionName": "s1"], as: allowed,
                                   status: 400, code: "InvalidParameter.RoleArn")
        #expect(badArn.message == "The parameter RoleArn is wrongly formed.")
        let missingRole = harness.fails("AssumeRole", ["RoleArn": "acs:ram::\(harness.accountId):role/Nope", "RoleSessionName": "s1"],
                                        as: allowed, status: 404, code: "EntityNotExist.Role")
        #expect(missingRole.message == "The specified Role not exists.")
        harness.fails("AssumeRole", ["RoleArn": "acs:ram::1111222233334444:role/Target", "RoleSessionName": "s1"],
                      as: allowed, status: 404, code: "EntityNotExist.Role")
        for name in ["x", "has space", String(repeating: "n", count: 65), "slash/no"] {
            harness.fails("AssumeRole", ["RoleArn": arn, "RoleSessionName": name], as: allowed, status: 400,
                          code: "InvalidParameter.RoleSessionName")
        }
        for duration in ["899", "7201", "ten"] {
            harness.fails("AssumeRole", ["RoleArn": arn, "RoleSessionName": "s1", "DurationSeconds": duration], as: allowed,
                          status: 400, code: "InvalidParameter.DurationSeconds")
        }
        _ = harness.assume("Target", as: allowed, extra: ["DurationSeconds": "7200"])
        harness.fails("AssumeRole", ["RoleArn": arn, "RoleSessionName": "s1", "Policy": "{nope"], as: allowed,
                      status: 400, code: "InvalidParameter.PolicyGrammar")
        let bigPolicy = allowPolicy(Array(repeating: "oss:GetObject", count: 150))
        harness.fails("AssumeRole", ["RoleArn": arn, "RoleSessionName": "s1", "Policy": bigPolicy], as: allowed,
                      status: 400, code: "InvalidParameter.PolicySize")
        harness.fails("AssumeRole", ["RoleArn": arn, "RoleSessionName": "s1", "ExternalId": "x"], as: allowed,
                      status: 400, code: "InvalidParameter.ExternalId")
    }

    @Test func theTrustPolicyDecides() throws {
        let harness = try Harness()
        let account = harness.accountId
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        let bob = harness.user("bob", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("OnlyAlice", trust: harness.trust(["acs:ram::\(account):user/alice"]))
        _ = harness.assume("OnlyAlice", as: alice)
        harness.fails("AssumeRole", ["RoleArn": "acs:ram::\(account):role/OnlyAlice", "RoleSessionName": "s1"], as: bob,
                      status: 403, code: "NoPermission")

        // A service-only trust (the seed's role for ECS/ECI) admits no RAM caller.
        harness.role("ServiceRole", trust: #"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#)
        harness.fails("AssumeRole", ["RoleArn": "acs:ram::\(account):role/ServiceRole", "RoleSessionName": "s1"], as: alice,
                      status: 403, code: "NoPermission")

        // ExternalId is checked as the condition key sts:ExternalId.
        harness.role("Partner", trust: harness.trust(["acs:ram::\(account):root"],
                                                     condition: #"{"StringEquals":{"sts:ExternalId":"abc-123"}}"#))
        harness.fails("AssumeRole", ["RoleArn": "acs:ram::\(account):role/Partner", "RoleSessionName": "s1"], as: alice,
                      status: 403, code: "NoPermission")
        harness.fails("AssumeRole", ["RoleArn": "acs:ram::\(account):role/Partner", "RoleSessionName": "s1",
                                     "ExternalId": "wrong-1"], as: alice, status: 403, code: "NoPermission")
        _ = harness.assume("Partner", as: alice, extra: ["ExternalId": "abc-123"])

        // A role session may chain into another role that trusts its role.
        harness.role("First", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("Second", trust: harness.trust(["acs:ram::\(account):role/First"]))
        let first = harness.assume("First", as: alice)
        let second = harness.assume("Second", as: first)
        #expect(harness.ok("GetCallerIdentity", as: second).string("Arn") == "acs:ram::\(account):role/Second/session-1")
        harness.fails("AssumeRole", ["RoleArn": "acs:ram::\(account):role/Second", "RoleSessionName": "s1"], as: alice,
                      status: 403, code: "NoPermission")
    }

    @Test func theSessionPolicyNarrowsTheRole() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("Admin", system: ["AdministratorAccess"])
        let narrowed = harness.assume("Admin", as: alice, extra: ["Policy": allowPolicy(["ram:GetUser"])])
        harness.ok("GetUser", ["UserName": "alice"], as: narrowed)
        harness.fails("ListUsers", as: narrowed, status: 403, code: "NoPermission")
        let full = harness.assume("Admin", as: alice, session: "full")
        harness.ok("ListUsers", as: full)

        // Authorizing resolved credentials applies the session policy their token carries.
        let resolved = try harness.plane.credentials(accessKeyId: narrowed.accessKeyId, securityToken: narrowed.token)
        #expect(resolved.sessionPolicy != nil)
        let listUsers = AuthorizationRequest(action: "ram:ListUsers", resource: "acs:ram:*:\(harness.accountId):user/*")
        #expect(harness.plane.authorize(resolved.caller, sessionPolicy: nil, listUsers) == .allow, "the role alone allows it")
        #expect(harness.plane.authorize(resolved, listUsers) != .allow)
        let fullResolved = try harness.plane.credentials(accessKeyId: full.accessKeyId, securityToken: full.token)
        #expect(harness.plane.authorize(fullResolved, listUsers) == .allow)
    }

    @Test func roleSessionsFollowTheRolesCurrentPolicies() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("Pod")
        let session = harness.assume("Pod", as: alice)
        harness.fails("ListRoles", as: session, status: 403, code: "NoPermission")
        harness.ok("AttachPolicyToRole", ["RoleName": "Pod", "PolicyType": "System", "PolicyName": "AliyunRAMReadOnlyAccess"])
        harness.ok("ListRoles", as: session)
        harness.ok("DetachPolicyFromRole", ["RoleName": "Pod", "PolicyType": "System", "PolicyName": "AliyunRAMReadOnlyAccess"])
        harness.fails("ListRoles", as: session, status: 403, code: "NoPermission")
    }
}

@Suite struct SessionTokenAPITests {
    @Test func expiredAlteredAndMismatchedTokensAreRefused() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("R")
        let session = harness.assume("R", as: alice, extra: ["DurationSeconds": "900"])
        let other = harness.assume("R", as: alice, session: "other")
        harness.ok("GetCallerIdentity", as: session)

        var altered = session
        var token = Array(session.token ?? "")
        token[token.count / 2] = token[token.count / 2] == "A" ? "B" : "A"
        altered.token = String(token)
        harness.fails("GetCallerIdentity", as: altered, status: 400, code: "InvalidSecurityToken.Malformed")
        altered.token = "not-a-token"
        harness.fails("GetCallerIdentity", as: altered, status: 400, code: "InvalidSecurityToken.Malformed")

        var mismatched = session
        mismatched.token = other.token
        let mismatch = harness.fails("GetCallerIdentity", as: mismatched, status: 400,
                                     code: "InvalidSecurityToken.MismatchWithAccessKey")
        #expect(mismatch.message == "Specified SecurityToken mismatch with the AccessKey.")
        var permanentWithToken = alice
        permanentWithToken.token = session.token
        harness.fails("GetCallerIdentity", as: permanentWithToken, status: 400,
                      code: "InvalidSecurityToken.MismatchWithAccessKey")

        var withoutToken = session
        withoutToken.token = nil
        harness.fails("GetCallerIdentity", as: withoutToken, status: 400, code: "MissingSecurityToken")

        var wrongSecret = session
        wrongSecret.secret = other.secret
        harness.fails("GetCallerIdentity", as: wrongSecret, status: 400, code: "SignatureDoesNotMatch")

        harness.clock.advance(901)
        let expired = harness.fails("GetCallerIdentity", as: session, status: 400, code: "InvalidSecurityToken.Expired")
        #expect(expired.message == "Specified SecurityToken is expired.")
        harness.fails("GetCallerIdentity", as: session, status: 400, code: "InvalidSecurityToken.Expired", style: .acs3)
        #expect(throws: RPCError.self) {
            try harness.plane.credentials(accessKeyId: session.accessKeyId, securityToken: session.token)
        }
    }

    @Test func aSessionDiesWithItsRoleAndDoesNotInheritARoleOfTheSameName() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        harness.role("Tmp", system: ["AliyunRAMReadOnlyAccess"])
        let session = harness.assume("Tmp", as: alice, session: "s-1")
        let minted = try harness.plane.issueRoleSession(roleName: "Tmp", sessionName: "pod-1", duration: 3600)
        let oldRoleId = try #require(try harness.plane.roleId(named: "tmp"))
        harness.ok("ListUsers", as: session)
        harness.ok("DetachPolicyFromRole", ["RoleName": "Tmp", "PolicyType": "System", "PolicyName": "AliyunRAMReadOnlyAccess"])
        harness.ok("DeleteRole", ["RoleName": "Tmp"])
        #expect(try harness.plane.roleId(named: "Tmp") == nil)
        for style in [SignatureStyle.v1, .acs3] {
            let refused = harness.fails("GetCallerIdentity", as: session, status: 403, code: "InvalidSecurityToken", style: style)
            #expect(refused.message?.contains("deleted") == true)
        }
        // A new role under the same name is another role: the old sessions stay refused and cannot be minted for.
        harness.role("Tmp", system: ["AliyunRAMReadOnlyAccess"])
        #expect(try harness.plane.roleId(named: "Tmp") != oldRoleId)
        harness.fails("ListUsers", as: session, status: 403, code: "InvalidSecurityToken")
        #expect(throws: RPCError.roleOfSessionDeleted) {
            try harness.plane.credentials(accessKeyId: minted.accessKeyId, securityToken: minted.securityToken)
        }
        #expect(throws: RPCError.self) {
            try harness.plane.issueRoleSession(roleName: "Tmp", roleId: oldRoleId, sessionName: "pod-1", duration: 3600)
        }
        // A fresh session of the new role works.
        harness.ok("ListUsers", as: harness.assume("Tmp", as: alice, session: "s-2"))
    }

    @Test func issueRoleSessionMintsWithoutACaller() throws {
        let harness = try Harness()
        harness.role("PodRole", system: ["AliyunRAMReadOnlyAccess"])
        let issued = try harness.plane.issueRoleSession(roleName: "PodRole", sessionName: "pod-1", duration: 21600)
        #expect(issued.accessKeyId.hasPrefix("STS."))
        #expect(issued.expiration == harness.clock.now.addingTimeInterval(21600).flooredToSecond)
        let resolved = try harness.plane.credentials(accessKeyId: issued.accessKeyId, securityToken: issued.securityToken)
        #expect(resolved.secret == issued.accessKeySecret)
        guard case .roleSession(_, let roleName, _, let sessionName, let expiration) = resolved.caller else {
            Issue.record("expected a role session, got \(resolved.caller)")
            return
        }
        #expect(roleName == "PodRole" && sessionName == "pod-1" && expiration == issued.expiration)
        let session = Credentials(accessKeyId: issued.accessKeyId, secret: issued.accessKeySecret, token: issued.securityToken)
        harness.ok("ListRoles", as: session)

        #expect(throws: RPCError.self) {
            try harness.plane.issueRoleSession(roleName: "Missing", sessionName: "pod-1", duration: 3600)
        }
        #expect(throws: RPCError.self) {
            try harness.plane.issueRoleSession(roleName: "PodRole", sessionName: "x", duration: 3600)
        }
        #expect(throws: RPCError.self) {
            try harness.plane.issueRoleSession(roleName: "PodRole", sessionName: "pod-1", duration: 100)
        }
        #expect(throws: RPCError.self) {
            try harness.plane.issueRoleSession(roleName: "PodRole", sessionName: "pod-1", duration: 3600, policy: "{")
        }
        let narrowed = try harness.plane.issueRoleSession(
            roleName: "PodRole", sessionName: "pod-2", duration: 3600, policy: allowPolicy(["ram:GetRole"]))
        let narrowedCredentials = Credentials(
            accessKeyId: narrowed.accessKeyId, secret: narrowed.accessKeySecret, token: narrowed.securityToken)
        harness.ok("GetRole", ["RoleName": "PodRole"], as: narrowedCredentials)
        harness.fails("ListRoles", as: narrowedCredentials, status: 403, code: "NoPermission")
    }

    @Test func theAuditTrailRecordsIssuesAndRefusals() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunSTSAssumeRoleAccess"])
        let bob = harness.user("bob")
        harness.role("R")
        let session = harness.assume("R", as: alice, session: "audited")
        harness.fails("AssumeRole", ["RoleArn": "acs:ram::\(harness.accountId):role/R", "RoleSessionName": "denied"],
                      as: bob, status: 403, code: "NoPermission")
        var wrong = alice
        wrong.secret = "wrong"
        harness.fails("ListUsers", as: wrong, status: 400, code: "SignatureDoesNotMatch")
        _ = try harness.plane.issueRoleSession(roleName: "R", sessionName: "pod-1", duration: 3600)

        let text = try String(contentsOf: harness.directory.appendingPathComponent("audit.jsonl"), encoding: .utf8)
        let events = text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let assumed = events.first { $0["event"] as? String == "AssumeRole" }
        #expect(assumed?["roleSessionName"] as? String == "audited")
        #expect(assumed?["caller"] as? String == "acs:ram::\(harness.accountId):user/alice")
        #expect(assumed?["issuedAccessKeyId"] as? String == session.accessKeyId)
        #expect(assumed?["expiration"] as? String != nil && assumed?["sourceIp"] as? String == "127.0.0.1")
        #expect(events.contains { $0["event"] as? String == "Refused" && $0["roleSessionName"] as? String == "denied"
            && $0["code"] as? String == "NoPermission" })
        #expect(events.contains { $0["event"] as? String == "Refused" && $0["code"] as? String == "SignatureDoesNotMatch" })
        #expect(events.contains { $0["event"] as? String == "IssueRoleSession" && $0["roleSessionName"] as? String == "pod-1" })
        #expect(events.contains { $0["event"] as? String == "CreateAccessKey" })
        for secret in [session.secret, session.token ?? "-", alice.secret, harness.root.secret] {
            #expect(!text.contains(secret))
        }
    }
}

extension Date {
    var flooredToSecond: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}

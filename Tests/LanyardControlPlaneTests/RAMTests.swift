import Foundation
import LanyardPolicy
import LanyardControlPlane
import Testing

/// RAM 2015-05-01: every action's happy path and its error paths.
@Suite struct RAMUserTests {
    @Test func userLifecycle() throws {
        let harness = try Harness()
        let created = harness.ok("CreateUser", ["UserName": "alice", "DisplayName": "Alice", "Email": "a@example.com"])
        #expect(created.string("User.UserName") == "alice")
        #expect(created.string("User.UserId")?.count == 16)
        #expect(created.string("User.CreateDate")?.hasSuffix("Z") == true)
        harness.fails("CreateUser", ["UserName": "ALICE"], status: 409, code: "EntityAlreadyExists.User")
        harness.fails("CreateUser", ["UserName": "bad name"], status: 400, code: "InvalidParameter.UserName.InvalidChars")
        harness.fails("CreateUser", ["UserName": String(repeating: "a", count: 65)], status: 400,
                      code: "InvalidParameter.UserName.Length")
        harness.fails("CreateUser", [:], status: 400, code: "MissingParameter")
        harness.fails("CreateUser", ["UserName": "x", "DisplayName": String(repeating: "d", count: 129)], status: 400,
                      code: "InvalidParameter.DisplayName.Length")

        #expect(harness.ok("GetUser", ["UserName": "alice"]).string("User.Email") == "a@example.com")
        harness.fails("GetUser", ["UserName": "bob"], status: 404, code: "EntityNotExist.User")

        let updated = harness.ok("UpdateUser", ["UserName": "alice", "NewUserName": "alice2", "NewComments": "moved"])
        #expect(updated.string("User.UserName") == "alice2" && updated.string("User.Comments") == "moved")
        #expect(updated.string("User.UserId") == created.string("User.UserId"))
        harness.fails("UpdateUser", ["UserName": "alice", "NewComments": "x"], status: 404, code: "EntityNotExist.User")
        harness.fails("UpdateUser", ["UserName": "alice2", "NewUserName": "no way"], status: 400,
                      code: "InvalidParameter.NewUserName.InvalidChars")

        harness.ok("DeleteUser", ["UserName": "alice2"])
        harness.fails("DeleteUser", ["UserName": "alice2"], status: 404, code: "EntityNotExist.User")
    }

    @Test func listUsersPaginates() throws {
        let harness = try Harness()
        for name in ["u1", "u2", "u3", "u4", "u5"] { harness.ok("CreateUser", ["UserName": name]) }
        let first = harness.ok("ListUsers", ["MaxItems": "2"])
        #expect(first["IsTruncated"] as? Bool == true)
        #expect(((first["Users.User"] as? [[String: Any]]) ?? []).map { $0["UserName"] as? String } == ["u1", "u2"])
        let marker = try #require(first.string("Marker"))
        let second = harness.ok("ListUsers", ["MaxItems": "3", "Marker": marker])
        #expect(second["IsTruncated"] as? Bool == false)
        #expect(second["Marker"] == nil)
        #expect(((second["Users.User"] as? [[String: Any]]) ?? []).map { $0["UserName"] as? String } == ["u3", "u4", "u5"])
        harness.fails("ListUsers", ["MaxItems": "0"], status: 400, code: "InvalidParameter.MaxItems")
        harness.fails("ListUsers", ["MaxItems": "1001"], status: 400, code: "InvalidParameter.MaxItems")
    }

    @Test func accessKeys() throws {
        let harness = try Harness()
        harness.ok("CreateUser", ["UserName": "alice"])
        let first = harness.ok("CreateAccessKey", ["UserName": "alice"])
        #expect(first.string("AccessKey.Status") == "Active")
        #expect(first.string("AccessKey.AccessKeySecret")?.count == 30)
        let firstId = try #require(first.string("AccessKey.AccessKeyId"))
        harness.ok("CreateAccessKey", ["UserName": "alice"])
        harness.fails("CreateAccessKey", ["UserName": "alice"], status: 409, code: "LimitExceeded.User.AccessKey")
        harness.fails("CreateAccessKey", ["UserName": "nobody"], status: 404, code: "EntityNotExist.User")

        let listed = harness.ok("ListAccessKeys", ["UserName": "alice"])
        let keys = (listed["AccessKeys.AccessKey"] as? [[String: Any]]) ?? []
        #expect(keys.count == 2)
        #expect(keys.allSatisfy { $0["AccessKeySecret"] == nil })

        harness.fails("UpdateAccessKey", ["UserName": "alice", "UserAccessKeyId": firstId, "Status": "Paused"],
                      status: 400, code: "InvalidParameter.Status")
        harness.fails("UpdateAccessKey", ["UserName": "alice", "UserAccessKeyId": "LTAInope", "Status": "Inactive"],
                      status: 404, code: "EntityNotExist.User.AccessKey")
        harness.ok("UpdateAccessKey", ["UserName": "alice", "UserAccessKeyId": firstId, "Status": "Inactive"])
        let after = (harness.ok("ListAccessKeys", ["UserName": "alice"])["AccessKeys.AccessKey"] as? [[String: Any]]) ?? []
        #expect(after.first { $0["AccessKeyId"] as? String == firstId }?["Status"] as? String == "Inactive")

        harness.fails("DeleteUser", ["UserName": "alice"], status: 409, code: "DeleteConflict.User.AccessKey")
        harness.ok("DeleteAccessKey", ["UserName": "alice", "UserAccessKeyId": firstId])
        harness.fails("DeleteAccessKey", ["UserName": "alice", "UserAccessKeyId": firstId], status: 404,
                      code: "EntityNotExist.User.AccessKey")
        harness.ok("CreateAccessKey", ["UserName": "alice"])
    }

    @Test func aUserManagesItsOwnKeysWithoutUserName() throws {
        let harness = try Harness()
        let alice = harness.user("alice", system: ["AliyunRAMFullAccess"])
        let own = harness.ok("ListAccessKeys", as: alice)
        #expect(((own["AccessKeys.AccessKey"] as? [[String: Any]]) ?? []).map { $0["AccessKeyId"] as? String }
                == [alice.accessKeyId])
        let root = harness.ok("ListAccessKeys")
        #expect(((root["AccessKeys.AccessKey"] as? [[String: Any]]) ?? []).map { $0["AccessKeyId"] as? String }
                == [harness.root.accessKeyId])
    }
}

@Suite struct RAMRoleTests {
    @Test("CreateRole and UpdateRole refuse a trust policy whose Action can never be sts:AssumeRole")
    func trustActionMustBeAssumeRole() throws {
        let harness = try Harness()
        let wrong = #"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#
        let refused = harness.fails(
            "CreateRole", ["RoleName": "R", "AssumeRolePolicyDocument": wrong], status: 400,
            code: "MalformedPolicyDocument")
        #expect((refused.message ?? "").contains("sts:AssumeRole") && (refused.message ?? "").contains("oss:GetObject"))
        harness.fails("GetRole", ["RoleName": "R"], status: 404, code: "EntityNotExist.Role")
        let trust = harness.trust(["acs:ram::\(harness.accountId):root"])
        harness.ok("CreateRole", ["RoleName": "R", "AssumeRolePolicyDocument": trust])
        harness.fails(
            "UpdateRole", ["RoleName": "R", "NewAssumeRolePolicyDocument": wrong], status: 400,
            code: "MalformedPolicyDocument")
        #expect(harness.ok("GetRole", ["RoleName": "R"]).string("Role.AssumeRolePolicyDocument") == trust)
    }

    @Test func roleLifecycle() throws {
        let harness = try Harness()
        let trust = harness.trust(["acs:ram::\(harness.accountId):root"])
        let created = harness.ok("CreateRole", [
            "RoleName": "ECIRamRoleTest", "AssumeRolePolicyDocument": trust, "Description": "pods",
            "MaxSessionDuration": "7200",
        ])
        #expect(created.string("Role.Arn") == "acs:ram::\(harness.accountId):role/ECIRamRoleTest")
        #expect(created["Role.MaxSessionDuration"] as? Int == 7200)
        #expect(created.string("Role.AssumeRolePolicyDocument") == trust)
        #expect(created.string("Role.RoleId")?.count == 16)

        harness.fails("CreateRole", ["RoleName": "eciramroletest", "AssumeRolePolicyDocument": trust], status: 409,
                      code: "EntityAlreadyExists.Role")
        let conflict = harness.call("CreateRole", ["RoleName": "ECIRamRoleTest", "AssumeRolePolicyDocument": trust])
        #expect(conflict.message == "The role does already EXIST.")
        harness.fails("CreateRole", ["RoleName": "bad_name", "AssumeRolePolicyDocument": trust], status: 400,
                      code: "InvalidParameter.RoleName.InvalidChars")
        harness.fails("CreateRole", ["RoleName": String(repeating: "r", count: 65), "AssumeRolePolicyDocument": trust],
                      status: 400, code: "InvalidParameter.RoleName.Length")
        harness.fails("CreateRole", ["RoleName": "R2"], status: 400, code: "MissingParameter")
        harness.fails("CreateRole", ["RoleName": "R2", "AssumeRolePolicyDocument": "{not json"], status: 400,
                      code: "MalformedPolicyDocument")
        harness.fails("CreateRole", ["RoleName": "R2", "AssumeRolePolicyDocument": String(repeating: " ", count: 2049)],
                      status: 400, code: "InvalidParameter.AssumeRolePolicyDocument.Length")
        for duration in ["3599", "43201", "abc"] {
            harness.fails("CreateRole", ["RoleName": "R2", "AssumeRolePolicyDocument": trust,
                                         "MaxSessionDuration": duration],
                          status: 400, code: "InvalidParameter.MaxSessionDuration")
        }

        let role = harness.ok("GetRole", ["RoleName": "ecIRAMroleTest"])
        #expect(role.string("Role.RoleName") == "ECIRamRoleTest")
        #expect(role.string("Role.UpdateDate") != nil)
        harness.fails("GetRole", ["RoleName": "Nope"], status: 404, code: "EntityNotExist.Role")

        harness.clock.advance(60)
        let updated = harness.ok("UpdateRole", ["RoleName": "ECIRamRoleTest", "NewMaxSessionDuration": "43200",
                                                "NewDescription": "changed"])
        #expect(updated["Role.MaxSessionDuration"] as? Int == 43200 && updated.string("Role.Description") == "changed")
        #expect(updated.string("Role.UpdateDate") != updated.string("Role.CreateDate"))
        harness.fails("UpdateRole", ["RoleName": "ECIRamRoleTest", "NewAssumeRolePolicyDocument": #"{"Version":"2"}"#],
                      status: 400, code: "MalformedPolicyDocument")
        harness.fails("UpdateRole", ["RoleName": "ECIRamRoleTest", "NewMaxSessionDuration": "100"], status: 400,
                      code: "InvalidParameter.NewMaxSessionDuration")
        harness.fails("UpdateRole", ["RoleName": "Nope", "NewDescription": "x"], status: 404, code: "EntityNotExist.Role")

        harness.ok("AttachPolicyToRole", ["RoleName": "ECIRamRoleTest", "PolicyType": "System",
                                          "PolicyName": "AliyunOSSReadOnlyAccess"])
        let conflictDelete = harness.fails("DeleteRole", ["RoleName": "ECIRamRoleTest"], status: 409,
                                           code: "DeleteConflict.Role.Policy")
        #expect(conflictDelete.message == "The role CAN NOT has any attached policy while deleting the role.")
        harness.ok("DetachPolicyFromRole", ["RoleName": "ECIRamRoleTest", "PolicyType": "System",
                                            "PolicyName": "AliyunOSSReadOnlyAccess"])
        harness.ok("DeleteRole", ["RoleName": "ECIRamRoleTest"])
        harness.fails("DeleteRole", ["RoleName": "ECIRamRoleTest"], status: 404, code: "EntityNotExist.Role")
    }

    @Test func listRolesShape() throws {
        let harness = try Harness()
        for name in ["A", "B", "C"] { harness.role(name) }
        let page = harness.ok("ListRoles", ["MaxItems": "2"])
        let roles = (page["Roles.Role"] as? [[String: Any]]) ?? []
        #expect(roles.map { $0["RoleName"] as? String } == ["A", "B"])
        #expect(roles.allSatisfy { $0["Arn"] != nil && $0["AssumeRolePolicyDocument"] == nil })
        #expect(page["IsTruncated"] as? Bool == true && page.string("Marker") == "B")
        let rest = harness.ok("ListRoles", ["Marker": "B"])
        #expect(((rest["Roles.Role"] as? [[String: Any]]) ?? []).map { $0["RoleName"] as? String } == ["C"])
    }
}

@Suite struct RAMPolicyTests {
    let documentV1 = allowPolicy(["oss:GetObject"], resource: "acs:oss:*:*:bucket/*")

    @Test func customPolicyAndVersions() throws {
        let harness = try Harness()
        let created = harness.ok("CreatePolicy", ["PolicyName": "OSSRead", "PolicyDocument": documentV1, "Description": "d"])
        #expect(created.string("Policy.PolicyType") == "Custom" && created.string("Policy.DefaultVersion") == "v1")
        harness.fails("CreatePolicy", ["PolicyName": "ossread", "PolicyDocument": documentV1], status: 409,
                      code: "EntityAlreadyExists.Policy")
        harness.fails("CreatePolicy", ["PolicyName": "AdministratorAccess", "PolicyDocument": documentV1], status: 409,
                      code: "EntityAlreadyExists.Policy")
        harness.fails("CreatePolicy", ["PolicyName": "bad.name", "PolicyDocument": documentV1], status: 400,
                      code: "InvalidParameter.PolicyName.InvalidChars")
        harness.fails("CreatePolicy", ["PolicyName": String(repeating: "p", count: 129), "PolicyDocument": documentV1],
                      status: 400, code: "InvalidParameter.PolicyName.Length")
        let malformed = harness.fails(
            "CreatePolicy", ["PolicyName": "Bad", "PolicyDocument": #"{"Version":"1","Statement":[{"Action":"*","Resource":"*"}]}"#],
            status: 400, code: "MalformedPolicyDocument")
        #expect(malformed.message?.isEmpty == false)
        harness.fails("CreatePolicy", ["PolicyName": "Big", "PolicyDocument": String(repeating: " ", count: 6145)],
                      status: 400, code: "InvalidParameter.PolicyDocument.Length")

        let got = harness.ok("GetPolicy", ["PolicyName": "OSSRead", "PolicyType": "Custom"])
        #expect(got.string("Policy.PolicyDocument") == documentV1)
        #expect(got["Policy.AttachmentCount"] as? Int == 0)
        #expect(got.string("DefaultPolicyVersion.VersionId") == "v1")
        #expect(got["DefaultPolicyVersion.IsDefaultVersion"] as? Bool == true)
        harness.fails("GetPolicy", ["PolicyName": "OSSRead", "PolicyType": "Weird"], status: 400,
                      code: "InvalidParameter.PolicyType")
        harness.fails("GetPolicy", ["PolicyName": "Nope", "PolicyType": "Custom"], status: 404, code: "EntityNotExist.Policy")

        for n in 2...5 {
            let version = harness.ok("CreatePolicyVersion", [
                "PolicyName": "OSSRead", "PolicyDocument": allowPolicy(["oss:GetObject", "oss:ListObjects"]),
                "SetAsDefault": n == 4 ? "true" : "false",
            ])
            #expect(version.string("PolicyVersion.VersionId") == "v\(n)")
        }
        harness.fails("CreatePolicyVersion", ["PolicyName": "OSSRead", "PolicyDocument": documentV1], status: 409,
                      code: "LimitExceeded.Policy.Version")
        harness.fails("CreatePolicyVersion", ["PolicyName": "OSSRead", "PolicyDocument": documentV1,
                                              "RotateStrategy": "Sometimes"],
                      status: 400, code: "InvalidParameter.RotateStrategy")
        let rotated = harness.ok("CreatePolicyVersion", [
            "PolicyName": "OSSRead", "PolicyDocument": documentV1,
            "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded",
        ])
        #expect(rotated.string("PolicyVersion.VersionId") == "v6")
        let versions = harness.ok("ListPolicyVersions", ["PolicyName": "OSSRead", "PolicyType": "Custom"])
        let ids = ((versions["PolicyVersions.PolicyVersion"] as? [[String: Any]]) ?? []).map { $0["VersionId"] as? String }
        #expect(ids == ["v2", "v3", "v4", "v5", "v6"])
        #expect(harness.ok("GetPolicy", ["PolicyName": "OSSRead", "PolicyType": "Custom"]).string("Policy.DefaultVersion") == "v4")

        #expect(harness.ok("GetPolicyVersion", ["PolicyName": "OSSRead", "PolicyType": "Custom", "VersionId": "v6"])
            .string("PolicyVersion.PolicyDocument") == documentV1)
        harness.fails("GetPolicyVersion", ["PolicyName": "OSSRead", "PolicyType": "Custom", "VersionId": "v1"],
                      status: 404, code: "EntityNotExist.Policy.Version")

        harness.ok("SetDefaultPolicyVersion", ["PolicyName": "OSSRead", "VersionId": "v6"])
        harness.fails("SetDefaultPolicyVersion", ["PolicyName": "OSSRead", "VersionId": "v1"], status: 404,
                      code: "EntityNotExist.Policy.Version")
        harness.fails("DeletePolicyVersion", ["PolicyName": "OSSRead", "VersionId": "v6"], status: 409,
                      code: "DeleteConflict.PolicyVersion.Default")
        harness.ok("DeletePolicyVersion", ["PolicyName": "OSSRead", "VersionId": "v2"])

        harness.fails("DeletePolicy", ["PolicyName": "OSSRead"], status: 409, code: "DeleteConflict.Policy.Version")
        harness.ok("CreateRole", ["RoleName": "R", "AssumeRolePolicyDocument": harness.trust(["acs:ram::\(harness.accountId):root"])])
        harness.ok("AttachPolicyToRole", ["RoleName": "R", "PolicyType": "Custom", "PolicyName": "OSSRead"])
        harness.fails("DeletePolicy", ["PolicyName": "OSSRead"], status: 409, code: "DeleteConflict.Policy.Role")
        harness.ok("DeletePolicy", ["PolicyName": "OSSRead", "CascadingDelete": "true"])
        harness.fails("GetPolicy", ["PolicyName": "OSSRead", "PolicyType": "Custom"], status: 404, code: "EntityNotExist.Policy")
        #expect(((harness.ok("ListPoliciesForRole", ["RoleName": "R"])["Policies.Policy"] as? [Any]) ?? [1]).isEmpty)
    }

    @Test func systemPoliciesAreListedAndReadable() throws {
        let harness = try Harness()
        let system = harness.ok("ListPolicies", ["PolicyType": "System"])
        let names = ((system["Policies.Policy"] as? [[String: Any]]) ?? []).compactMap { $0["PolicyName"] as? String }
        for expected in ["AdministratorAccess", "AliyunOSSFullAccess", "AliyunOSSReadOnlyAccess", "AliyunSTSAssumeRoleAccess",
                         "AliyunRAMFullAccess", "AliyunECIFullAccess", "AliyunRAMReadOnlyAccess", "AliyunECIReadOnlyAccess"] {
            #expect(names.contains(expected))
        }
        let sts = harness.ok("GetPolicy", ["PolicyName": "AliyunSTSAssumeRoleAccess", "PolicyType": "System"])
        #expect(sts.string("Policy.PolicyDocument")?.contains("sts:AssumeRole") == true)
        #expect(sts.string("Policy.PolicyType") == "System")
        let version = harness.ok("GetPolicyVersion", ["PolicyName": "AdministratorAccess", "PolicyType": "System",
                                                      "VersionId": "v1"])
        #expect(version["PolicyVersion.IsDefaultVersion"] as? Bool == true)
        harness.fails("GetPolicy", ["PolicyName": "AliyunNothing", "PolicyType": "System"], status: 404,
                      code: "EntityNotExist.Policy")
        harness.fails("CreatePolicyVersion", ["PolicyName": "AdministratorAccess", "PolicyDocument": documentV1],
                      status: 404, code: "EntityNotExist.Policy")
    }

    @Test func listPoliciesPagesAcrossSystemAndCustom() throws {
        let harness = try Harness()
        for name in ["Alpha", "Beta"] { harness.ok("CreatePolicy", ["PolicyName": name, "PolicyDocument": documentV1]) }
        var seen: [String] = []
        var marker: String?
        repeat {
            var parameters = ["MaxItems": "3"]
            if let marker { parameters["Marker"] = marker }
            let page = harness.ok("ListPolicies", parameters)
            seen += ((page["Policies.Policy"] as? [[String: Any]]) ?? []).map {
                "\($0["PolicyType"] as? String ?? "")/\($0["PolicyName"] as? String ?? "")"
            }
            marker = page["IsTruncated"] as? Bool == true ? page.string("Marker") : nil
        } while marker != nil
        #expect(seen.count == 10)
        #expect(Set(seen).count == 10)
        #expect(seen.suffix(2) == ["Custom/Alpha", "Custom/Beta"])
        let custom = harness.ok("ListPolicies", ["PolicyType": "Custom"])
        #expect(((custom["Policies.Policy"] as? [[String: Any]]) ?? []).count == 2)
        harness.fails("ListPolicies", ["Marker": "garbage"], status: 400, code: "InvalidParameter.Marker")
    }

    @Test func attachmentsToUsersAndRoles() throws {
        let harness = try Harness()
        harness.ok("CreatePolicy", ["PolicyName": "OSSRead", "PolicyDocument": documentV1])
        harness.ok("CreateUser", ["UserName": "alice"])
        harness.role("R")
        harness.ok("AttachPolicyToUser", ["UserName": "alice", "PolicyType": "Custom", "PolicyName": "ossread"])
        harness.ok("AttachPolicyToUser", ["UserName": "alice", "PolicyType": "System", "PolicyName": "aliyunramreadonlyaccess"])
        harness.fails("AttachPolicyToUser", ["UserName": "alice", "PolicyType": "Custom", "PolicyName": "OSSRead"],
                      status: 409, code: "EntityAlreadyExists.User.Policy")
        harness.fails("AttachPolicyToUser", ["UserName": "alice", "PolicyType": "Custom", "PolicyName": "Missing"],
                      status: 404, code: "EntityNotExist.Policy")
        harness.fails("AttachPolicyToUser", ["UserName": "alice", "PolicyType": "System", "PolicyName": "Missing"],
                      status: 404, code: "EntityNotExist.Policy")
        harness.fails("AttachPolicyToUser", ["UserName": "nobody", "PolicyType": "Custom", "PolicyName": "OSSRead"],
                      status: 404, code: "EntityNotExist.User")
        harness.fails("AttachPolicyToRole", ["RoleName": "Nope", "PolicyType": "Custom", "PolicyName": "OSSRead"],
                      status: 404, code: "EntityNotExist.Role")
        harness.fails("AttachPolicyToRole", ["RoleName": "R", "PolicyType": "Other", "PolicyName": "OSSRead"],
                      status: 400, code: "InvalidParameter.PolicyType")
        harness.ok("AttachPolicyToRole", ["RoleName": "R", "PolicyType": "Custom", "PolicyName": "OSSRead"])
        harness.fails("AttachPolicyToRole", ["RoleName": "R", "PolicyType": "Custom", "PolicyName": "OSSRead"],
                      status: 409, code: "EntityAlreadyExists.Role.Policy")

        let forUser = harness.ok("ListPoliciesForUser", ["UserName": "alice"])
        let userPolicies = (forUser["Policies.Policy"] as? [[String: Any]]) ?? []
        #expect(Set(userPolicies.compactMap { $0["PolicyName"] as? String }) == ["OSSRead", "AliyunRAMReadOnlyAccess"])
        #expect(userPolicies.allSatisfy { $0["AttachDate"] != nil && $0["DefaultVersion"] != nil })
        harness.fails("ListPoliciesForUser", ["UserName": "nobody"], status: 404, code: "EntityNotExist.User")
        let forRole = harness.ok("ListPoliciesForRole", ["RoleName": "R"])
        #expect(((forRole["Policies.Policy"] as? [[String: Any]]) ?? []).first?["PolicyType"] as? String == "Custom")
        harness.fails("ListPoliciesForRole", ["RoleName": "Nope"], status: 404, code: "EntityNotExist.Role")

        let entities = harness.ok("ListEntitiesForPolicy", ["PolicyName": "OSSRead", "PolicyType": "Custom"])
        #expect(((entities["Users.User"] as? [[String: Any]]) ?? []).first?["UserName"] as? String == "alice")
        #expect(((entities["Roles.Role"] as? [[String: Any]]) ?? []).first?["Arn"] as? String
                == "acs:ram::\(harness.accountId):role/R")
        #expect(harness.ok("GetPolicy", ["PolicyName": "OSSRead", "PolicyType": "Custom"])["Policy.AttachmentCount"] as? Int == 2)
        harness.fails("ListEntitiesForPolicy", ["PolicyName": "Missing", "PolicyType": "Custom"], status: 404,
                      code: "EntityNotExist.Policy")

        harness.ok("DetachPolicyFromUser", ["UserName": "alice", "PolicyType": "Custom", "PolicyName": "OSSRead"])
        harness.fails("DetachPolicyFromUser", ["UserName": "alice", "PolicyType": "Custom", "PolicyName": "OSSRead"],
                      status: 404, code: "EntityNotExist.User.Policy")
        harness.fails("DeleteUser", ["UserName": "alice"], status: 409, code: "DeleteConflict.User.Policy")
        harness.fails("DetachPolicyFromRole", ["RoleName": "R", "PolicyType": "System", "PolicyName": "OSSRead"],
                      status: 404, code: "EntityNotExist.Role.Policy")
    }
}

/// RAM calls are authorized against the caller's current policies.
@Suite struct RAMAuthorizationTests {
    @Test func usersNeedRamPermissions() throws {
        let harness = try Harness()
        let nobody = harness.user("nobody")
        let denied = harness.fails("ListUsers", as: nobody, status: 403, code: "NoPermission")
        #expect(denied.message == "You are not authorized to do this action.")
        let reader = harness.user("reader", system: ["AliyunRAMReadOnlyAccess"])
        harness.ok("ListUsers", as: reader)
        harness.ok("GetUser", ["UserName": "nobody"], as: reader)
        harness.fails("CreateUser", ["UserName": "eve"], as: reader, status: 403, code: "NoPermission")
    }

    @Test func resourceScopedPermissions() throws {
        let harness = try Harness()
        harness.ok("CreatePolicy", ["PolicyName": "ManageAppRoles", "PolicyDocument":
            allowPolicy(["ram:GetRole", "ram:UpdateRole"], resource: "acs:ram:*:\(harness.accountId):role/app-*")])
        let operator_ = harness.user("operator", custom: ["ManageAppRoles"])
        harness.role("app-web")
        harness.role("admin")
        harness.ok("GetRole", ["RoleName": "app-web"], as: operator_)
        harness.fails("GetRole", ["RoleName": "admin"], as: operator_, status: 403, code: "NoPermission")
        harness.fails("ListRoles", as: operator_, status: 403, code: "NoPermission")
        harness.fails("DeleteRole", ["RoleName": "app-web"], as: operator_, status: 403, code: "NoPermission")
    }

    @Test func policyChangesApplyOnTheNextRequest() throws {
        let harness = try Harness()
        let alice = harness.user("alice")
        harness.fails("ListRoles", as: alice, status: 403, code: "NoPermission")
        harness.ok("AttachPolicyToUser", ["UserName": "alice", "PolicyType": "System", "PolicyName": "AliyunRAMReadOnlyAccess"])
        harness.ok("ListRoles", as: alice)
        harness.ok("DetachPolicyFromUser", ["UserName": "alice", "PolicyType": "System", "PolicyName": "AliyunRAMReadOnlyAccess"])
        harness.fails("ListRoles", as: alice, status: 403, code: "NoPermission")

        // A new default version of an attached custom policy applies too.
        harness.ok("CreatePolicy", ["PolicyName": "P", "PolicyDocument": allowPolicy(["ram:GetUser"])])
        harness.ok("AttachPolicyToUser", ["UserName": "alice", "PolicyType": "Custom", "PolicyName": "P"])
        harness.fails("ListRoles", as: alice, status: 403, code: "NoPermission")
        harness.ok("CreatePolicyVersion", ["PolicyName": "P", "PolicyDocument": allowPolicy(["ram:ListRoles"]),
                                           "SetAsDefault": "true"])
        harness.ok("ListRoles", as: alice)
        harness.ok("SetDefaultPolicyVersion", ["PolicyName": "P", "VersionId": "v1"])
        harness.fails("ListRoles", as: alice, status: 403, code: "NoPermission")
    }
}

"""RAM 2015-05-01: the happy paths and every error path of users, access keys, roles, policies, policy
versions and attachments (spec §3), through every SDK flavour where it matters."""
from __future__ import annotations

import json

import pytest

from lanyard_testkit import ISO_Z, ApiError, allow, deny, expect_error, policy_doc, trust_account, trust_doc, unique

SIMPLE = policy_doc(allow("ram:ListUsers"))


# --- users ----------------------------------------------------------------------------------------------


def test_user_lifecycle(lab, flavour):
    c = lab.root(flavour)
    name = unique("life")
    u = c.call("ram", "CreateUser", {"UserName": name, "DisplayName": "Life", "Email": "a@example.com",
                                     "Comments": "hello"})["User"]
    assert u["UserName"] == name and u["UserId"].isdigit() and ISO_Z.match(u["CreateDate"])
    got = c.call("ram", "GetUser", {"UserName": name})["User"]
    assert (got["UserId"], got["DisplayName"], got["Comments"]) == (u["UserId"], "Life", "hello")
    c.call("ram", "UpdateUser", {"UserName": name, "NewDisplayName": "Renamed", "NewComments": "bye"})
    got = c.call("ram", "GetUser", {"UserName": name})["User"]
    assert (got["DisplayName"], got["Comments"]) == ("Renamed", "bye")
    names = [x["UserName"] for x in c.call("ram", "ListUsers", {"MaxItems": 1000})["Users"]["User"]]
    assert name in names
    c.call("ram", "DeleteUser", {"UserName": name})
    expect_error(lambda: c.call("ram", "GetUser", {"UserName": name}), 404, "EntityNotExist.User")


def test_create_user_errors(lab, flavour):
    c = lab.root(flavour)
    name = unique("dup")
    c.call("ram", "CreateUser", {"UserName": name})
    expect_error(lambda: c.call("ram", "CreateUser", {"UserName": name}), 409, "EntityAlreadyExists.User")
    for bad in ("bad name", "bad/name", "x" * 65, "名字"):
        err = expect_error(lambda: c.call("ram", "CreateUser", {"UserName": bad}), 400,
                           ("InvalidParameter.UserName", "InvalidParameter.UserName.InvalidChars",
                            "InvalidParameter.UserName.Length", "InvalidParameter"))
        assert err.code.startswith("InvalidParameter")
    expect_error(lambda: c.call("ram", "GetUser", {"UserName": unique("ghost")}), 404, "EntityNotExist.User")
    expect_error(lambda: c.call("ram", "DeleteUser", {"UserName": unique("ghost")}), 404, "EntityNotExist.User")
    expect_error(lambda: c.call("ram", "UpdateUser", {"UserName": unique("ghost"), "NewComments": "x"}), 404,
                 "EntityNotExist.User")


def test_create_user_without_name(lab):
    err = expect_error(lambda: lab.root("core-v1").call("ram", "CreateUser", {}), 400,
                       ("MissingParameter", "MissingUserName", "InvalidParameter.UserName", "InvalidParameter"))
    assert "UserName" in err.message


# --- access keys ----------------------------------------------------------------------------------------


def test_access_keys(lab, flavour):
    c = lab.root(flavour)
    user = lab.create_user(with_key=False)
    keys = []
    for _ in range(2):
        k = c.call("ram", "CreateAccessKey", {"UserName": user.name})["AccessKey"]
        assert k["Status"] == "Active" and k["AccessKeyId"] and k["AccessKeySecret"] and ISO_Z.match(k["CreateDate"])
        keys.append(k)
    expect_error(lambda: c.call("ram", "CreateAccessKey", {"UserName": user.name}), 409, "LimitExceeded.User.AccessKey")
    listed = c.call("ram", "ListAccessKeys", {"UserName": user.name})["AccessKeys"]["AccessKey"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted(k["AccessKeyId"] for k in keys)
    assert all("AccessKeySecret" not in k for k in listed), "a listed key must not reveal its secret"
    c.call("ram", "DeleteAccessKey", {"UserName": user.name, "UserAccessKeyId": keys[0]["AccessKeyId"]})
    c.call("ram", "CreateAccessKey", {"UserName": user.name})  # room again for a second key
    expect_error(lambda: c.call("ram", "CreateAccessKey", {"UserName": unique("ghost")}), 404, "EntityNotExist.User")
    err = expect_error(lambda: c.call("ram", "DeleteAccessKey", {"UserName": user.name, "UserAccessKeyId": "LTAInope"}),
                       404, ("EntityNotExist.User.AccessKey", "EntityNotExist.AccessKey", "EntityNotExist"))
    assert err.code.startswith("EntityNotExist")
    expect_error(lambda: c.call("ram", "UpdateAccessKey", {"UserName": user.name, "UserAccessKeyId": keys[1]["AccessKeyId"],
                                                          "Status": "Sleepy"}), 400,
                 ("InvalidParameter.Status", "InvalidParameter"))


# --- roles ----------------------------------------------------------------------------------------------


def test_role_lifecycle(lab, flavour):
    c = lab.root(flavour)
    name = unique("role")
    trust = trust_account(lab.account_id)
    r = c.call("ram", "CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": trust,
                                     "Description": "d", "MaxSessionDuration": 7200})["Role"]
    assert r["RoleName"] == name and r["RoleId"].isdigit()
    assert r["Arn"] == f"acs:ram::{lab.account_id}:role/{name}"
    assert r["MaxSessionDuration"] == 7200 and r["Description"] == "d" and ISO_Z.match(r["CreateDate"])
    assert json.loads(r["AssumeRolePolicyDocument"]) == json.loads(trust)
    got = c.call("ram", "GetRole", {"RoleName": name})["Role"]
    assert (got["RoleId"], got["Arn"], got["MaxSessionDuration"]) == (r["RoleId"], r["Arn"], 7200)
    new_trust = trust_doc({"Service": ["ecs.aliyuncs.com"]})
    up = c.call("ram", "UpdateRole", {"RoleName": name, "NewAssumeRolePolicyDocument": new_trust,
                                      "NewMaxSessionDuration": 43200, "NewDescription": "e"})["Role"]
    assert up["MaxSessionDuration"] == 43200 and ISO_Z.match(up["UpdateDate"])
    got = c.call("ram", "GetRole", {"RoleName": name})["Role"]
    assert json.loads(got["AssumeRolePolicyDocument"]) == json.loads(new_trust) and got["Description"] == "e"
    roles = c.call("ram", "ListRoles", {"MaxItems": 1000})["Roles"]["Role"]
    assert name in [x["RoleName"] for x in roles]
    c.call("ram", "DeleteRole", {"RoleName": name})
    expect_error(lambda: c.call("ram", "GetRole", {"RoleName": name}), 404, "EntityNotExist.Role")


def test_default_max_session_duration(lab):
    r = lab.admin.call("ram", "CreateRole", {"RoleName": unique("def"),
                                             "AssumeRolePolicyDocument": trust_account(lab.account_id)})["Role"]
    assert r["MaxSessionDuration"] == 3600


def test_create_role_errors(lab, flavour):
    c = lab.root(flavour)
    name = unique("rdup")
    trust = trust_account(lab.account_id)
    c.call("ram", "CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": trust})
    expect_error(lambda: c.call("ram", "CreateRole", {"RoleName": name, "AssumeRolePolicyDocument": trust}), 409,
                 "EntityAlreadyExists.Role")
    for bad in (3599, 43201, 0):
        err = expect_error(lambda: c.call("ram", "CreateRole", {"RoleName": unique("rmax"), "AssumeRolePolicyDocument": trust,
                                                               "MaxSessionDuration": bad}), 400,
                           ("InvalidParameter.MaxSessionDuration", "InvalidParameter"))
        assert err.code.startswith("InvalidParameter")
    for doc in ("{", "[]", json.dumps({"Version": "2", "Statement": []}),
                json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
                json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                           "Principal": {"Planet": ["mars"]}}]})):
        expect_error(lambda: c.call("ram", "CreateRole", {"RoleName": unique("rdoc"), "AssumeRolePolicyDocument": doc}),
                     400, "MalformedPolicyDocument")
    expect_error(lambda: c.call("ram", "CreateRole", {"RoleName": "bad role!", "AssumeRolePolicyDocument": trust}), 400,
                 "InvalidParameter.RoleName.InvalidChars")
    expect_error(lambda: c.call("ram", "CreateRole", {"RoleName": "r" * 65, "AssumeRolePolicyDocument": trust}), 400,
                 "InvalidParameter.RoleName.Length")


def test_role_missing_and_update_errors(lab, flavour):
    c = lab.root(flavour)
    ghost = unique("ghost")
    expect_error(lambda: c.call("ram", "GetRole", {"RoleName": ghost}), 404, "EntityNotExist.Role")
    expect_error(lambda: c.call("ram", "DeleteRole", {"RoleName": ghost}), 404, "EntityNotExist.Role")
    expect_error(lambda: c.call("ram", "UpdateRole", {"RoleName": ghost, "NewDescription": "x"}), 404, "EntityNotExist.Role")
    role = lab.create_role(trust_account(lab.account_id))
    expect_error(lambda: c.call("ram", "UpdateRole", {"RoleName": role.name, "NewMaxSessionDuration": 50000}), 400,
                 ("InvalidParameter.MaxSessionDuration", "InvalidParameter.NewMaxSessionDuration", "InvalidParameter"))
    expect_error(lambda: c.call("ram", "UpdateRole", {"RoleName": role.name, "NewAssumeRolePolicyDocument": "{"}), 400,
                 "MalformedPolicyDocument")


def test_delete_role_with_attached_policy(lab, flavour):
    c = lab.root(flavour)
    role = lab.create_role(trust_account(lab.account_id), ["AliyunOSSReadOnlyAccess"])
    expect_error(lambda: c.call("ram", "DeleteRole", {"RoleName": role.name}), 409, "DeleteConflict.Role.Policy")
    assert c.call("ram", "GetRole", {"RoleName": role.name})["Role"]["RoleId"] == role.role_id
    c.call("ram", "DetachPolicyFromRole", {"PolicyType": "System", "PolicyName": "AliyunOSSReadOnlyAccess",
                                           "RoleName": role.name})
    c.call("ram", "DeleteRole", {"RoleName": role.name})
    expect_error(lambda: c.call("ram", "GetRole", {"RoleName": role.name}), 404, "EntityNotExist.Role")


# --- policies and versions ------------------------------------------------------------------------------


def test_policy_lifecycle(lab, flavour):
    c = lab.root(flavour)
    name = unique("pol")
    p = c.call("ram", "CreatePolicy", {"PolicyName": name, "PolicyDocument": SIMPLE, "Description": "desc"})["Policy"]
    assert (p["PolicyName"], p["PolicyType"], p["DefaultVersion"]) == (name, "Custom", "v1")
    got = c.call("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"})
    assert got["Policy"]["DefaultVersion"] == "v1"
    assert json.loads(got["DefaultPolicyVersion"]["PolicyDocument"]) == json.loads(SIMPLE)
    v = c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": policy_doc(allow("ram:ListRoles")),
                                              "SetAsDefault": True})["PolicyVersion"]
    assert v["VersionId"] == "v2" and v["IsDefaultVersion"] is True
    assert c.call("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"})["Policy"]["DefaultVersion"] == "v2"
    gv = c.call("ram", "GetPolicyVersion", {"PolicyName": name, "PolicyType": "Custom", "VersionId": "v1"})["PolicyVersion"]
    assert gv["IsDefaultVersion"] is False and json.loads(gv["PolicyDocument"]) == json.loads(SIMPLE)
    c.call("ram", "SetDefaultPolicyVersion", {"PolicyName": name, "VersionId": "v1"})
    c.call("ram", "DeletePolicyVersion", {"PolicyName": name, "VersionId": "v2"})
    versions = c.call("ram", "ListPolicyVersions", {"PolicyName": name, "PolicyType": "Custom"})
    assert [x["VersionId"] for x in versions["PolicyVersions"]["PolicyVersion"]] == ["v1"]
    listed = c.call("ram", "ListPolicies", {"PolicyType": "Custom", "MaxItems": 1000})["Policies"]["Policy"]
    assert name in [x["PolicyName"] for x in listed]
    c.call("ram", "DeletePolicy", {"PolicyName": name})
    expect_error(lambda: c.call("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"}), 404,
                 "EntityNotExist.Policy")


def test_set_as_default_false_keeps_default(lab, flavour):
    c = lab.root(flavour)
    name = lab.create_policy(SIMPLE)
    v = c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": SIMPLE, "SetAsDefault": False})
    assert v["PolicyVersion"]["IsDefaultVersion"] is False
    assert c.call("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"})["Policy"]["DefaultVersion"] == "v1"


def test_system_policies_exist(lab):
    listed = lab.admin.call("ram", "ListPolicies", {"PolicyType": "System", "MaxItems": 1000})["Policies"]["Policy"]
    names = {x["PolicyName"] for x in listed}
    for required in ("AdministratorAccess", "AliyunOSSFullAccess", "AliyunOSSReadOnlyAccess",
                     "AliyunSTSAssumeRoleAccess", "AliyunRAMFullAccess", "AliyunECIFullAccess"):
        assert required in names, required
        got = lab.admin.call("ram", "GetPolicy", {"PolicyName": required, "PolicyType": "System"})
        assert got["Policy"]["PolicyType"] == "System"
        json.loads(got["DefaultPolicyVersion"]["PolicyDocument"])


@pytest.mark.parametrize("doc", [
    "{not json", "[]", "null", json.dumps({"Statement": [allow("ram:ListUsers")]}),
    json.dumps({"Version": "2", "Statement": [allow("ram:ListUsers")]}),
    json.dumps({"Version": "1", "Statement": [{"Action": "ram:ListUsers", "Resource": "*"}]}),
    json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
    json.dumps({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "x", "NotAction": "y", "Resource": "*"}]}),
    json.dumps({"Version": "1", "Statement": [allow("ram:ListUsers", Condition={"Foo": {"acs:SourceIp": "1.1.1.1"}})]}),
    json.dumps({"Version": "1", "Statement": [allow("ram:ListUsers", Condition={"IpAddress": {"acs:SourceIp": "not-an-ip"}})]}),
    json.dumps({"Version": "1", "Statement": "nope"}),
])
def test_malformed_policy_document(lab, flavour, doc):
    expect_error(lambda: lab.root(flavour).call("ram", "CreatePolicy", {"PolicyName": unique("bad"), "PolicyDocument": doc}),
                 400, "MalformedPolicyDocument")
    lab.alive()


def test_create_policy_errors(lab, flavour):
    c = lab.root(flavour)
    name = lab.create_policy(SIMPLE)
    expect_error(lambda: c.call("ram", "CreatePolicy", {"PolicyName": name, "PolicyDocument": SIMPLE}), 409,
                 "EntityAlreadyExists.Policy")
    for bad in ("bad_name", "bad name", "p" * 129):
        err = expect_error(lambda: c.call("ram", "CreatePolicy", {"PolicyName": bad, "PolicyDocument": SIMPLE}), 400,
                           ("InvalidParameter.PolicyName.InvalidChars", "InvalidParameter.PolicyName.Length",
                            "InvalidParameter.PolicyName"))
        assert err.code.startswith("InvalidParameter.PolicyName")
    expect_error(lambda: c.call("ram", "GetPolicy", {"PolicyName": unique("ghost"), "PolicyType": "Custom"}), 404,
                 "EntityNotExist.Policy")
    expect_error(lambda: c.call("ram", "DeletePolicy", {"PolicyName": unique("ghost")}), 404, "EntityNotExist.Policy")


def test_policy_version_limit_and_rotation(lab, flavour):
    c = lab.root(flavour)
    name = lab.create_policy(SIMPLE)
    for i in range(2, 6):
        assert c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": SIMPLE})[
            "PolicyVersion"]["VersionId"] == f"v{i}"
    expect_error(lambda: c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": SIMPLE}), 409,
                 "LimitExceeded.Policy.Version")
    expect_error(lambda: c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": SIMPLE,
                                                              "RotateStrategy": "None"}), 409, "LimitExceeded.Policy.Version")
    v = c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": SIMPLE,
                                              "RotateStrategy": "DeleteOldestNonDefaultVersionWhenLimitExceeded"})
    assert v["PolicyVersion"]["VersionId"] == "v6"
    ids = sorted(x["VersionId"] for x in c.call("ram", "ListPolicyVersions", {"PolicyName": name, "PolicyType": "Custom"})[
        "PolicyVersions"]["PolicyVersion"])
    assert ids == ["v1", "v3", "v4", "v5", "v6"]  # v1 is the default and stays; the oldest other, v2, went
    expect_error(lambda: c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": SIMPLE,
                                                              "RotateStrategy": "Sideways"}), 400,
                 ("InvalidParameter.RotateStrategy", "InvalidParameter"))
    expect_error(lambda: c.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": "{"}), 400,
                 "MalformedPolicyDocument")
    expect_error(lambda: c.call("ram", "CreatePolicyVersion", {"PolicyName": unique("ghost"), "PolicyDocument": SIMPLE}),
                 404, "EntityNotExist.Policy")


def test_policy_version_errors(lab, flavour):
    c = lab.root(flavour)
    name = lab.create_policy(SIMPLE)
    # the default version cannot be deleted; the spec names no code, any 409 DeleteConflict.* will do
    with pytest.raises(ApiError) as info:
        c.call("ram", "DeletePolicyVersion", {"PolicyName": name, "VersionId": "v1"})
    assert info.value.status == 409 and info.value.code.startswith("DeleteConflict."), info.value
    assert c.call("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"})["Policy"]["DefaultVersion"] == "v1"
    expect_error(lambda: c.call("ram", "GetPolicyVersion", {"PolicyName": name, "PolicyType": "Custom", "VersionId": "v9"}),
                 404, ("EntityNotExist.Policy.Version", "EntityNotExist.PolicyVersion"))
    expect_error(lambda: c.call("ram", "SetDefaultPolicyVersion", {"PolicyName": name, "VersionId": "v9"}), 404,
                 ("EntityNotExist.Policy.Version", "EntityNotExist.PolicyVersion"))


# --- attachments ----------------------------------------------------------------------------------------


def test_attachments_and_listings(lab, flavour):
    c = lab.root(flavour)
    policy = lab.create_policy(SIMPLE)
    user = lab.create_user(with_key=False)
    role = lab.create_role(trust_account(lab.account_id))
    c.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": policy, "UserName": user.name})
    c.call("ram", "AttachPolicyToUser", {"PolicyType": "System", "PolicyName": "AliyunOSSFullAccess", "UserName": user.name})
    c.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": policy, "RoleName": role.name})
    up = c.call("ram", "ListPoliciesForUser", {"UserName": user.name})["Policies"]["Policy"]
    assert sorted((p["PolicyName"], p["PolicyType"]) for p in up) == sorted(
        [(policy, "Custom"), ("AliyunOSSFullAccess", "System")])
    rp = c.call("ram", "ListPoliciesForRole", {"RoleName": role.name})["Policies"]["Policy"]
    assert [(p["PolicyName"], p["PolicyType"]) for p in rp] == [(policy, "Custom")]
    assert ISO_Z.match(rp[0]["AttachDate"])
    ent = c.call("ram", "ListEntitiesForPolicy", {"PolicyName": policy, "PolicyType": "Custom"})
    assert [u["UserName"] for u in ent["Users"]["User"]] == [user.name]
    assert [r["RoleName"] for r in ent["Roles"]["Role"]] == [role.name]
    assert c.call("ram", "GetPolicy", {"PolicyName": policy, "PolicyType": "Custom"})["Policy"]["AttachmentCount"] == 2
    c.call("ram", "DetachPolicyFromUser", {"PolicyType": "Custom", "PolicyName": policy, "UserName": user.name})
    up = c.call("ram", "ListPoliciesForUser", {"UserName": user.name})["Policies"]["Policy"]
    assert [p["PolicyName"] for p in up] == ["AliyunOSSFullAccess"]


def test_attach_errors(lab, flavour):
    c = lab.root(flavour)
    policy = lab.create_policy(SIMPLE)
    user = lab.create_user(with_key=False)
    role = lab.create_role(trust_account(lab.account_id))
    ghost = unique("ghost")
    expect_error(lambda: c.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": ghost,
                                                             "UserName": user.name}), 404, "EntityNotExist.Policy")
    expect_error(lambda: c.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": ghost,
                                                             "RoleName": role.name}), 404, "EntityNotExist.Policy")
    expect_error(lambda: c.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": "AliyunOSSFullAccess",
                                                             "UserName": user.name}), 404, "EntityNotExist.Policy")
    expect_error(lambda: c.call("ram", "AttachPolicyToUser", {"PolicyType": "System", "PolicyName": policy,
                                                             "UserName": user.name}), 404, "EntityNotExist.Policy")
    expect_error(lambda: c.call("ram", "AttachPolicyToUser", {"PolicyType": "Weird", "PolicyName": policy,
                                                             "UserName": user.name}), 400, "InvalidParameter.PolicyType")
    expect_error(lambda: c.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": policy,
                                                             "UserName": ghost}), 404, "EntityNotExist.User")
    expect_error(lambda: c.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": policy,
                                                             "RoleName": ghost}), 404, "EntityNotExist.Role")
    c.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": policy, "UserName": user.name})
    expect_error(lambda: c.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": policy,
                                                             "UserName": user.name}), 409, "EntityAlreadyExists.User.Policy")
    c.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": policy, "RoleName": role.name})
    expect_error(lambda: c.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": policy,
                                                             "RoleName": role.name}), 409, "EntityAlreadyExists.Role.Policy")
    expect_error(lambda: c.call("ram", "DeletePolicy", {"PolicyName": policy}), 409,
                 ("DeleteConflict.Policy.User", "DeleteConflict.Policy.Role"))
    c.call("ram", "DetachPolicyFromUser", {"PolicyType": "Custom", "PolicyName": policy, "UserName": user.name})
    expect_error(lambda: c.call("ram", "DeletePolicy", {"PolicyName": policy}), 409, "DeleteConflict.Policy.Role")
    c.call("ram", "DetachPolicyFromRole", {"PolicyType": "Custom", "PolicyName": policy, "RoleName": role.name})
    c.call("ram", "DeletePolicy", {"PolicyName": policy})


def test_detach_errors(lab):
    c = lab.admin
    policy = lab.create_policy(SIMPLE)
    user = lab.create_user(with_key=False)
    err = expect_error(lambda: c.call("ram", "DetachPolicyFromUser", {"PolicyType": "Custom", "PolicyName": policy,
                                                                     "UserName": user.name}), 404,
                       ("EntityNotExist.User.Policy", "EntityNotExist.Policy", "EntityNotExist.Attachment"))
    assert err.code.startswith("EntityNotExist")
    # a missing role or user is named as such, as AttachPolicyTo* and GetRole/GetUser do (spec §3.2)
    expect_error(lambda: c.call("ram", "DetachPolicyFromRole", {"PolicyType": "Custom", "PolicyName": policy,
                                                               "RoleName": unique("ghost")}), 404, "EntityNotExist.Role")
    expect_error(lambda: c.call("ram", "DetachPolicyFromUser", {"PolicyType": "Custom", "PolicyName": policy,
                                                               "UserName": unique("ghost")}), 404, "EntityNotExist.User")


def test_deny_policy_documents_are_accepted(lab):
    """Valid documents using the full language are accepted (so the refusals above are about malformation)."""
    doc = json.dumps({"Version": "1", "Statement": [
        deny("ram:*", "*", Condition={"NotIpAddress": {"acs:SourceIp": ["10.0.0.0/8", "127.0.0.1"]}}),
        {"Effect": "Allow", "NotAction": ["ram:Delete*"], "Resource": ["acs:ram:*:*:user/*"],
         "Condition": {"Bool": {"acs:SecureTransport": "false"}, "DateLessThan": {"acs:CurrentTime": "2099-01-01T00:00:00Z"},
                       "StringLike": {"acs:UserAgent": "*"}, "NumericLessThanEquals": {"ram:Foo": "3"}}},
    ]})
    lab.create_policy(doc)


def test_large_valid_policy_document_is_accepted(lab, flavour):
    """Within every documented size limit (2048/4096/6144): accepted, stored and returned unchanged."""
    doc = policy_doc(*[allow(f"ram:GetUser{i:03d}", f"acs:ram:*:{lab.account_id}:user/u{i}") for i in range(19)])
    assert 1500 < len(doc) <= 2048
    name = unique("large")
    lab.root(flavour).call("ram", "CreatePolicy", {"PolicyName": name, "PolicyDocument": doc})
    got = lab.admin.call("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"})
    assert json.loads(got["DefaultPolicyVersion"]["PolicyDocument"]) == json.loads(doc)

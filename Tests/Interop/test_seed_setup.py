"""The seed's setup (seed/eci-ram-role.txt) end to end, with the seed's own documents, each step through a
different SDK flavour: role ECIRamRoleTest trusting ecs.aliyuncs.com, a custom OSS policy attached to it,
and a RAM user holding the PassRole policy with an AccessKey of its own."""
from __future__ import annotations

import json

from lanyard_testkit import SEED_PASSROLE_POLICY, SEED_TRUST_POLICY, allow, expect_error, policy_doc, trust_account, unique


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def test_seed_setup(lab):
    trust = read(SEED_TRUST_POLICY)
    passrole = read(SEED_PASSROLE_POLICY)
    v1, v3, tv1 = lab.root("core-v1"), lab.root("tea-v3"), lab.root("tea-v1")

    # 1. the role, trusted entity "Alibaba Cloud Service" / Elastic Compute Service (core SDK, V1)
    role = v1.call("ram", "CreateRole", {"RoleName": "ECIRamRoleTest", "AssumeRolePolicyDocument": trust,
                                         "Description": "RAM role for ECI pods"})["Role"]
    assert role["Arn"] == f"acs:ram::{lab.account_id}:role/ECIRamRoleTest"

    # 2. a custom policy (tea, V3) and 3. attach it to the role (tea, V1)
    oss_policy = unique("eci-oss-read")
    oss_doc = policy_doc(allow(["oss:GetObject", "oss:ListObjects"], ["acs:oss:*:*:eci-bucket", "acs:oss:*:*:eci-bucket/*"]))
    v3.call("ram", "CreatePolicy", {"PolicyName": oss_policy, "PolicyDocument": oss_doc,
                                    "Description": "what the pod may read"})
    tv1.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": oss_policy, "RoleName": "ECIRamRoleTest"})

    # 4. (optional in the seed) a RAM user who may pass the role, with its own AccessKey
    user_name = unique("eci-operator")
    user = v1.call("ram", "CreateUser", {"UserName": user_name, "DisplayName": "ECI operator"})["User"]
    passrole_policy = unique("eci-passrole")
    tv1.call("ram", "CreatePolicy", {"PolicyName": passrole_policy, "PolicyDocument": passrole})
    v3.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": passrole_policy, "UserName": user_name})
    key = v1.call("ram", "CreateAccessKey", {"UserName": user_name})["AccessKey"]

    # the state each SDK now reads back
    got = tv1.call("ram", "GetRole", {"RoleName": "ECIRamRoleTest"})["Role"]
    assert json.loads(got["AssumeRolePolicyDocument"]) == json.loads(trust)
    assert got["MaxSessionDuration"] == 3600 and got["RoleId"] == role["RoleId"]
    role_policies = v1.call("ram", "ListPoliciesForRole", {"RoleName": "ECIRamRoleTest"})["Policies"]["Policy"]
    assert [(p["PolicyName"], p["PolicyType"]) for p in role_policies] == [(oss_policy, "Custom")]
    user_policies = v3.call("ram", "ListPoliciesForUser", {"UserName": user_name})["Policies"]["Policy"]
    assert [(p["PolicyName"], p["PolicyType"]) for p in user_policies] == [(passrole_policy, "Custom")]
    entities = tv1.call("ram", "ListEntitiesForPolicy", {"PolicyName": oss_policy, "PolicyType": "Custom"})
    assert [r["RoleName"] for r in entities["Roles"]["Role"]] == ["ECIRamRoleTest"]
    version = v3.call("ram", "GetPolicyVersion", {"PolicyName": passrole_policy, "PolicyType": "Custom", "VersionId": "v1"})
    assert json.loads(version["PolicyVersion"]["PolicyDocument"]) == json.loads(passrole)

    # the user's key works, and it identifies the user
    me = lab.client("tea-v3", key["AccessKeyId"], key["AccessKeySecret"]).call("sts", "GetCallerIdentity")
    assert (me["IdentityType"], me["UserId"]) == ("RAMUser", user["UserId"])

    # PassRole is not AssumeRole: neither the operator nor a user with sts:AssumeRole may assume a role that
    # only ECS trusts, and root may not assume roles at all
    operator = lab.client("core-v1", key["AccessKeyId"], key["AccessKeySecret"])
    expect_error(lambda: operator.call("sts", "AssumeRole", {"RoleArn": role["Arn"], "RoleSessionName": "op"}), 403,
                 "NoPermission")
    assumer = lab.assumer()
    expect_error(lambda: lab.assume(assumer, role["Arn"]), 403, "NoPermission")
    expect_error(lambda: v3.call("sts", "AssumeRole", {"RoleArn": role["Arn"], "RoleSessionName": "root"}), 403,
                 "NoPermission")
    # the PassRole policy grants nothing in RAM itself
    expect_error(lambda: operator.call("ram", "GetRole", {"RoleName": "ECIRamRoleTest"}), 403, "NoPermission")


def test_seed_like_role_trusting_the_account(lab):
    """The same shape with a trust the account's users can use: the session gets the attached policy only."""
    role = lab.create_role(trust_account(lab.account_id), documents=[policy_doc(allow("ram:GetRole"))])
    creds = lab.assume(lab.assumer(), role, "pod-session")
    client = lab.session_client("tea-v1", creds)
    assert client.call("ram", "GetRole", {"RoleName": role.name})["Role"]["RoleId"] == role.role_id
    expect_error(lambda: client.call("ram", "ListRoles"), 403, "NoPermission")

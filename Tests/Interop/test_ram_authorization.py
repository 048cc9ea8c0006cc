"""RAM calls are themselves authorized: root may do everything, a RAM user needs `ram:<Action>` allowed by
its current policies, else 403 NoPermission (issue-2 §3, spec §3.4, §4.3)."""
from __future__ import annotations

import json

import pytest

from lanyard_testkit import allow, deny, expect_error, policy_doc, trust_account, unique


def no_permission(fn):
    err = expect_error(fn, 403, "NoPermission")
    assert "not authorized" in err.message.lower(), err.message
    return err


def test_user_without_ram_permission(lab, flavour):
    user = lab.create_user(["AliyunOSSFullAccess"])
    c = lab.user_client(flavour, user)
    no_permission(lambda: c.call("ram", "CreateUser", {"UserName": unique("nope")}))
    no_permission(lambda: c.call("ram", "ListUsers"))
    no_permission(lambda: c.call("ram", "GetUser", {"UserName": user.name}))
    no_permission(lambda: c.call("ram", "CreateAccessKey", {"UserName": user.name}))
    # the refused create really did not happen
    assert c.call("sts", "GetCallerIdentity")["UserId"] == user.user_id


@pytest.mark.parametrize("policy", ["AliyunRAMFullAccess", "AdministratorAccess"])
def test_user_with_full_access(lab, flavour, policy):
    user = lab.create_user([policy])
    c = lab.user_client(flavour, user)
    name = unique("made")
    c.call("ram", "CreateUser", {"UserName": name})
    assert lab.admin.call("ram", "GetUser", {"UserName": name})["User"]["UserName"] == name
    assert name in [u["UserName"] for u in c.call("ram", "ListUsers", {"MaxItems": 1000})["Users"]["User"]]
    role = c.call("ram", "CreateRole", {"RoleName": unique("made"), "AssumeRolePolicyDocument": trust_account(lab.account_id)})
    assert role["Role"]["RoleId"]


def test_explicit_deny_beats_full_access(lab):
    user = lab.create_user(["AliyunRAMFullAccess"], [policy_doc(deny("ram:CreateUser"))])
    c = lab.user_client("core-v1", user)
    no_permission(lambda: c.call("ram", "CreateUser", {"UserName": unique("nope")}))
    c.call("ram", "ListUsers")


def test_resource_scoped_permission(lab):
    alice = lab.create_user(with_key=False)
    bob = lab.create_user(with_key=False)
    reader = lab.create_user(documents=[policy_doc(allow("ram:GetUser", f"acs:ram:*:{lab.account_id}:user/{alice.name}"))])
    c = lab.user_client("tea-v3", reader)
    assert c.call("ram", "GetUser", {"UserName": alice.name})["User"]["UserId"] == alice.user_id
    no_permission(lambda: c.call("ram", "GetUser", {"UserName": bob.name}))


def test_wildcard_actions(lab):
    user = lab.create_user(documents=[policy_doc(allow(["ram:List*", "ram:Get?ser"]))])
    c = lab.user_client("tea-v1", user)
    c.call("ram", "ListRoles")
    c.call("ram", "ListPolicies")
    c.call("ram", "GetUser", {"UserName": user.name})
    no_permission(lambda: c.call("ram", "GetRole", {"RoleName": unique("any")}))
    no_permission(lambda: c.call("ram", "CreateUser", {"UserName": unique("nope")}))


def test_not_action_allow(lab):
    user = lab.create_user(documents=[json.dumps({"Version": "1", "Statement": [
        {"Effect": "Allow", "NotAction": ["ram:CreateUser", "ram:Delete*"], "Resource": "*"}]})])
    c = lab.user_client("core-v1", user)
    c.call("ram", "ListUsers")
    no_permission(lambda: c.call("ram", "CreateUser", {"UserName": unique("nope")}))
    no_permission(lambda: c.call("ram", "DeleteUser", {"UserName": user.name}))


@pytest.mark.parametrize("cidr,allowed", [("127.0.0.0/8", True), ("10.0.0.0/8", False), ("127.0.0.1", True)])
def test_source_ip_condition(lab, cidr, allowed):
    user = lab.create_user(documents=[policy_doc(allow("ram:ListUsers", Condition={"IpAddress": {"acs:SourceIp": cidr}}))])
    c = lab.user_client("tea-v3", user)
    if allowed:
        c.call("ram", "ListUsers")
    else:
        no_permission(lambda: c.call("ram", "ListUsers"))


@pytest.mark.parametrize("secure,allowed", [("true", False), ("false", True)])
def test_secure_transport_condition(lab, secure, allowed):
    """The suite talks plain http, so acs:SecureTransport is false."""
    user = lab.create_user(documents=[policy_doc(allow("ram:ListUsers", Condition={"Bool": {"acs:SecureTransport": secure}}))])
    c = lab.user_client("core-v1", user)
    if allowed:
        c.call("ram", "ListUsers")
    else:
        no_permission(lambda: c.call("ram", "ListUsers"))


def test_current_time_condition(lab):
    past = policy_doc(allow("ram:ListUsers", Condition={"DateLessThan": {"acs:CurrentTime": "2001-01-01T00:00:00Z"}}))
    future = policy_doc(allow("ram:ListRoles", Condition={"DateLessThan": {"acs:CurrentTime": "2099-01-01T00:00:00Z"}}))
    user = lab.create_user(documents=[past, future])
    c = lab.user_client("tea-v3", user)
    no_permission(lambda: c.call("ram", "ListUsers"))
    c.call("ram", "ListRoles")


def test_policy_versions_change_permissions_on_the_next_call(lab, flavour):
    policy = lab.create_policy(policy_doc(allow("ram:ListUsers")))
    user = lab.create_user([("Custom", policy)])
    c = lab.user_client(flavour, user)
    c.call("ram", "ListUsers")
    no_permission(lambda: c.call("ram", "ListRoles"))

    lab.admin.call("ram", "CreatePolicyVersion", {"PolicyName": policy, "PolicyDocument": policy_doc(allow("ram:ListRoles"))})
    c.call("ram", "ListUsers")  # v2 is not the default yet
    no_permission(lambda: c.call("ram", "ListRoles"))

    lab.admin.call("ram", "SetDefaultPolicyVersion", {"PolicyName": policy, "VersionId": "v2"})
    c.call("ram", "ListRoles")
    no_permission(lambda: c.call("ram", "ListUsers"))

    lab.admin.call("ram", "SetDefaultPolicyVersion", {"PolicyName": policy, "VersionId": "v1"})
    c.call("ram", "ListUsers")
    no_permission(lambda: c.call("ram", "ListRoles"))

    lab.admin.call("ram", "CreatePolicyVersion", {"PolicyName": policy, "SetAsDefault": True,
                                                  "PolicyDocument": policy_doc(allow(["ram:ListRoles", "ram:ListUsers"]))})
    c.call("ram", "ListRoles")
    c.call("ram", "ListUsers")


def test_attach_and_detach_take_effect_immediately(lab):
    user = lab.create_user()
    c = lab.user_client("tea-v3", user)
    no_permission(lambda: c.call("ram", "ListRoles"))
    lab.admin.call("ram", "AttachPolicyToUser", {"PolicyType": "System", "PolicyName": "AliyunRAMFullAccess",
                                                 "UserName": user.name})
    c.call("ram", "ListRoles")
    lab.admin.call("ram", "DetachPolicyFromUser", {"PolicyType": "System", "PolicyName": "AliyunRAMFullAccess",
                                                   "UserName": user.name})
    no_permission(lambda: c.call("ram", "ListRoles"))


def test_user_can_manage_only_what_it_is_allowed(lab):
    """A user allowed only CreateUser cannot give itself more power."""
    user = lab.create_user(documents=[policy_doc(allow("ram:CreateUser"))])
    c = lab.user_client("core-v1", user)
    c.call("ram", "CreateUser", {"UserName": unique("ok")})
    no_permission(lambda: c.call("ram", "AttachPolicyToUser", {"PolicyType": "System", "PolicyName": "AdministratorAccess",
                                                              "UserName": user.name}))
    no_permission(lambda: c.call("ram", "CreatePolicy", {"PolicyName": unique("p"), "PolicyDocument": policy_doc(allow("*"))}))

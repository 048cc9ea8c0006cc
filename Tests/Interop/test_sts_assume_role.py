"""STS AssumeRole and GetCallerIdentity through every SDK flavour (spec §2.1–§2.3)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from lanyard_testkit import (ISO_Z, CoreClient, allow, deny, expect_error, parse_iso_z, policy_doc,
                             role_session_arn_ok, trust_account, trust_doc, unique)


# --- success ---------------------------------------------------------------------------------------------


def test_assume_role_response_shape(lab, flavour):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    session = unique("sess")
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out = lab.user_client(flavour, user).call("sts", "AssumeRole", {
        "RoleArn": role.arn, "RoleSessionName": session, "DurationSeconds": 900})

    assert out["RequestId"]
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("STS.") and len(c["AccessKeyId"]) > len("STS.") + 8
    assert c["AccessKeySecret"] and c["SecurityToken"]
    assert ISO_Z.match(c["Expiration"]), c["Expiration"]
    lifetime = (parse_iso_z(c["Expiration"]) - before).total_seconds()
    assert 890 <= lifetime <= 910, f"Expiration {c['Expiration']} is not DurationSeconds=900 from now"
    aru = out["AssumedRoleUser"]
    assert aru["AssumedRoleId"] == f"{role.role_id}:{session}"
    assert role_session_arn_ok(aru["Arn"], lab.account_id, role.name, session), aru["Arn"]


def test_default_duration_is_3600_and_max_session_duration_is_honoured(lab):
    role = lab.create_role(trust_account(lab.account_id), max_session_duration=7200)
    user = lab.assumer()
    now = dt.datetime.now(dt.timezone.utc)
    default = lab.assume(user, role)
    assert 3590 <= (parse_iso_z(default.expiration) - now).total_seconds() <= 3610
    longest = lab.assume(user, role, DurationSeconds=7200)
    assert 7190 <= (parse_iso_z(longest.expiration) - now).total_seconds() <= 7210


@pytest.mark.parametrize("caller_flavour", ["core-v1", "tea-v3", "tea-v1"])
def test_get_caller_identity_with_sts_credentials(lab, flavour, caller_flavour):
    """Credentials issued through one flavour are used through another (both directions, all pairs)."""
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    session = unique("who")
    creds = lab.assume(user, role, session, flavour=flavour)
    out = lab.session_client(caller_flavour, creds).call("sts", "GetCallerIdentity")
    assert out["IdentityType"] == "AssumedRoleUser"
    assert out["AccountId"] == lab.account_id
    assert out["RoleId"] == role.role_id
    assert out["PrincipalId"] == f"{role.role_id}:{session}"
    assert role_session_arn_ok(out["Arn"], lab.account_id, role.name, session), out["Arn"]
    assert not out.get("UserId"), "UserId is for accounts and RAM users only (spec §2.3)"


def test_get_caller_identity_for_root_and_user(lab, flavour):
    root = lab.root(flavour).call("sts", "GetCallerIdentity")
    assert root["IdentityType"] == "Account"
    assert root["AccountId"] == lab.account_id
    assert root["RequestId"]

    user = lab.create_user()
    me = lab.user_client(flavour, user).call("sts", "GetCallerIdentity")
    assert me["IdentityType"] == "RAMUser"
    assert me["AccountId"] == lab.account_id
    assert me["UserId"] == user.user_id
    assert me["PrincipalId"] == user.user_id
    assert me["Arn"] == f"acs:ram::{lab.account_id}:user/{user.name}"


def test_role_session_can_assume_a_role_that_trusts_it(lab):
    """A role session is a valid AssumeRole caller; trust by `role/<name>` matches it (spec §4.3)."""
    first = lab.create_role(trust_account(lab.account_id), ["AliyunSTSAssumeRoleAccess"])
    second = lab.create_role(trust_doc({"RAM": [f"acs:ram::{lab.account_id}:role/{first.name}"]}))
    user = lab.assumer()
    hop1 = lab.assume(user, first)
    out = lab.session_client("core-v1", hop1).call("sts", "AssumeRole", {
        "RoleArn": second.arn, "RoleSessionName": "hop2"})
    c = out["Credentials"]
    who = lab.client("tea-v3", c["AccessKeyId"], c["AccessKeySecret"], c["SecurityToken"]).call(
        "sts", "GetCallerIdentity")
    assert who["RoleId"] == second.role_id
    # ... and the user itself is not trusted by the second role
    expect_error(lambda: lab.assume(user, second), 403, "NoPermission")


def test_trust_policy_naming_one_user(lab):
    alice, bob = lab.assumer(), lab.assumer()
    role = lab.create_role(trust_doc({"RAM": [f"acs:ram::{lab.account_id}:user/{alice.name}"]}))
    assert lab.assume(alice, role).access_key_id.startswith("STS.")
    expect_error(lambda: lab.assume(bob, role), 403, "NoPermission")


def test_core_sdk_ram_role_arn_signer(lab):
    """aliyun-python-sdk-core's own RamRoleArnCredential: it calls AssumeRole itself, then signs with it."""
    from aliyunsdkcore.auth.credentials import RamRoleArnCredential
    from aliyunsdkcore.client import AcsClient
    from aliyunsdksts.request.v20150401.GetCallerIdentityRequest import GetCallerIdentityRequest

    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    acs = AcsClient(region_id="cn-hangzhou", auto_retry=False, connect_timeout=5, timeout=20,
                    credential=RamRoleArnCredential(user.access_key_id, user.secret, role.arn, "arn-signer"))
    acs.add_endpoint("cn-hangzhou", "Sts", f"http://{lab.endpoint}")
    req = GetCallerIdentityRequest()
    req.set_endpoint(lab.endpoint)
    req.set_protocol_type("http")
    out = json.loads(acs.do_action_with_exception(req))
    assert out["IdentityType"] == "AssumedRoleUser"
    assert out["PrincipalId"] == f"{role.role_id}:arn-signer"


# --- refusals --------------------------------------------------------------------------------------------


def test_refused_without_sts_assume_role_permission(lab, flavour):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.create_user(["AliyunOSSReadOnlyAccess"])
    expect_error(lambda: lab.assume(user, role, flavour=flavour), 403, "NoPermission")


def test_refused_when_sts_assume_role_is_scoped_to_another_role(lab):
    role, other = lab.create_role(trust_account(lab.account_id)), lab.create_role(trust_account(lab.account_id))
    user = lab.create_user(documents=[policy_doc(allow("sts:AssumeRole", f"acs:ram:*:{lab.account_id}:role/{other.name}"))])
    expect_error(lambda: lab.assume(user, role), 403, "NoPermission")
    assert lab.assume(user, other).access_key_id.startswith("STS.")


def test_refused_when_an_identity_policy_denies(lab):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.create_user(["AliyunSTSAssumeRoleAccess"], [policy_doc(deny("sts:AssumeRole", role.arn.replace("acs:ram::", "acs:ram:*:")))])
    expect_error(lambda: lab.assume(user, role), 403, "NoPermission")


def test_refused_when_trust_policy_does_not_allow(lab, flavour):
    """The seed's role trusts only ecs.aliyuncs.com: no RAM user may assume it, even with sts:AssumeRole."""
    role = lab.create_service_role(["AliyunRAMFullAccess"])
    user = lab.assumer()
    expect_error(lambda: lab.assume(user, role, flavour=flavour), 403, "NoPermission")


def test_refused_for_a_deny_in_the_trust_policy(lab):
    user = lab.assumer()
    doc = json.dumps({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": [f"acs:ram::{lab.account_id}:root"]}},
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"RAM": [f"acs:ram::{lab.account_id}:user/{user.name}"]}},
    ]})
    role = lab.create_role(doc)
    expect_error(lambda: lab.assume(user, role), 403, "NoPermission")


def test_refused_for_root(lab, flavour):
    role = lab.create_role(trust_account(lab.account_id))
    err = expect_error(lambda: lab.root(flavour).call("sts", "AssumeRole", {
        "RoleArn": role.arn, "RoleSessionName": "root-try"}), 403, "NoPermission")
    assert "root" in err.message.lower(), err.message  # "Roles may not be assumed by root accounts."


@pytest.mark.parametrize("arn", ["not-an-arn", "acs:ram::role/x", "acs:oss::123:bucket/x"])
def test_refused_for_malformed_role_arn(lab, arn):
    user = lab.assumer()
    expect_error(lambda: lab.assume(user, arn), 400, ("InvalidParameter.RoleArn", "InvalidParameter"))


def test_refused_for_missing_role(lab, flavour):
    user = lab.assumer()
    expect_error(lambda: lab.assume(user, lab.role_arn(unique("nope")), flavour=flavour), 404, "EntityNotExist.Role")


def test_refused_for_role_in_another_account(lab):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    other = "1" * 16 if lab.account_id != "1" * 16 else "2" * 16
    expect_error(lambda: lab.assume(user, f"acs:ram::{other}:role/{role.name}"), (403, 404),
                 ("NoPermission", "EntityNotExist.Role"))


@pytest.mark.parametrize("duration", [0, 899, 3601, 43201])
def test_refused_for_duration_out_of_range(lab, flavour, duration):
    role = lab.create_role(trust_account(lab.account_id))  # MaxSessionDuration 3600
    user = lab.assumer()
    expect_error(lambda: lab.assume(user, role, flavour=flavour, DurationSeconds=duration), 400,
                 "InvalidParameter.DurationSeconds")


def test_duration_bounds_are_inclusive(lab):
    role = lab.create_role(trust_account(lab.account_id), max_session_duration=43200)
    user = lab.assumer()
    lab.assume(user, role, DurationSeconds=900)
    lab.assume(user, role, DurationSeconds=43200)
    expect_error(lambda: lab.assume(user, role, DurationSeconds=43201), 400, "InvalidParameter.DurationSeconds")


@pytest.mark.parametrize("name", ["a", "x" * 65, "bad name", "bad/name", "名字名字", "semi;colon"])
def test_refused_for_bad_session_name(lab, flavour, name):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    expect_error(lambda: lab.assume(user, role, name, flavour=flavour), 400, "InvalidParameter.RoleSessionName")


@pytest.mark.parametrize("name", ["ab", "a.b@c-d_e", "x" * 32])
def test_session_name_alphabet(lab, name):
    role = lab.create_role(trust_account(lab.account_id))
    creds = lab.assume(lab.assumer(), role, name)
    assert creds.raw["AssumedRoleUser"]["AssumedRoleId"].endswith(":" + name)


def test_missing_required_parameters(lab):
    user = lab.assumer()
    client = lab.user_client("core-v1", user)
    role = lab.create_role(trust_account(lab.account_id))
    expect_error(lambda: client.call("sts", "AssumeRole", {"RoleSessionName": "s1"}), 400,
                 ("MissingParameter", "MissingRoleArn", "InvalidParameter.RoleArn", "InvalidParameter"))
    expect_error(lambda: client.call("sts", "AssumeRole", {"RoleArn": role.arn}), 400,
                 ("MissingParameter", "MissingRoleSessionName", "InvalidParameter.RoleSessionName", "InvalidParameter"))


@pytest.mark.parametrize("policy", [
    "{not json",
    json.dumps({"Version": "2", "Statement": [allow("ram:ListUsers")]}),
    json.dumps({"Version": "1", "Statement": [{"Action": "ram:ListUsers", "Resource": "*"}]}),
    json.dumps({"Version": "1", "Statement": [{"Effect": "Maybe", "Action": "ram:ListUsers", "Resource": "*"}]}),
    json.dumps({"Version": "1", "Statement": [allow("ram:ListUsers", Condition={"NoSuchOperator": {"acs:SourceIp": "1.2.3.4"}})]}),
])
def test_refused_for_malformed_session_policy(lab, flavour, policy):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    expect_error(lambda: lab.assume(user, role, flavour=flavour, Policy=policy), 400,
                 "InvalidParameter.PolicyGrammar")


def test_refused_for_oversized_session_policy(lab):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    big = policy_doc(*[allow(f"ram:GetUser{i}") for i in range(60)])
    assert len(big) > 2048  # beyond both documented limits (1024 B and 2048 chars)
    expect_error(lambda: lab.assume(user, role, Policy=big), 400, "InvalidParameter.PolicySize")
    small = policy_doc(allow("ram:GetUser"))
    assert lab.assume(user, role, Policy=small).access_key_id.startswith("STS.")


def test_external_id_condition(lab, flavour):
    user = lab.assumer()
    role = lab.create_role(trust_doc({"RAM": [f"acs:ram::{lab.account_id}:root"]},
                                     {"StringEquals": {"sts:ExternalId": "abcd-1234"}}))
    expect_error(lambda: lab.assume(user, role, flavour=flavour), 403, "NoPermission")
    expect_error(lambda: lab.assume(user, role, flavour=flavour, ExternalId="abcd-9999"), 403, "NoPermission")
    creds = lab.assume(user, role, flavour=flavour, ExternalId="abcd-1234")
    assert creds.access_key_id.startswith("STS.")


# --- session policy intersection -------------------------------------------------------------------------


def test_session_policy_denies_what_the_role_allows(lab, flavour):
    role = lab.create_role(trust_account(lab.account_id), ["AliyunRAMFullAccess"])
    user = lab.assumer()
    session_policy = policy_doc(allow("ram:*"), deny("ram:ListUsers"))
    creds = lab.assume(user, role, Policy=session_policy, flavour=flavour)
    client = lab.session_client(flavour, creds)
    assert "Roles" in client.call("ram", "ListRoles")
    expect_error(lambda: client.call("ram", "ListUsers"), 403, "NoPermission")


def test_session_policy_cannot_grant_more_than_the_role(lab):
    role = lab.create_role(trust_account(lab.account_id), documents=[policy_doc(allow("ram:ListRoles"))])
    user = lab.assumer()
    creds = lab.assume(user, role, Policy=policy_doc(allow(["ram:ListRoles", "ram:ListUsers"])))
    client = lab.session_client("tea-v3", creds)
    client.call("ram", "ListRoles")
    expect_error(lambda: client.call("ram", "ListUsers"), 403, "NoPermission")


def test_session_without_session_policy_has_the_roles_permissions(lab):
    role = lab.create_role(trust_account(lab.account_id), documents=[policy_doc(allow("ram:ListRoles"))])
    creds = lab.assume(lab.assumer(), role)
    client = lab.session_client("core-v1", creds)
    client.call("ram", "ListRoles")
    expect_error(lambda: client.call("ram", "ListUsers"), 403, "NoPermission")


def test_role_permission_change_applies_to_existing_session(lab):
    """Permissions are evaluated at request time (DESIGN.md): detaching a policy bites on the next call."""
    policy = lab.create_policy(policy_doc(allow("ram:ListRoles")))
    role = lab.create_role(trust_account(lab.account_id), [("Custom", policy)])
    creds = lab.assume(lab.assumer(), role)
    client = lab.session_client("tea-v3", creds)
    client.call("ram", "ListRoles")
    lab.admin.call("ram", "DetachPolicyFromRole", {"PolicyType": "Custom", "PolicyName": policy, "RoleName": role.name})
    expect_error(lambda: client.call("ram", "ListRoles"), 403, "NoPermission")
    lab.admin.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": policy, "RoleName": role.name})
    client.call("ram", "ListRoles")


def test_core_sdk_request_carries_security_token(lab):
    """The core SDK sends SecurityToken as a query parameter (spec §1.1): a session is accepted that way."""
    role = lab.create_role(trust_account(lab.account_id))
    creds = lab.assume(lab.assumer(), role)
    client = lab.session_client("core-v1", creds)
    assert isinstance(client, CoreClient)
    assert client.call("sts", "GetCallerIdentity")["IdentityType"] == "AssumedRoleUser"

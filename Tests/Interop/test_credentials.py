"""Which credentials the API accepts: altered/mismatched STS tokens, wrong secrets, unknown, disabled and
deleted AccessKeys (spec §0, §1.7, §2.2 gateway errors)."""
from __future__ import annotations

import pytest

from lanyard_testkit import RAM_VERSION, STS_VERSION, expect_error, trust_account, unique


@pytest.fixture
def two_sessions(lab):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    return lab.assume(user, role), lab.assume(user, role)


def altered(token: str) -> str:
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def test_altered_token_is_refused(lab, flavour, two_sessions):
    creds, _ = two_sessions
    client = lab.client(flavour, creds.access_key_id, creds.secret, altered(creds.token))
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400, "InvalidSecurityToken.Malformed")
    lab.alive()


@pytest.mark.parametrize("mangle", [lambda t: t[: len(t) // 2], lambda t: "abc", lambda t: t + "AAAA",
                                    lambda t: t[::-1]], ids=["truncated", "garbage", "extended", "reversed"])
def test_mangled_token_is_refused(lab, two_sessions, mangle):
    creds, _ = two_sessions
    client = lab.client("core-v1", creds.access_key_id, creds.secret, mangle(creds.token))
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400, "InvalidSecurityToken.Malformed")


def test_token_of_another_session_is_refused(lab, flavour, two_sessions):
    first, second = two_sessions
    client = lab.client(flavour, first.access_key_id, first.secret, second.token)
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400,
                 ("InvalidSecurityToken.MismatchWithAccessKey", "SignatureDoesNotMatch", "InvalidAccessKeySecret"))
    # with the second session's secret (so the signature itself is right) it must be the mismatch code
    client = lab.client(flavour, first.access_key_id, second.secret, second.token)
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400, "InvalidSecurityToken.MismatchWithAccessKey")


def test_sts_access_key_without_token_is_refused(lab, two_sessions):
    creds, _ = two_sessions
    r = lab.raw.v1("GetCallerIdentity", None, creds.access_key_id, creds.secret, version=STS_VERSION)
    assert 400 <= r.status < 500, r.body
    assert r.json()["Code"] in ("MissingSecurityToken", "InvalidAccessKeyId.NotFound", "InvalidSecurityToken.Malformed")


def test_sts_session_with_wrong_secret(lab, two_sessions):
    creds, _ = two_sessions
    client = lab.client("core-v1", creds.access_key_id, creds.secret[:-2] + "xx", creds.token)
    # the core SDK turns SignatureDoesNotMatch into InvalidAccessKeySecret when the server's string to sign
    # (after the ':' of the Message) equals its own: the wire-exact form is proven here
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400, "InvalidAccessKeySecret")


def test_wrong_secret_core_sdk_parses_message(lab):
    """spec §0: Message must carry the server's string to sign after a ':' (the core SDK splits on it)."""
    client = lab.client("core-v1", lab.root_ak, lab.root_secret + "x")
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400, "InvalidAccessKeySecret")
    expect_error(lambda: client.call("ram", "ListUsers"), 400, "InvalidAccessKeySecret")
    lab.alive()


@pytest.mark.parametrize("flavour", ["tea-v3", "tea-v1"])
def test_wrong_secret_tea(lab, flavour):
    client = lab.client(flavour, lab.root_ak, "not-the-secret")
    err = expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400, "SignatureDoesNotMatch")
    assert ":" in err.message
    lab.alive()


def test_wrong_secret_message_is_the_v1_string_to_sign(lab):
    from lanyard_testkit import v1_params, v1_string_to_sign

    pairs = v1_params("GetCallerIdentity", STS_VERSION, {"Extra Param": "a b*~/é"}, lab.root_ak, "wrong")
    r = lab.raw.send("POST", pairs)
    body = r.json()
    assert r.status == 400 and body["Code"] == "SignatureDoesNotMatch", body
    prefix = "Specified signature is not matched with our calculation. server string to sign is:"
    assert body["Message"].startswith(prefix), body["Message"]
    assert body["Message"][len(prefix):] == v1_string_to_sign("POST", pairs)


def test_unknown_access_key(lab, flavour):
    client = lab.client(flavour, "LTAI" + unique("nokey").replace("-", ""), "whatever")
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 404, "InvalidAccessKeyId.NotFound")


def test_disabled_then_deleted_access_key(lab, flavour):
    user = lab.create_user()
    client = lab.user_client(flavour, user)
    assert client.call("sts", "GetCallerIdentity")["IdentityType"] == "RAMUser"
    lab.admin.call("ram", "UpdateAccessKey", {"UserName": user.name, "UserAccessKeyId": user.access_key_id,
                                              "Status": "Inactive"})
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 400, "InvalidAccessKeyId.Inactive")
    lab.admin.call("ram", "UpdateAccessKey", {"UserName": user.name, "UserAccessKeyId": user.access_key_id,
                                              "Status": "Active"})
    assert client.call("sts", "GetCallerIdentity")["UserId"] == user.user_id
    lab.admin.call("ram", "DeleteAccessKey", {"UserName": user.name, "UserAccessKeyId": user.access_key_id})
    expect_error(lambda: client.call("sts", "GetCallerIdentity"), 404, "InvalidAccessKeyId.NotFound")


def test_deleted_user_key_stops_working(lab):
    user = lab.create_user()
    client = lab.user_client("tea-v3", user)
    client.call("sts", "GetCallerIdentity")
    lab.admin.call("ram", "DeleteAccessKey", {"UserName": user.name, "UserAccessKeyId": user.access_key_id})
    lab.admin.call("ram", "DeleteUser", {"UserName": user.name})
    expect_error(lambda: client.call("ram", "ListUsers"), 404, "InvalidAccessKeyId.NotFound")
    r = lab.raw.v1("ListUsers", None, user.access_key_id, user.secret, version=RAM_VERSION)
    assert r.status == 404

"""What the object service must refuse, as each of Alibaba's OSS clients sees it: wrong signatures, unknown
keys, altered STS tokens, policies that lack an action or deny a prefix, and policy changes that apply to
the very next request with the same credentials (issue 3 §2–§3; spec/oss.md §3, §8, §9)."""
from __future__ import annotations

import pytest

from lanyard_testkit import allow, deny, policy_doc, trust_account
from oss_testkit import (CLIENTS, IDENTITIES, Identity, OssFailure, OssWorld, full_access, http_session,
                         object_url, signed_headers, v1_string_to_sign, xml_fields)

CLIENT_IDENTITIES = [(c, i) for c in CLIENTS for i in IDENTITIES]


def ids(p):
    return f"{p[0]}-{p[1]}"


@pytest.fixture(scope="module")
def world(server, _session_lab) -> OssWorld:
    return OssWorld.of(server, _session_lab)


@pytest.fixture(scope="module")
def bucket(world) -> str:
    name = world.new_bucket("refusals")
    root = world.root_bucket(name)
    for key in ("public/readme.txt", "secret/plan.txt", "data/x.bin"):
        root.put_object(key, f"content of {key}".encode())
    return name


@pytest.fixture(scope="module")
def full(world, bucket) -> dict:
    return {kind: world.identity(kind, full_access(bucket)) for kind in IDENTITIES}


def refused(fn, status: int, codes: str | tuple[str, ...]) -> OssFailure:
    """fn must fail with this status and one of these codes (a Go HEAD error carries no code: status only)."""
    codes = codes if isinstance(codes, tuple) else (codes,)
    with pytest.raises(OssFailure) as info:
        fn()
    err = info.value
    assert err.status == status, f"expected HTTP {status} {codes}, got {err}"
    if not (err.client == "go" and err.code is None):
        assert err.code in codes, f"expected one of {codes}, got {err}"
    return err


def altered(token: str) -> str:
    """The token with one character in the middle changed (same alphabet, so only the content is wrong)."""
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


# -- signatures and keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour,kind", CLIENT_IDENTITIES, ids=[ids(p) for p in CLIENT_IDENTITIES])
def test_wrong_secret_is_signature_does_not_match(world, bucket, full, flavour, kind, lab):
    good = full[kind]
    bad = Identity(kind, good.access_key_id, "Wrong" + good.secret[5:], good.token)
    client = world.client(flavour, bucket, bad)
    refused(lambda: client.get("public/readme.txt"), 403, "SignatureDoesNotMatch")
    refused(lambda: client.put("data/never.bin", b"x"), 403, "SignatureDoesNotMatch")
    refused(lambda: client.list_all(prefix="data/"), 403, "SignatureDoesNotMatch")
    assert world.client(flavour, bucket, good).get("public/readme.txt").data == b"content of public/readme.txt"


def test_signature_mismatch_body_names_the_string_to_sign(world, bucket, full, lab):
    """spec §8: SignatureDoesNotMatch carries OSSAccessKeyId, SignatureProvided, StringToSign, StringToSignBytes.
    The server's StringToSign must be the one a V1 client computes (§3), byte for byte."""
    ident = full["user"]
    key = "public/readme.txt"
    headers = {"Content-Type": "text/plain", "x-oss-meta-Note": "hello"}
    h = signed_headers(Identity("user", ident.access_key_id, "not-the-secret"), "GET", bucket, key, headers)
    r = http_session().get(object_url(world.endpoint, bucket, key), headers=h, timeout=30)
    assert r.status_code == 403, r.text
    assert r.headers.get("x-oss-request-id"), "x-oss-request-id on every response (§5)"
    assert r.headers.get("Date"), "Date on every response (§5)"
    fields = xml_fields(r.content)
    assert fields["Code"] == "SignatureDoesNotMatch"
    assert fields.get("RequestId") == r.headers["x-oss-request-id"]
    assert fields.get("OSSAccessKeyId") == ident.access_key_id
    assert fields.get("SignatureProvided") == h["Authorization"].split(":", 1)[1]
    expected = v1_string_to_sign("GET", bucket, key, h)
    assert fields.get("StringToSign") == expected
    assert bytes.fromhex(fields.get("StringToSignBytes", "")) == expected.encode("utf-8")


@pytest.mark.parametrize("flavour", CLIENTS)
def test_unknown_access_key_id(world, bucket, flavour, lab):
    client = world.client(flavour, bucket, Identity("user", "LTAI5tNoSuchKeyAtAll00000", "irrelevant-secret"))
    refused(lambda: client.get("public/readme.txt"), 403, "InvalidAccessKeyId")


@pytest.mark.parametrize("flavour", CLIENTS)
def test_altered_security_token(world, bucket, full, flavour, lab):
    """spec §8: an invalid token is 403 InvalidSecurityToken (InvalidAccessKeyId is the STS-AK variant)."""
    good = full["sts"]
    client = world.client(flavour, bucket, Identity("sts", good.access_key_id, good.secret, altered(good.token)))
    refused(lambda: client.get("public/readme.txt"), 403, ("InvalidSecurityToken", "InvalidAccessKeyId"))
    truncated = world.client(flavour, bucket, Identity("sts", good.access_key_id, good.secret, good.token[:40]))
    refused(lambda: truncated.put("data/never.bin", b"x"), 403, ("InvalidSecurityToken", "InvalidAccessKeyId"))


def test_token_of_another_session(world, bucket, full, lab):
    """A valid token paired with another session's AccessKey (spec §8: AccessKeyIdAndSecurityTokenNotMatch)."""
    mine = full["sts"]
    other = world.identity("sts", full_access(bucket))
    client = world.client("oss2-v1", bucket, Identity("sts", mine.access_key_id, mine.secret, other.token))
    refused(lambda: client.get("public/readme.txt"), 403,
            ("AccessKeyIdAndSecurityTokenNotMatch", "InvalidSecurityToken", "InvalidAccessKeyId"))


def test_anonymous_listing_of_a_private_bucket(world, bucket, lab):
    r = http_session().get(f"{world.endpoint}/{bucket}/?prefix=&max-keys=10", timeout=30)
    assert r.status_code == 403
    assert xml_fields(r.content)["Code"] == "AccessDenied"


# -- authorization ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour,kind", CLIENT_IDENTITIES, ids=[ids(p) for p in CLIENT_IDENTITIES])
def test_policy_without_list_objects(world, bucket, flavour, kind, lab):
    ident = world.identity(kind, allow(["oss:GetObject", "oss:PutObject"], f"acs:oss:*:*:{bucket}/*"))
    client = world.client(flavour, bucket, ident)
    refused(lambda: client.list_all(prefix="public/"), 403, "AccessDenied")
    refused(lambda: client.list_all(), 403, "AccessDenied")
    assert client.get("public/readme.txt").data == b"content of public/readme.txt", "GetObject is allowed"
    client.put(f"data/{flavour}-{kind}-nolist", b"allowed")
    refused(lambda: client.delete("data/x.bin"), 403, "AccessDenied")


@pytest.mark.parametrize("flavour,kind", CLIENT_IDENTITIES, ids=[ids(p) for p in CLIENT_IDENTITIES])
def test_deny_on_one_prefix(world, bucket, flavour, kind, lab):
    ident = world.identity(kind, full_access(bucket), deny("oss:*", f"acs:oss:*:*:{bucket}/secret/*"))
    client = world.client(flavour, bucket, ident)
    refused(lambda: client.get("secret/plan.txt"), 403, "AccessDenied")
    refused(lambda: client.head("secret/plan.txt"), 403, "AccessDenied")
    refused(lambda: client.put(f"secret/{flavour}-{kind}", b"no"), 403, "AccessDenied")
    refused(lambda: client.delete("secret/plan.txt"), 403, "AccessDenied")
    refused(lambda: client.copy("secret/plan.txt", f"public/{flavour}-{kind}-stolen"), 403, "AccessDenied")
    assert world.root_bucket(bucket).get_object("secret/plan.txt").read() == b"content of secret/plan.txt"
    # the rest of the bucket stays allowed
    assert client.get("public/readme.txt").data == b"content of public/readme.txt"
    client.put(f"public/{flavour}-{kind}", b"yes")
    assert client.get(f"public/{flavour}-{kind}").data == b"yes"
    assert "secret/plan.txt" in client.list_all().keys, "ListObjects is a bucket-level action, not denied"
    assert world.root_bucket(bucket).object_exists(f"public/{flavour}-{kind}-stolen") is False


@pytest.mark.parametrize("flavour", ["oss2-v1", "go"])
def test_user_policy_change_applies_to_the_next_request(world, bucket, flavour, lab):
    """Detach, attach, a new default version: each takes effect on the very next request (issue 3 §3)."""
    reader = policy_doc(allow(["oss:GetObject", "oss:ListObjects"],
                              [f"acs:oss:*:*:{bucket}", f"acs:oss:*:*:{bucket}/*"]))
    name = lab.create_policy(reader)
    user = lab.create_user(policies=[("Custom", name)])
    client = world.client(flavour, bucket, Identity("user", user.access_key_id, user.secret))
    assert client.get("public/readme.txt").data == b"content of public/readme.txt"

    lab.admin.call("ram", "DetachPolicyFromUser", {"PolicyType": "Custom", "PolicyName": name, "UserName": user.name})
    refused(lambda: client.get("public/readme.txt"), 403, "AccessDenied")
    lab.admin.call("ram", "AttachPolicyToUser", {"PolicyType": "Custom", "PolicyName": name, "UserName": user.name})
    assert client.get("public/readme.txt").data == b"content of public/readme.txt"

    list_only = policy_doc(allow("oss:ListObjects", f"acs:oss:*:*:{bucket}"))
    lab.admin.call("ram", "CreatePolicyVersion", {"PolicyName": name, "PolicyDocument": list_only,
                                                  "SetAsDefault": True})
    refused(lambda: client.get("public/readme.txt"), 403, "AccessDenied")
    assert "public/readme.txt" in client.list_all(prefix="public/").keys
    lab.admin.call("ram", "SetDefaultPolicyVersion", {"PolicyName": name, "VersionId": "v1"})
    assert client.get("public/readme.txt").data == b"content of public/readme.txt"


@pytest.mark.parametrize("flavour", ["oss2-v4", "pyv2"])
def test_role_policy_change_applies_to_existing_sessions(world, bucket, flavour, lab):
    """A role session names the role, not its permissions: its STS credentials follow the role's policies."""
    reader = policy_doc(allow(["oss:GetObject", "oss:PutObject"], f"acs:oss:*:*:{bucket}/*"))
    name = lab.create_policy(reader)
    role = lab.create_role(trust_account(lab.account_id), policies=[("Custom", name)])
    creds = lab.assume(world.assumer(), role)
    client = world.client(flavour, bucket, Identity("sts", creds.access_key_id, creds.secret, creds.token))
    assert client.get("data/x.bin").data == b"content of data/x.bin"

    lab.admin.call("ram", "DetachPolicyFromRole", {"PolicyType": "Custom", "PolicyName": name, "RoleName": role.name})
    refused(lambda: client.get("data/x.bin"), 403, "AccessDenied")
    lab.admin.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": name, "RoleName": role.name})
    assert client.get("data/x.bin").data == b"content of data/x.bin"

    lab.admin.call("ram", "CreatePolicyVersion", {
        "PolicyName": name, "SetAsDefault": True,
        "PolicyDocument": policy_doc(allow("oss:GetObject", f"acs:oss:*:*:{bucket}/public/*"))})
    refused(lambda: client.get("data/x.bin"), 403, "AccessDenied")
    assert client.get("public/readme.txt").data == b"content of public/readme.txt"


def test_session_policy_narrows_the_role(world, bucket, lab):
    """AssumeRole's Policy parameter intersects with the role's policies (issue 3 §3)."""
    role = lab.create_role(trust_account(lab.account_id), documents=[policy_doc(full_access(bucket))])
    narrow = policy_doc(allow("oss:GetObject", f"acs:oss:*:*:{bucket}/public/*"))
    creds = lab.assume(world.assumer(), role, Policy=narrow)
    client = world.client("oss2-v1", bucket, Identity("sts", creds.access_key_id, creds.secret, creds.token))
    assert client.get("public/readme.txt").data == b"content of public/readme.txt"
    refused(lambda: client.get("data/x.bin"), 403, "AccessDenied")
    refused(lambda: client.list_all(), 403, "AccessDenied")

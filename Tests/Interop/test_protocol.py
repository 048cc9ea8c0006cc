"""The POP RPC gateway: both signatures, parameters in query or form body, GET/POST, Format, error bodies,
timestamps, nonces, versions, unknown actions, oversized and malformed input; the server keeps serving
after every bad request (spec §1, §1.7, §2.2; issue-2 "Done when")."""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import socket
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import requests

from lanyard_testkit import (RAM_VERSION, STS_VERSION, allow, expect_error, policy_doc, trust_account, unique,
                             utc_timestamp, v1_params, v1_signature, v1_string_to_sign)


def error_body(r) -> dict:
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers.get("Content-Type")
    body = r.json()
    for key in ("RequestId", "HostId", "Code", "Message", "Recommend"):
        assert body.get(key), f"error body lacks {key}: {body}"
    assert body["Code"] in body["Recommend"], body
    return body


def refused(r, status: int, code: str | tuple[str, ...]) -> dict:
    body = error_body(r)
    codes = code if isinstance(code, tuple) else (code,)
    assert (r.status, body["Code"]) in [(status, c) for c in codes], (r.status, body)
    return body


# --- what the gateway accepts --------------------------------------------------------------------------


@pytest.mark.parametrize("method,in_body", [("POST", False), ("POST", True), ("GET", False)])
def test_v1_query_body_and_get(lab, method, in_body):
    r = lab.raw.v1("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION, method=method,
                   in_body=in_body)
    assert r.status == 200, r.body
    assert r.headers.get("Content-Type", "").startswith("application/json")
    body = r.json()
    assert body["AccountId"] == lab.account_id and body["RequestId"]


def test_v1_parameters_split_between_query_and_body(lab):
    name = unique("split")
    pairs = v1_params("CreateUser", RAM_VERSION, {"UserName": name, "DisplayName": "Split Body+Query"},
                      lab.root_ak, lab.root_secret)
    in_body = {"UserName", "DisplayName", "Signature"}
    query = [(k, v) for k, v in pairs if k not in in_body]
    body = urllib.parse.urlencode([(k, v) for k, v in pairs if k in in_body])  # quote_plus: '+' for spaces
    r = lab.raw.send("POST", query, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r.body
    got = lab.admin.call("ram", "GetUser", {"UserName": name})["User"]
    assert got["DisplayName"] == "Split Body+Query"


def test_plus_in_query_decodes_as_space(lab):
    """tea V3 sends urlencode()d queries: spaces arrive as '+', literal '+' as %2B (spec §1.3)."""
    name = unique("plus")
    pairs = v1_params("CreateUser", RAM_VERSION, {"UserName": name, "Comments": "a b+c*d~e/f 中"},
                      lab.root_ak, lab.root_secret)
    r = lab.raw.send("POST", urllib.parse.urlencode(pairs))
    assert r.status == 200, r.body
    assert lab.admin.call("ram", "GetUser", {"UserName": name})["User"]["Comments"] == "a b+c*d~e/f 中"


def test_special_characters_round_trip_through_every_flavour(lab, flavour):
    name = unique("chars")
    text = "Ünïcode 名字 a+b c*d ~e/f&g=h%i"
    lab.root(flavour).call("ram", "CreateUser", {"UserName": name, "DisplayName": text[:20], "Comments": text})
    got = lab.root(flavour).call("ram", "GetUser", {"UserName": name})["User"]
    assert got["Comments"] == text and got["DisplayName"] == text[:20]


def test_acs3_with_form_body(lab):
    name = unique("acs3body")
    r = lab.raw.acs3("CreateUser", None, lab.root_ak, lab.root_secret, version=RAM_VERSION,
                     body_params={"UserName": name, "Comments": "from the body"})
    assert r.status == 200, r.body
    assert lab.admin.call("ram", "GetUser", {"UserName": name})["User"]["Comments"] == "from the body"


def test_acs3_with_security_token_header(lab):
    role = lab.create_role(trust_account(lab.account_id))
    creds = lab.assume(lab.assumer(), role)
    r = lab.raw.acs3("GetCallerIdentity", None, creds.access_key_id, creds.secret, version=STS_VERSION,
                     token=creds.token)
    assert r.status == 200, r.body
    assert r.json()["RoleId"] == role.role_id


def test_format_is_case_insensitive(lab):
    for fmt in ("JSON", "json", "Json"):
        r = lab.raw.v1("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION, fmt=fmt)
        assert r.status == 200, (fmt, r.body)
        assert r.json()["AccountId"] == lab.account_id


# --- XML -------------------------------------------------------------------------------------------------


def test_xml_success_and_error(lab):
    for fmt in ("XML", "xml"):
        r = lab.raw.v1("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION, fmt=fmt)
        assert r.status == 200, r.body
        assert "xml" in r.headers.get("Content-Type", ""), r.headers.get("Content-Type")
        root = ET.fromstring(r.body)
        assert root.tag == "GetCallerIdentityResponse"
        assert root.findtext("AccountId") == lab.account_id
        assert root.findtext("RequestId")
    r = lab.raw.v1("GetRole", {"RoleName": unique("nope")}, lab.root_ak, lab.root_secret, version=RAM_VERSION,
                   fmt="XML")
    assert r.status == 404
    root = ET.fromstring(r.body)
    assert root.tag == "Error"
    assert root.findtext("Code") == "EntityNotExist.Role"
    for key in ("RequestId", "HostId", "Message", "Recommend"):
        assert root.findtext(key), key


def test_xml_through_core_sdk_and_arrays(lab):
    policy = lab.create_policy(policy_doc(allow("ram:ListUsers")))
    lab.admin.call("ram", "CreatePolicyVersion", {"PolicyName": policy, "PolicyDocument": policy_doc(allow("ram:ListRoles"))})
    client = lab.root("core-v1")
    status, headers, body = client.call_raw_format("ram", "ListPolicyVersions",
                                                   {"PolicyName": policy, "PolicyType": "Custom"}, "XML")
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == "ListPolicyVersionsResponse"
    versions = root.findall("./PolicyVersions/PolicyVersion")
    assert sorted(v.findtext("VersionId") for v in versions) == ["v1", "v2"]
    assert [v.findtext("IsDefaultVersion") for v in versions if v.findtext("VersionId") == "v1"] == ["true"]
    # the same list in JSON
    js = lab.admin.call("ram", "ListPolicyVersions", {"PolicyName": policy, "PolicyType": "Custom"})
    assert sorted(v["VersionId"] for v in js["PolicyVersions"]["PolicyVersion"]) == ["v1", "v2"]

    creds_status, _, creds_body = client.call_raw_format("sts", "GetCallerIdentity", None, "XML")
    assert creds_status == 200 and ET.fromstring(creds_body).findtext("AccountId") == lab.account_id


# --- refusals by the gateway ------------------------------------------------------------------------------


def test_error_body_shape(lab):
    r = lab.raw.v1("GetUser", {"UserName": unique("ghost")}, lab.root_ak, lab.root_secret, version=RAM_VERSION)
    body = refused(r, 404, "EntityNotExist.User")
    assert body["Recommend"].startswith("http"), body
    assert body["RequestId"] == r.headers.get("x-acs-request-id", body["RequestId"])


def test_nonce_reuse_v1(lab):
    pairs = v1_params("GetCallerIdentity", STS_VERSION, None, lab.root_ak, lab.root_secret)
    first = lab.raw.send("POST", pairs)
    assert first.status == 200, first.body
    replay = lab.raw.send("POST", pairs)
    refused(replay, 400, "SignatureNonceUsed")
    # the same nonce on a different, freshly signed request is also a reuse
    nonce = dict(pairs)["SignatureNonce"]
    other = lab.raw.v1("ListUsers", None, lab.root_ak, lab.root_secret, version=RAM_VERSION, nonce=nonce)
    refused(other, 400, "SignatureNonceUsed")
    lab.alive()


def test_nonce_reuse_acs3(lab):
    nonce = unique("nonce")
    assert lab.raw.acs3("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION,
                        nonce=nonce).status == 200
    refused(lab.raw.acs3("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION,
                         nonce=nonce), 400, "SignatureNonceUsed")


@pytest.mark.parametrize("offset", [-20 * 60, 20 * 60, -3 * 3600])
def test_timestamp_out_of_window(lab, offset):
    r = lab.raw.v1("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION,
                   timestamp=utc_timestamp(offset))
    refused(r, 400, "InvalidTimeStamp.Expired")
    r = lab.raw.acs3("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION,
                     date=utc_timestamp(offset))
    refused(r, 400, "InvalidTimeStamp.Expired")
    lab.alive()


def test_timestamp_inside_window(lab):
    for offset in (-10 * 60, 10 * 60):
        r = lab.raw.v1("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION,
                       timestamp=utc_timestamp(offset))
        assert r.status == 200, (offset, r.body)


@pytest.mark.parametrize("timestamp", ["yesterday", "2024-13-45T99:99:99Z", ""])
def test_malformed_timestamp(lab, timestamp):
    r = lab.raw.v1("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=STS_VERSION,
                   timestamp=timestamp)
    assert r.status == 400, r.body
    error_body(r)
    lab.alive()


@pytest.mark.parametrize("version", ["2099-01-01", "2015-04-02", "latest"])
def test_wrong_version(lab, version):
    r = lab.raw.v1("GetCallerIdentity", None, lab.root_ak, lab.root_secret, version=version)
    refused(r, 400, "InvalidParameter")
    lab.alive()


@pytest.mark.parametrize("action,version", [("NoSuchAction", RAM_VERSION), ("NoSuchAction", STS_VERSION),
                                            ("AssumeRole", RAM_VERSION), ("CreateUser", STS_VERSION)])
def test_unknown_action(lab, action, version):
    r = lab.raw.v1(action, None, lab.root_ak, lab.root_secret, version=version)
    refused(r, 400, "InvalidParameter")
    lab.alive()


@pytest.mark.parametrize("missing", ["Action", "Version", "AccessKeyId", "Signature", "Timestamp", "SignatureNonce"])
def test_missing_common_parameter(lab, missing):
    pairs = v1_params("GetCallerIdentity", STS_VERSION, None, lab.root_ak, lab.root_secret)
    r = lab.raw.send("POST", [(k, v) for k, v in pairs if k != missing])
    body = refused(r, 400, ("MissingParameter", f"Missing{missing}", "MissingSignatureNonce"))
    assert missing in body["Message"], body
    lab.alive()


@pytest.mark.parametrize("name,value", [("SignatureVersion", "9"), ("SignatureVersion", "2.0"),
                                        ("SignatureMethod", "HMAC-SHA256")])
def test_signature_flavours_other_than_v1_are_refused(lab, name, value):
    """Only HMAC-SHA1 / 1.0 is the V1 signature: another value, even correctly signed over, is refused by name."""
    pairs = [(k, value if k == name else v) for k, v in v1_params("GetCallerIdentity", STS_VERSION, None, lab.root_ak,
                                                                  lab.root_secret) if k != "Signature"]
    pairs.append(("Signature", v1_signature(v1_string_to_sign("POST", pairs), lab.root_secret)))
    body = refused(lab.raw.send("POST", pairs), 400, "IncompleteSignature")
    assert f"{name} {value} is not supported" in body["Message"], body


def test_acs3_refusals(lab):
    # payload hash that does not match the body
    r = lab.raw.acs3("CreateUser", None, lab.root_ak, lab.root_secret, version=RAM_VERSION,
                     body_params={"UserName": unique("hash")}, payload_hash=hashlib.sha256(b"other").hexdigest())
    assert r.status == 400, r.body
    error_body(r)
    # a malformed Authorization header
    headers = {"host": lab.endpoint, "x-acs-action": "GetCallerIdentity", "x-acs-version": STS_VERSION,
               "x-acs-date": utc_timestamp(), "x-acs-signature-nonce": unique("n"),
               "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
               "Authorization": "ACS3-HMAC-SHA256 Credential=,garbage"}
    refused(lab.raw.send("POST", None, headers=headers), 400, "IncompleteSignature")
    # a signature by the wrong secret
    refused(lab.raw.acs3("GetCallerIdentity", None, lab.root_ak, "nope", version=STS_VERSION), 400,
            "SignatureDoesNotMatch")
    lab.alive()


def test_unsigned_request(lab):
    r = lab.raw.send("POST", [("Action", "GetCallerIdentity"), ("Version", STS_VERSION), ("Format", "JSON")])
    assert r.status in (400, 403), r.body
    error_body(r)
    lab.alive()


# --- oversized and malformed input ---------------------------------------------------------------------


def test_oversized_get_query(lab):
    """spec §1.1: GET is capped at 4 KB."""
    r = lab.raw.v1("GetUser", {"UserName": "x", "Padding": "p" * 6000}, lab.root_ak, lab.root_secret,
                   version=RAM_VERSION, method="GET")
    assert 400 <= r.status < 500 and r.status != 404, (r.status, r.body[:300])
    lab.alive()


def test_huge_request_line(lab):
    try:
        r = lab.raw.send("GET", "Action=GetCallerIdentity&Padding=" + "p" * 200_000)
        assert 400 <= r.status < 500, r.status
    except requests.ConnectionError:
        pass  # closing the connection on an absurd request line is fine; serving on afterwards is required
    lab.alive()


def test_oversized_post_body(lab):
    """spec §1.1: POST is capped at 10 MB."""
    body = "Padding=" + "p" * (11 * 1024 * 1024)
    try:
        r = lab.raw.send("POST", [("Action", "GetCallerIdentity")], body=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status in (400, 413), r.status
    except requests.ConnectionError:
        pass  # a server may also reset the connection once the limit is passed
    lab.alive()


def test_oversized_api_parameters(lab):
    expect_error(lambda: lab.admin.call("ram", "CreateRole", {
        "RoleName": "r" * 65, "AssumeRolePolicyDocument": json.dumps({"Version": "1", "Statement": []})}),
        400, "InvalidParameter.RoleName.Length")
    big = policy_doc(*[allow(f"ram:GetUser{i:04d}") for i in range(250)])
    assert len(big) > 6144
    expect_error(lambda: lab.admin.call("ram", "CreatePolicy", {"PolicyName": unique("big"), "PolicyDocument": big}),
                 400, "InvalidParameter.PolicyDocument.Length")
    lab.alive()


@pytest.mark.parametrize("query", ["Action=%zz&Version=2015-04-01", "%", "Action=GetCallerIdentity&Version=%ff%fe",
                                   "&&&===&", "Action=GetCallerIdentity&Action=ListUsers&Version=2015-05-01"])
def test_malformed_query(lab, query):
    r = lab.raw.send("POST", query)
    assert 400 <= r.status < 500, r.status
    error_body(r)
    lab.alive()


@pytest.mark.parametrize("payload", [b"HELLO\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\nabc",
                                     b"\x00\xff\x16\x03\x01" * 20, b"POST /?Action=GetCallerIdentity HTTP/1.1\r\n"])
def test_malformed_http_then_close(lab, payload):
    with socket.create_connection(("127.0.0.1", lab.server.api_port), timeout=5) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        try:
            s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            pass
    lab.alive()


def test_other_paths_and_methods(lab):
    for method, path in (("GET", "/nope"), ("DELETE", "/"), ("PUT", "/")):
        r = lab.raw.send(method, None, path=path)
        assert 400 <= r.status < 500, (method, path, r.status)
    lab.alive()


def test_concurrent_requests(lab):
    def one(i):
        client = lab.root("tea-v3" if i % 2 else "core-v1")
        return client.call("sts", "GetCallerIdentity")["AccountId"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(32)))
    assert results == [lab.account_id] * 32

"""The suite's own V1/ACS3 signers (used for hand-made requests) agree with the spec's test vector and
with the vendors' SDK code. No server needed: if these fail, the raw-request tests prove nothing."""
from __future__ import annotations

from types import SimpleNamespace

from lanyard_testkit import acs3_authorization, rfc3986, v1_signature, v1_string_to_sign


def test_v1_matches_spec_vector():
    # spec/sts-ram-policy.md §1.2 (IMS documentation vector)
    params = [("AccessKeyId", "testid"), ("Action", "CreateUser"), ("DisplayName", "test"), ("Format", "JSON"),
              ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", "3f6b4e80-56f7-11eb-a256-a9f756ea7e85"),
              ("SignatureVersion", "1.0"), ("Timestamp", "2021-01-15T06:02:28Z"),
              ("UserPrincipalName", "test@example.onaliyun.com"), ("Version", "2019-08-15")]
    sts = v1_string_to_sign("GET", params)
    assert sts == ("GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateUser%26DisplayName%3Dtest%26Format%3DJSON"
                   "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f6b4e80-56f7-11eb-a256-a9f756ea7e85"
                   "%26SignatureVersion%3D1.0%26Timestamp%3D2021-01-15T06%253A02%253A28Z%26UserPrincipalName"
                   "%3Dtest%2540example.onaliyun.com%26Version%3D2019-08-15")
    assert v1_signature(sts, "testsecret") == "02heLegtw4+BFamznl1Ltj+vJ4A="


def test_v1_matches_core_sdk_composer():
    from aliyunsdkcore.auth.composer import rpc_signature_composer as composer

    params = {"Action": "CreateUser", "Version": "2015-05-01", "DisplayName": "a b*c~d/e+f=g&h",
              "Comments": "注释 ü", "UserName": "x.y_z-1"}
    url, sdk_sts = composer.get_signed_url(params, "AKID", "sec", "JSON", "POST", {"Extra": "in body"})
    signed = dict(params)  # the composer filled in Timestamp, nonce, SignatureType= ... in place
    signed["Extra"] = "in body"
    assert v1_string_to_sign("POST", signed.items()) == sdk_sts


def test_rfc3986_encoding():
    assert rfc3986("a b*c~d/é") == "a%20b%2Ac~d%2F%C3%A9"


def test_acs3_matches_tea_openapi():
    from alibabacloud_tea_openapi.utils import Utils

    query = {"RoleArn": "acs:ram::1:role/r", "RoleSessionName": "sess 1*~", "Policy": '{"a":"b/c"}'}
    headers = {"host": "127.0.0.1:8100", "x-acs-action": "AssumeRole", "x-acs-version": "2015-04-01",
               "x-acs-date": "2024-01-01T00:00:00Z", "x-acs-signature-nonce": "abc",
               "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "accept": "application/json", "user-agent": "ua"}
    req = SimpleNamespace(pathname="/", method="POST", query=dict(query), headers=dict(headers))
    theirs = Utils.get_authorization(req, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], "AKID", "sec")
    ours = acs3_authorization("POST", list(query.items()), headers, headers["x-acs-content-sha256"], "AKID", "sec")
    assert ours == theirs

"""The audit trail and the request log of the object service: every OSS refusal (policy, signature, unknown
key, altered token) lands in <data>/audit.jsonl with who, what and where, with the RequestId the SDK saw and
never a secret; each OSS request gets one JSON log line without its key; OSS metrics join /metrics."""
from __future__ import annotations

import json
import os
import time

import oss2
import pytest
import requests

from lanyard_testkit import CONNECT_TIMEOUT, READ_TIMEOUT, allow
from oss_testkit import OssWorld


@pytest.fixture(scope="module")
def world(server, _session_lab) -> OssWorld:
    return OssWorld.of(server, _session_lab)


@pytest.fixture(scope="module")
def bucket(world) -> str:
    name = world.new_bucket("audit")
    world.root_bucket(name).put_object("private/k.txt", b"x")
    return name


def audit_entry(lab, request_id: str, timeout: float = 5.0) -> dict:
    path = os.path.join(lab.server.data_dir, "audit.jsonl")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, encoding="utf-8") as f:
            for line in f:
                entry = json.loads(line)
                if entry.get("requestId") == request_id:
                    return entry
        time.sleep(0.1)
    raise AssertionError(f"no audit entry for request {request_id}")


def refused(world, bucket, identity_args, code: str) -> oss2.exceptions.OssError:
    b = oss2.Bucket(oss2.StsAuth(*identity_args) if len(identity_args) == 3 else oss2.Auth(*identity_args),
                    world.endpoint, bucket, connect_timeout=5)
    with pytest.raises(oss2.exceptions.OssError) as info:
        b.get_object("private/k.txt").read()
    assert info.value.code == code, info.value
    assert info.value.request_id
    return info.value


def altered(token: str) -> str:
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def test_oss_refusals_are_audited(world, bucket, lab):
    user, _ = world.user(allow("oss:ListObjects", f"acs:oss:*:*:{bucket}"))
    session, _ = world.role_session(allow("oss:*", "*"))
    cases = [
        ((user.access_key_id, user.secret), "AccessDenied", user.access_key_id),
        ((user.access_key_id, "not-the-secret"), "SignatureDoesNotMatch", user.access_key_id),
        (("LTAInobodyatall00", "whatever"), "InvalidAccessKeyId", "LTAInobodyatall00"),
        ((session.access_key_id, session.secret, altered(session.token)), "InvalidSecurityToken",
         session.access_key_id),
    ]
    for args, code, key_id in cases:
        err = refused(world, bucket, args, code)
        entry = audit_entry(lab, err.request_id)
        assert entry["event"] == "Refused" and entry["service"] == "oss", entry
        assert entry["code"] == code and entry["status"] == 403, entry
        assert entry["action"] == "oss:GetObject" and entry["accessKeyId"] == key_id, entry
        assert entry["sourceIp"] == "127.0.0.1" and entry["time"], entry
        assert entry["resource"] == f"acs:oss:*:{lab.account_id}:{bucket}/private/k.txt", entry
    denied = audit_entry(lab, refused(world, bucket, cases[0][0], "AccessDenied").request_id)
    assert denied["caller"].endswith(":user/" + denied["caller"].split("/")[-1]) and ":user/" in denied["caller"]
    with open(os.path.join(lab.server.data_dir, "audit.jsonl"), encoding="utf-8") as f:
        text = f.read()
    for secret in (user.secret, session.secret, session.token, altered(session.token)):
        assert secret not in text


def test_oss_requests_are_logged_without_keys(world, bucket, lab):
    b = world.root_bucket(bucket)
    key = "log-probe/very-private-name.txt"
    result = b.put_object(key, b"hello")
    deadline = time.monotonic() + 5
    line = None
    while line is None and time.monotonic() < deadline:
        with open(lab.server.log_path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                if result.request_id in raw and raw.startswith("{"):
                    line = json.loads(raw)
        time.sleep(0.1)
    assert line is not None, "no log line for the PutObject"
    assert line["msg"] == "oss request" and line["operation"] == "PutObject" and line["bucket"] == bucket, line
    assert line["status"] == 200 and line["code"] == "OK" and line["accessKeyId"] == lab.root_ak, line
    assert line["bytesIn"] == 5 and isinstance(line["latencyMs"], (int, float)), line
    with open(lab.server.log_path, encoding="utf-8", errors="replace") as f:
        assert "very-private-name" not in f.read()


def test_oss_metrics_join_the_api_metrics(world, bucket, lab):
    world.root_bucket(bucket).get_object("private/k.txt").read()
    text = requests.get(f"http://{lab.endpoint}/metrics", timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)).text
    assert 'lanyard_oss_requests_total{operation="GetObject",code="OK"}' in text
    assert "lanyard_oss_request_duration_seconds_bucket{operation=\"GetObject\",le=\"+Inf\"}" in text
    assert "lanyard_oss_received_bytes_total" in text and "lanyard_oss_sent_bytes_total" in text

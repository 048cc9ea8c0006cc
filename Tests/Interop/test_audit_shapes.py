"""Oversized and out-of-range requests get their protocol's error shape (POP JSON on the API, OSS XML with
x-oss-request-id on OSS) instead of libmicrohttpd's HTML or plain text; the largest legitimate request (a
6144-character PolicyDocument sent percent-encoded in the old Python SDK's query) still fits; a taken port
makes `lanyard up` fail before it creates an account."""
from __future__ import annotations

import json
import os
import socket
import subprocess

import oss2
import pytest
import requests

from lanyard_testkit import CONNECT_TIMEOUT, READ_TIMEOUT, CoreClient
from oss_testkit import OssWorld

TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)


@pytest.fixture(scope="module")
def world(server, _session_lab) -> OssWorld:
    return OssWorld.of(server, _session_lab)


def raw_exchange(port: int, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends a request head (no body even if one is announced) and reads the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        header_block, _, body = data.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body


def pop_error(body: bytes) -> dict:
    doc = json.loads(body)
    assert set(doc) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}, doc
    return doc


def test_api_long_query_is_a_pop_json_error(lab):
    r = requests.get(f"http://{lab.endpoint}/?Action=GetCallerIdentity&Pad=" + "a" * 100_000, timeout=TIMEOUT)
    assert r.status_code == 400, r.text[:200]
    assert pop_error(r.content)["Code"] == "InvalidParameter"


def test_api_huge_body_is_a_pop_json_error(lab):
    port = int(lab.endpoint.rsplit(":", 1)[1])
    status, headers, body = raw_exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: 20971520\r\n\r\n")
    assert status == 413
    assert headers.get("content-type", "").startswith("application/json")
    assert pop_error(body)["Code"] == "InvalidParameter"


def test_largest_policy_document_fits_in_the_old_sdk_query(lab):
    statement = '{"Effect":"Allow","Action":"oss:GetObject","Resource":["acs:oss:*:*:b/'
    tail = '"]}'
    head = '{"Version":"1","Statement":['
    end = ']}'
    pad = 6144 - len(head + statement + tail + end)
    document = head + statement + " " * pad + tail + end   # spaces: every one percent-encoded (then encoded again)
    assert len(document) == 6144
    core = CoreClient(lab.endpoint, lab.root_ak, lab.root_secret)
    name = "bigpolicy" + os.urandom(3).hex()
    core.call("ram", "CreatePolicy", {"PolicyName": name, "PolicyDocument": document})
    got = core.call("ram", "GetPolicy", {"PolicyName": name, "PolicyType": "Custom"})
    assert got["DefaultPolicyVersion"]["PolicyDocument"] == document


def test_oss_huge_header_is_an_oss_xml_error(world):
    port = int(world.endpoint.rsplit(":", 1)[1])
    status, headers, body = raw_exchange(
        port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nx-oss-pad: " + b"p" * 200_000 + b"\r\n\r\n")
    assert status == 400
    assert len(headers.get("x-oss-request-id", "")) == 24
    assert b"<Error>" in body and b"<Code>InvalidArgument</Code>" in body


def test_oss_metadata_over_8kb_is_refused(world):
    name = world.new_bucket("meta")
    b = world.root_bucket(name)
    meta = {f"x-oss-meta-m{i}": "v" * 1000 for i in range(9)}
    with pytest.raises(oss2.exceptions.OssError) as info:
        b.put_object("k", b"x", headers=meta)
    assert info.value.status == 400 and info.value.code == "InvalidArgument", info.value
    small = {f"x-oss-meta-m{i}": "v" * 900 for i in range(8)}
    assert b.put_object("k", b"x", headers=small).status == 200


def test_oss_standard_range_behavior(world):
    name = world.new_bucket("range")
    b = world.root_bucket(name)
    b.put_object("k", b"0123456789")
    with pytest.raises(oss2.exceptions.OssError) as info:
        b.get_object("k", byte_range=(20, 30), headers={"x-oss-range-behavior": "standard"}).read()
    assert info.value.status == 416 and info.value.code == "InvalidRange", info.value
    legacy = b.get_object("k", byte_range=(20, 30))
    assert legacy.status == 200 and legacy.read() == b"0123456789"
    clamped = b.get_object("k", byte_range=(5, 30), headers={"x-oss-range-behavior": "standard"})
    assert clamped.status == 206 and clamped.read() == b"56789"


def test_taken_port_leaves_no_account_behind(binary, tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    free_port = free.getsockname()[1]
    free.close()
    data = tmp_path / "data"
    try:
        for api, oss in ((taken.getsockname()[1], free_port), (free_port, taken.getsockname()[1])):
            proc = subprocess.run(
                [binary, "up", "--data", str(data), "--api", f"127.0.0.1:{api}", "--oss", f"127.0.0.1:{oss}"],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
            assert proc.returncode != 0, proc.stdout
            assert not (data / "root-credentials.json").exists()
            assert not (data / "objects.db").exists()
    finally:
        taken.close()

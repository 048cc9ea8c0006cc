"""Presigned URLs made by Alibaba's clients (oss2 sign_url with V1 and V4, alibabacloud-oss-v2 presign), fetched
with plain `requests`; anonymous access through ACLs with raw curl (spec/oss.md §3.1, §4.6, §8, §9)."""
from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import time
import urllib.parse

import pytest

from lanyard_testkit import allow
from oss_testkit import IDENTITIES, OssWorld, full_access, http_session, object_url, xml_fields

BODY = "hello, presigned world \u00fc".encode()


@pytest.fixture(scope="module")
def world(server, _session_lab) -> OssWorld:
    return OssWorld.of(server, _session_lab)


@pytest.fixture(scope="module")
def bucket(world) -> str:
    """A private bucket: one object made public-read by its object ACL, the rest private."""
    name = world.new_bucket("presign")
    root = world.root_bucket(name)
    root.put_object("shared/readme \u00fc+.txt", BODY, headers={"x-oss-object-acl": "public-read"})
    root.put_object("private/secret.txt", b"private bytes")
    root.put_object("docs/a b+c \u00fc.txt", BODY)
    root.put_object("docs/other.txt", b"another object")
    return name


@pytest.fixture(scope="module")
def public_bucket(world) -> str:
    name = world.new_bucket("public", acl="public-read")
    world.root_bucket(name).put_object("hello.txt", b"hello from a public-read bucket")
    return name


@pytest.fixture(scope="module")
def identities(world, bucket) -> dict:
    return {kind: world.identity(kind, full_access(bucket)) for kind in IDENTITIES}


def fetch(url: str, method: str = "GET", data: bytes | None = None):
    return http_session().request(method, url, data=data, timeout=30)


def denied(r, status: int, code: str) -> dict:
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text[:500]}"
    fields = xml_fields(r.content)
    assert fields.get("Code") == code, fields
    assert fields.get("Message"), "non-empty Message"
    assert fields.get("RequestId") == r.headers.get("x-oss-request-id")
    return fields


# -- presigned URLs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["oss2-v1", "oss2-v4", "pyv2", "pyv2-v1"])
@pytest.mark.parametrize("kind", IDENTITIES)
def test_presigned_get(world, bucket, identities, version, kind, lab):
    client = world.client(version, bucket, identities[kind])
    key = "docs/a b+c \u00fc.txt"
    url = client.sign_url("GET", key, 120) if version.startswith("oss2") else client.presign_get(key, 120)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if version.endswith("v1"):
        assert {"OSSAccessKeyId", "Expires", "Signature"} <= set(query), url
    else:
        assert query.get("x-oss-signature-version") == ["OSS4-HMAC-SHA256"], url
    if kind == "sts":
        assert ("security-token" in query) or ("x-oss-security-token" in query), url
    r = fetch(url)
    assert r.status_code == 200, r.text[:500]
    assert r.content == BODY
    assert r.headers.get("ETag", "").strip('"').upper() == hashlib.md5(BODY).hexdigest().upper()


@pytest.mark.parametrize("version", ["oss2-v1", "oss2-v4"])
def test_presigned_put(world, bucket, identities, version, lab):
    client = world.client(version, bucket, identities["user"])
    key = f"uploads/{version} \u00fc+.bin"
    url = client.sign_url("PUT", key, 120)
    r = fetch(url, "PUT", b"uploaded through a presigned URL")
    assert r.status_code == 200, r.text[:500]
    assert world.root_bucket(bucket).get_object(key).read() == b"uploaded through a presigned URL"


def test_expired_v1_presigned_url(world, bucket, identities, lab):
    """spec §3.1: 403 AccessDenied "Request has expired." with <Expires> and <ServerTime>."""
    client = world.client("oss2-v1", bucket, identities["user"])
    r = fetch(client.sign_url("GET", "docs/other.txt", -60))
    fields = denied(r, 403, "AccessDenied")
    assert "expired" in fields["Message"].lower(), fields["Message"]
    assert "Expires" in fields and "ServerTime" in fields, fields


def test_expired_v4_presigned_url(world, bucket, identities, lab):
    """x-oss-expires is relative to x-oss-date (§4.6); once it has passed the URL is refused."""
    client = world.client("oss2-v4", bucket, identities["user"])
    url = client.sign_url("GET", "docs/other.txt", 1)  # x-oss-expires=1 (pyv2 would round 1 s down to 0)
    assert "x-oss-expires=1&" in url + "&", url
    time.sleep(2.5)
    denied(fetch(url), 403, "AccessDenied")


@pytest.mark.parametrize("version", ["oss2-v1", "oss2-v4"])
def test_presigned_url_for_another_key_or_method_is_refused(world, bucket, identities, version, lab):
    client = world.client(version, bucket, identities["user"])
    url = client.sign_url("GET", "docs/other.txt", 120)
    parts = urllib.parse.urlsplit(url)
    moved = urllib.parse.urlunsplit(parts._replace(path=parts.path.replace("other.txt", "secret.txt")
                                                    .replace("docs", "private")))
    assert moved != url
    denied(fetch(moved), 403, "SignatureDoesNotMatch")
    denied(fetch(url, "DELETE"), 403, "SignatureDoesNotMatch")
    assert world.root_bucket(bucket).object_exists("docs/other.txt")


def test_presigned_url_of_a_user_without_permission(world, bucket, lab):
    ident = world.identity("user", allow("oss:GetObject", f"acs:oss:*:*:{bucket}/docs/*"))
    client = world.client("oss2-v1", bucket, ident)
    assert fetch(client.sign_url("GET", "docs/other.txt", 120)).content == b"another object"
    denied(fetch(client.sign_url("GET", "private/secret.txt", 120)), 403, "AccessDenied")


# -- anonymous access with curl -----------------------------------------------------------------------------


def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """Run curl; return (status, headers with lower-case names, body). With -I curl prints the headers itself."""
    exe = shutil.which("curl")
    assert exe, "curl is required"
    dump = [] if "-I" in args else ["-D", "-"]
    p = subprocess.run([exe, "-sS", "--noproxy", "*", "--max-time", "20", *dump, *args],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def test_curl_anonymous_get_of_a_public_read_object(world, bucket, lab):
    status, headers, body = curl(object_url(world.endpoint, bucket, "shared/readme \u00fc+.txt"))
    assert status == 200, body[:500]
    assert body == BODY
    assert headers.get("x-oss-request-id") and headers.get("date")


def test_curl_anonymous_get_of_a_private_object(world, bucket, lab):
    status, headers, body = curl(object_url(world.endpoint, bucket, "private/secret.txt"))
    assert status == 403, body[:500]
    assert headers.get("content-type", "").startswith("application/xml")
    fields = xml_fields(body)
    assert fields["Code"] == "AccessDenied"
    assert fields.get("RequestId") == headers.get("x-oss-request-id")
    assert b"private bytes" not in body


def test_curl_anonymous_head_of_a_private_object_has_x_oss_err(world, bucket, lab):
    """spec §6.3: a HEAD error has no body; the error XML travels base64-encoded in x-oss-err."""
    status, headers, body = curl("-I", object_url(world.endpoint, bucket, "private/secret.txt"))
    assert status == 403
    assert body == b""
    assert xml_fields(base64.b64decode(headers["x-oss-err"]))["Code"] == "AccessDenied"


def test_curl_anonymous_on_a_public_read_bucket(world, public_bucket, lab):
    status, _, body = curl(object_url(world.endpoint, public_bucket, "hello.txt"))
    assert (status, body) == (200, b"hello from a public-read bucket")
    status, _, body = curl("-X", "PUT", "--data-binary", "intruder", "-H", "Content-Type:",
                           object_url(world.endpoint, public_bucket, "intruder.txt"))
    assert status == 403, body[:500]
    assert xml_fields(body)["Code"] == "AccessDenied"
    status, _, body = curl("-X", "DELETE", object_url(world.endpoint, public_bucket, "hello.txt"))
    assert status == 403, body[:500]
    assert world.root_bucket(public_bucket).object_exists("hello.txt")
    assert world.root_bucket(public_bucket).object_exists("intruder.txt") is False


def test_curl_anonymous_missing_object_in_a_public_bucket(world, public_bucket, lab):
    status, _, body = curl(object_url(world.endpoint, public_bucket, "no such key"))
    assert status == 404
    assert xml_fields(body)["Code"] == "NoSuchKey"

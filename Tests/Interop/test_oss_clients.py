"""Alibaba's own OSS clients against `lanyard up --oss`: oss2 (V1 and V4), alibabacloud-oss-v2 (V4, path style)
and the Go SDK 1.5.0, each with a RAM user's AccessKey and with STS credentials from AssumeRole.

Facts from spec/oss.md: ETag = upper-case hex MD5 in quotes (§5), multipart ETag `"<HEX>-N"` (§5, issue 3),
x-oss-hash-crc64ecma = CRC-64/XZ in decimal (§7), listing pages of at most 1000 keys with NextMarker /
NextContinuationToken and CommonPrefixes (§6.2), key encodings per client (§2), keys of 1–1023 bytes (§6.5),
multipart parts of at least 100 KB but the last (§6.4), append positions (§6.3).
"""
from __future__ import annotations

import re

import pytest

from oss_testkit import (CLIENTS, IDENTITIES, OssFailure, OssWorld, blob, crc64, full_access, md5_hex,
                         put_many, quoted_etag)

MANY = 1100  # more than one page of 1000
TREE = ["tree/a/1", "tree/a/2", "tree/b/x/y", "tree/c", "tree/d//e", "tree/d//f", "tree/e f/g", "tree/+/h",
        "tree/%/i", "tree/\u00fc/j"]
# Keys whose bytes must survive every client's encoding (spaces, '+', '%', unicode, repeated '/', ...).
SPECIAL = [
    "with space.txt",
    "two  spaces and a trailing ",
    "plus+sign+.txt",
    "percent%25%2F%zz.txt",
    "unicode-\u00fc-\u65e5\u672c\u8a9e-\U0001F600.txt",
    "repeated//slashes///x",
    "/leading-slash-after-prefix",
    "dir/",
    "mixed +%&=?#;'~!*() .bin",
]


@pytest.fixture(scope="module")
def world(server, _session_lab) -> OssWorld:
    return OssWorld.of(server, _session_lab)


@pytest.fixture(scope="module")
def bucket(world) -> str:
    """One bucket for the module: 1100 keys under many/, a small tree for delimiters, written by root."""
    name = world.new_bucket("clients")
    items = [(f"many/{i:05d}", f"object {i}".encode()) for i in range(MANY)]
    items += [(k, k.encode()) for k in TREE]
    put_many(world, name, items)
    return name


@pytest.fixture(scope="module")
def identities(world, bucket) -> dict:
    """A RAM user and a role session, each allowed oss:* on the bucket and its objects only."""
    return {kind: world.identity(kind, full_access(bucket)) for kind in IDENTITIES}


@pytest.fixture(params=[(c, i) for c in CLIENTS for i in IDENTITIES], ids=lambda p: f"{p[0]}-{p[1]}")
def client(request, world, bucket, identities, lab):
    flavour, kind = request.param
    c = world.client(flavour, bucket, identities[kind])
    c.area = f"t/{flavour}-{kind}/"  # each parameter writes under its own prefix
    return c


def expect_failure(fn, status: int, code: str | None) -> OssFailure:
    """Run fn; require an OssFailure with this HTTP status and, where the client read one, this code."""
    with pytest.raises(OssFailure) as info:
        fn()
    err = info.value
    assert err.status == status, f"expected HTTP {status} {code}, got {err}"
    if code is not None and not (err.client == "go" and err.code is None):  # Go 1.5: no code on HEAD errors
        assert err.code == code, f"expected {code}, got {err}"
    return err


# -----------------------------------------------------------------------------------------------------------


def test_put_ranged_get_head_delete(client):
    key = client.area + "basic/object.bin"
    data = blob(64 * 1024 + 7, key)
    put = client.put(key, data)
    assert put.etag == quoted_etag(data), f"PutObject ETag {put.etag!r}, expected {quoted_etag(data)!r}"
    assert put.crc == crc64(data), f"PutObject x-oss-hash-crc64ecma {put.crc!r}, expected {crc64(data)}"

    assert client.get(key).data == data
    ranged = client.get(key, (100, 4195))
    assert ranged.data == data[100:4196]
    if ranged.content_range is not None:
        assert ranged.content_range == f"bytes 100-4195/{len(data)}"
    tail = client.get(key, (len(data) - 5, len(data) - 1))
    assert tail.data == data[-5:]

    meta = client.head(key)
    assert meta.etag == quoted_etag(data)
    assert meta.size == len(data)
    assert meta.crc == crc64(data)
    assert meta.object_type == "Normal"
    assert client.exists(key) is True

    client.delete(key)
    assert client.exists(key) is False
    expect_failure(lambda: client.head(key), 404, "NoSuchKey")
    expect_failure(lambda: client.get(key), 404, "NoSuchKey")
    client.delete(key)  # 204 whether or not the object exists (§6.3)


def test_overwrite_replaces_body_and_etag(client):
    key = client.area + "overwrite"
    client.put(key, b"first version")
    second = b"the second, longer version"
    assert client.put(key, second).etag == quoted_etag(second)
    assert client.get(key).data == second
    assert client.head(key).size == len(second)


def test_empty_object(client):
    key = client.area + "empty"
    put = client.put(key, b"")
    assert put.etag == '"D41D8CD98F00B204E9800998ECF8427E"'
    assert client.get(key).data == b""
    meta = client.head(key)
    assert (meta.size, meta.crc) == (0, "0")


def test_special_keys_round_trip_exactly(client):
    area = client.area + "special/"
    keys = [area + s for s in SPECIAL]
    for key in keys:
        data = key.encode("utf-8") + b"\x00\xff\r\n"
        assert client.put(key, data).etag == quoted_etag(data), key
    listed = client.list_all(prefix=area)
    assert listed.keys == sorted(keys, key=lambda k: k.encode("utf-8")), "listing must show the exact keys, in byte order"
    for key in keys:
        data = key.encode("utf-8") + b"\x00\xff\r\n"
        assert client.get(key).data == data, key
        meta = client.head(key)
        assert (meta.etag, meta.size) == (quoted_etag(data), len(data)), key
    for key in keys:
        client.delete(key)
    assert client.list_all(prefix=area).keys == []


def test_listing_more_than_1000_keys(client):
    expected = [f"many/{i:05d}" for i in range(MANY)]
    full = client.list_all(prefix="many/", max_keys=1000)
    assert full.pages == 2, f"{MANY} keys at max-keys=1000 must take 2 pages, took {full.pages}"
    assert full.keys == expected
    assert full.prefixes == []
    small = client.list_all(prefix="many/00", max_keys=300)  # many/00000 .. many/00999
    assert small.pages == 4
    assert small.keys == expected[:1000]


def test_prefix_and_delimiter(client):
    top = client.list_all(prefix="tree/", delimiter="/")
    assert top.keys == ["tree/c"]
    assert top.prefixes == sorted(["tree/a/", "tree/b/", "tree/d/", "tree/e f/", "tree/+/", "tree/%/", "tree/\u00fc/"],
                                  key=lambda k: k.encode("utf-8"))
    # max-keys counts keys and CommonPrefixes together; later pages must not repeat a prefix (§6.2).
    paged = client.list_all(prefix="tree/", delimiter="/", max_keys=3)
    assert (paged.keys, paged.prefixes) == (top.keys, top.prefixes)
    assert paged.pages == 3
    assert client.list_all(prefix="tree/d/", delimiter="/").prefixes == ["tree/d//"]
    nested = client.list_all(prefix="tree/d//", delimiter="/")
    assert (nested.keys, nested.prefixes) == (["tree/d//e", "tree/d//f"], [])
    assert client.list_all(prefix="tree/b", delimiter="/").prefixes == ["tree/b/"]
    assert client.list_all(prefix="tree/e f/").keys == ["tree/e f/g"]
    assert client.list_all(prefix="tree/+/").keys == ["tree/+/h"]
    assert client.list_all(prefix="nothing-here/").keys == []


def test_multipart_upload_with_list_parts(client):
    key = client.area + "multipart/big \u00fc+.bin"
    part = 100 * 1024
    data = blob(2 * part + 5000, key)
    out = client.multipart(key, data, part)
    chunks = [data[:part], data[part:2 * part], data[2 * part:]]
    assert out.listed == [(n, len(c), md5_hex(c)) for n, c in enumerate(chunks, start=1)], "ListParts"
    assert re.fullmatch(r'"[0-9A-F]{32}-3"', out.etag or ""), f"multipart ETag {out.etag!r}, expected \"<HEX>-3\""
    meta = client.head(key)
    assert (meta.etag, meta.size, meta.object_type) == (out.etag, len(data), "Multipart")
    assert meta.crc == crc64(data), "x-oss-hash-crc64ecma of a multipart object is the CRC of the whole object"
    assert client.get(key).data == data
    assert client.get(key, (part - 10, part + 9)).data == data[part - 10:part + 10], "a range across two parts"


def test_copy_object(client):
    source = client.area + "copy/source \u00fc+%.bin"
    target = client.area + "copy/target \u00fc+%.bin"
    if client.name == "go":  # Go 1.5 sends the copy source QueryEscape'd (space as '+'); keep spaces out of it
        source, target = source.replace(" ", "_"), target.replace(" ", "_")
    data = blob(3000, source)
    client.put(source, data)
    client.copy(source, target)
    assert client.get(target).data == data
    meta = client.head(target)
    assert (meta.etag, meta.crc) == (quoted_etag(data), crc64(data))
    assert client.get(source).data == data


def test_append_object(client):
    key = client.area + "append/log \u00fc.txt"
    first, second = b"first line\n", blob(5000, key)
    assert client.append(key, 0, first) == len(first)
    assert client.append(key, len(first), second) == len(first) + len(second)
    whole = first + second
    assert client.get(key).data == whole
    meta = client.head(key)
    assert (meta.size, meta.object_type, meta.crc) == (len(whole), "Appendable", crc64(whole))
    expect_failure(lambda: client.append(key, 3, b"x"), 409, "PositionNotEqualToLength")
    normal = client.area + "append/normal"
    client.put(normal, b"not appendable")
    expect_failure(lambda: client.append(normal, len(b"not appendable"), b"x"), 409, "ObjectNotAppendable")


def test_delete_multiple_objects(client):
    area = client.area + "batch/"
    keys = [area + s for s in ("plain", "a b", "c+d", "\u00fc\u00f1\u00ee", "x%y", "p//q", "keep")]
    for key in keys:
        client.put(key, key.encode())
    doomed = keys[:-1]
    deleted = client.delete_many(doomed)
    assert sorted(deleted) == sorted(doomed), "Deleted/Key must name each key exactly"
    assert client.list_all(prefix=area).keys == [area + "keep"]


def test_key_length_limit(client):
    area = client.area + "klen/"
    ok_ascii = area + "a" * (1023 - len(area))
    ok_unicode = area + "\u00e9" * ((1022 - len(area)) // 2)  # then 1 or 2 ASCII bytes to reach 1023
    ok_unicode += "b" * (1023 - len(ok_unicode.encode("utf-8")))
    for key in (ok_ascii, ok_unicode):
        assert len(key.encode("utf-8")) == 1023
        client.put(key, b"longest allowed")
        assert client.get(key).data == b"longest allowed"
    assert sorted(client.list_all(prefix=area).keys) == sorted([ok_ascii, ok_unicode])
    too_long = [ok_ascii + "a", ok_unicode[:-1] + "\u00e9"]  # 1024 bytes: one ASCII, one ending in a 2-byte char
    for key in too_long:
        assert len(key.encode("utf-8")) == 1024
        expect_failure(lambda: client.put(key, b"x"), 400, "InvalidObjectName")
    assert sorted(client.list_all(prefix=area).keys) == sorted([ok_ascii, ok_unicode])


def test_key_must_not_start_with_slash_or_backslash(client):
    for key in ("/starts-with-slash", "\\starts-with-backslash"):
        expect_failure(lambda: client.put(key, b"x"), 400, "InvalidObjectName")


@pytest.mark.parametrize("kind", IDENTITIES)
def test_pyv2_with_signature_v1(world, bucket, identities, kind, lab):
    """alibabacloud-oss-v2 can sign V1 too; its V1 signer sends an STS token as an unsigned `security-token`
    header rather than x-oss-security-token (spec §3): the server must accept either."""
    client = world.client("pyv2-v1", bucket, identities[kind])
    key = f"t/pyv2-v1-{kind}/object \u00fc+%.bin"
    data = blob(2048, key)
    assert client.put(key, data).etag == quoted_etag(data)
    assert client.get(key).data == data
    assert client.get(key, (10, 19)).data == data[10:20]
    assert client.list_all(prefix=f"t/pyv2-v1-{kind}/").keys == [key]
    assert client.list_all(prefix="many/", max_keys=1000).pages == 2
    client.delete(key)
    assert client.exists(key) is False

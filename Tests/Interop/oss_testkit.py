"""Helpers for the OSS interop tests: Alibaba's own OSS clients behind one call shape, checksums, an
independent V1 signer for hand-made requests, and the shared "world" (endpoint, buckets, identities).

Clients (see spec/oss.md §1–§4):
- `oss2-v1`: oss2 2.19.1 with `oss2.Auth` / `oss2.StsAuth` (signature V1, header `OSS ak:sig`), ListObjects v1.
- `oss2-v4`: oss2 with `oss2.AuthV4` / `StsAuth(auth_version='v4')` and `region=` (OSS4-HMAC-SHA256), ListObjectsV2.
- `pyv2`: alibabacloud-oss-v2 1.4.1 (V4 by default, path style, http endpoint), ListObjectsV2 paginator.
- `go`: the Go SDK 1.5.0 from Debian through `go/osscli` (V1, path style for an IP endpoint), ListObjects v1.

Every request has a timeout and every loop a bound.
"""
from __future__ import annotations

import atexit
import base64
import email.utils
import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import crcmod
import oss2
import alibabacloud_oss_v2 as ossv2
import requests

from lanyard_testkit import Lab, allow, policy_doc, trust_account

REGION = "cn-hangzhou"
CLIENTS = ("oss2-v1", "oss2-v4", "pyv2", "go")
IDENTITIES = ("user", "sts")
TIMEOUT = 30  # seconds, for every request a client makes
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GO_DRIVER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go", "osscli")

# ---------------------------------------------------------------------------------------------------------
# Checksums (spec §7: CRC-64/XZ as an unsigned decimal; ETag = upper-case hex MD5 in quotes)
# ---------------------------------------------------------------------------------------------------------

_crc64 = crcmod.mkCrcFun(0x142F0E1EBA9EA3693, initCrc=0, xorOut=0xFFFFFFFFFFFFFFFF, rev=True)


def crc64(data: bytes) -> str:
    """x-oss-hash-crc64ecma of data, as the decimal text OSS sends."""
    return str(_crc64(data))


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest().upper()


def quoted_etag(data: bytes) -> str:
    """The exact ETag header OSS sends for a simple (put) object."""
    return f'"{md5_hex(data)}"'


def bare_etag(value: str | None) -> str:
    """An ETag without quotes, upper-cased (oss2 strips quotes, Go keeps them)."""
    return (value or "").strip().strip('"').upper()


def blob(n: int, seed: str = "") -> bytes:
    """n deterministic pseudo-random bytes (distinct per seed) so a wrong range or a mixed-up part shows."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


# ---------------------------------------------------------------------------------------------------------
# One call shape for every client
# ---------------------------------------------------------------------------------------------------------


class OssFailure(Exception):
    """A refusal from the OSS service as one client reported it. `code` is None when the client could not
    read one (Go 1.5 on a HEAD error: it ignores x-oss-err)."""

    def __init__(self, client: str, status: int | None, code: str | None, message: str | None,
                 details: dict | None = None):
        super().__init__(f"[{client}] HTTP {status} {code}: {message}")
        self.client = client
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass
class Identity:
    label: str
    access_key_id: str
    secret: str
    token: str | None = None


@dataclass
class PutOutcome:
    etag: str | None   # the ETag header exactly as sent
    crc: str | None    # x-oss-hash-crc64ecma as sent


@dataclass
class GetOutcome:
    data: bytes
    content_range: str | None = None  # None when the client does not expose it (Go)


@dataclass
class Meta:
    etag: str | None
    size: int
    crc: str | None
    object_type: str | None


@dataclass
class Listing:
    keys: list[str]
    prefixes: list[str]
    pages: int


@dataclass
class MultipartOutcome:
    etag: str | None                      # of the completed object
    listed: list[tuple[int, int, str]]    # ListParts before completion: (PartNumber, Size, bare ETag)


MAX_PAGES = 100


class OssClient:
    """Base of the adapters: the operations the suite drives through every client."""

    name = ""

    def put(self, key: str, data: bytes) -> PutOutcome: raise NotImplementedError
    def get(self, key: str, byte_range: tuple[int, int] | None = None) -> GetOutcome: raise NotImplementedError
    def head(self, key: str) -> Meta: raise NotImplementedError
    def exists(self, key: str) -> bool: raise NotImplementedError
    def delete(self, key: str) -> None: raise NotImplementedError
    def delete_many(self, keys: list[str]) -> list[str]: raise NotImplementedError
    def list_all(self, prefix: str = "", delimiter: str = "", max_keys: int = 1000) -> Listing: raise NotImplementedError
    def multipart(self, key: str, data: bytes, part_size: int) -> MultipartOutcome: raise NotImplementedError
    def copy(self, source: str, target: str) -> None: raise NotImplementedError
    def append(self, key: str, position: int, data: bytes) -> int: raise NotImplementedError


def _parts(data: bytes, part_size: int) -> list[bytes]:
    return [data[i:i + part_size] for i in range(0, len(data), part_size)]


class _Oss2Errors:
    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, oss2.exceptions.OssError) and exc.status > 0:
            raise OssFailure(self.name, exc.status, exc.code or None, exc.message, dict(exc.details or {})) from exc
        return False


class Oss2Client(OssClient):
    """oss2 with signature V1 (`oss2.Auth`) or V4 (`oss2.AuthV4` + region); STS through `oss2.StsAuth`."""

    def __init__(self, endpoint: str, bucket: str, identity: Identity, version: str, tmp: str):
        self.name = f"oss2-{version}"
        self.version = version
        self.tmp = tmp
        if identity.token:
            auth = oss2.StsAuth(identity.access_key_id, identity.secret, identity.token,
                                auth_version=oss2.AUTH_VERSION_4 if version == "v4" else oss2.AUTH_VERSION_1)
        elif version == "v4":
            auth = oss2.AuthV4(identity.access_key_id, identity.secret)
        else:
            auth = oss2.Auth(identity.access_key_id, identity.secret)
        self.bucket = oss2.Bucket(auth, endpoint, bucket, connect_timeout=TIMEOUT, enable_crc=True,
                                  region=REGION if version == "v4" else None)
        self.errors = _Oss2Errors(self.name)

    def put(self, key, data):
        with self.errors:
            r = self.bucket.put_object(key, data)  # enable_crc: oss2 compares the CRC it computed
        return PutOutcome(r.headers.get("ETag"), r.headers.get("x-oss-hash-crc64ecma"))

    def get(self, key, byte_range=None):
        with self.errors:
            if byte_range is None:  # get_object_to_file checks length and CRC itself
                path = os.path.join(self.tmp, secrets.token_hex(8))
                try:
                    self.bucket.get_object_to_file(key, path)
                    with open(path, "rb") as f:
                        return GetOutcome(f.read())
                finally:
                    if os.path.exists(path):
                        os.remove(path)
            r = self.bucket.get_object(key, byte_range=byte_range)
            return GetOutcome(r.read(), r.headers.get("Content-Range"))

    def head(self, key):
        with self.errors:
            r = self.bucket.head_object(key)
        return Meta(r.headers.get("ETag"), r.content_length, r.headers.get("x-oss-hash-crc64ecma"),
                    r.headers.get("x-oss-object-type"))

    def exists(self, key):
        with self.errors:
            return self.bucket.object_exists(key)

    def delete(self, key):
        with self.errors:
            self.bucket.delete_object(key)

    def delete_many(self, keys):
        with self.errors:
            return list(self.bucket.batch_delete_objects(keys).deleted_keys)

    def list_all(self, prefix="", delimiter="", max_keys=1000):
        keys: list[str] = []
        prefixes: list[str] = []
        pages = 0
        marker = token = ""
        with self.errors:
            while pages < MAX_PAGES:
                if self.version == "v1":
                    r = self.bucket.list_objects(prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys)
                else:
                    r = self.bucket.list_objects_v2(prefix=prefix, delimiter=delimiter, continuation_token=token,
                                                    max_keys=max_keys)
                pages += 1
                keys += [o.key for o in r.object_list]
                prefixes += list(r.prefix_list)
                if not r.is_truncated:
                    break
                if self.version == "v1":
                    marker = r.next_marker
                else:
                    token = r.next_continuation_token
        return Listing(keys, prefixes, pages)

    def multipart(self, key, data, part_size):
        with self.errors:
            upload_id = self.bucket.init_multipart_upload(key).upload_id
            done = []
            for number, chunk in enumerate(_parts(data, part_size), start=1):
                r = self.bucket.upload_part(key, upload_id, number, chunk)
                done.append(oss2.models.PartInfo(number, r.etag))
            listed = self.bucket.list_parts(key, upload_id)
            parts = [(p.part_number, p.size, bare_etag(p.etag)) for p in listed.parts]
            r = self.bucket.complete_multipart_upload(key, upload_id, done)
        return MultipartOutcome(r.headers.get("ETag"), parts)

    def copy(self, source, target):
        with self.errors:
            self.bucket.copy_object(self.bucket.bucket_name, source, target)

    def append(self, key, position, data):
        with self.errors:
            return self.bucket.append_object(key, position, data).next_position

    def sign_url(self, method: str, key: str, expires: int) -> str:
        return self.bucket.sign_url(method, key, expires)


class PyV2Client(OssClient):
    """alibabacloud-oss-v2: V4 (or V1 on request), path style, plain http."""

    def __init__(self, endpoint: str, bucket: str, identity: Identity, tmp: str, signature_version: str = "v4"):
        self.name = "pyv2" if signature_version == "v4" else f"pyv2-{signature_version}"
        self.bucket_name = bucket
        self.tmp = tmp
        cfg = ossv2.config.load_default()
        cfg.region = REGION
        cfg.endpoint = endpoint
        cfg.credentials_provider = ossv2.credentials.StaticCredentialsProvider(
            identity.access_key_id, identity.secret, identity.token)
        cfg.use_path_style = True
        cfg.disable_ssl = True
        # 2, not 1: get_object_to_file loops `range(1, attempts)`, so with 1 it never downloads. 4xx answers
        # are not retried either way.
        cfg.retry_max_attempts = 2
        cfg.connect_timeout = 5
        cfg.readwrite_timeout = TIMEOUT
        cfg.signature_version = signature_version
        self.client = ossv2.Client(cfg)
        self.m = ossv2.models

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ossv2.exceptions.OperationError as e:
            inner = e.unwrap()
            if isinstance(inner, ossv2.exceptions.ServiceError):
                raise OssFailure(self.name, inner.status_code, inner.code or None, inner.message,
                                 dict(inner.error_fileds or {})) from e
            raise

    def put(self, key, data):
        r = self._call(lambda: self.client.put_object(self.m.PutObjectRequest(bucket=self.bucket_name, key=key,
                                                                               body=data)))
        return PutOutcome(r.headers.get("ETag"), r.headers.get("x-oss-hash-crc64ecma"))

    def get(self, key, byte_range=None):
        if byte_range is None:  # get_object_to_file checks the CRC itself
            path = os.path.join(self.tmp, secrets.token_hex(8))
            try:
                self._call(lambda: self.client.get_object_to_file(
                    self.m.GetObjectRequest(bucket=self.bucket_name, key=key), path))
                with open(path, "rb") as f:
                    return GetOutcome(f.read())
            finally:
                if os.path.exists(path):
                    os.remove(path)
        r = self._call(lambda: self.client.get_object(self.m.GetObjectRequest(
            bucket=self.bucket_name, key=key, range_header=f"bytes={byte_range[0]}-{byte_range[1]}")))
        return GetOutcome(r.body.read(), r.content_range)

    def head(self, key):
        r = self._call(lambda: self.client.head_object(self.m.HeadObjectRequest(bucket=self.bucket_name, key=key)))
        return Meta(r.headers.get("ETag"), int(r.content_length), r.headers.get("x-oss-hash-crc64ecma"),
                    r.headers.get("x-oss-object-type"))

    def exists(self, key):
        return self._call(lambda: self.client.is_object_exist(self.bucket_name, key))

    def delete(self, key):
        self._call(lambda: self.client.delete_object(self.m.DeleteObjectRequest(bucket=self.bucket_name, key=key)))

    def delete_many(self, keys):
        r = self._call(lambda: self.client.delete_multiple_objects(self.m.DeleteMultipleObjectsRequest(
            bucket=self.bucket_name, objects=[self.m.DeleteObject(key=k) for k in keys])))
        return [d.key for d in (r.deleted_objects or [])]

    def list_all(self, prefix="", delimiter="", max_keys=1000):
        keys: list[str] = []
        prefixes: list[str] = []
        pages = 0
        paginator = self.client.list_objects_v2_paginator(limit=max_keys)
        request = self.m.ListObjectsV2Request(bucket=self.bucket_name, prefix=prefix or None,
                                              delimiter=delimiter or None)

        def walk():
            nonlocal pages
            for page in paginator.iter_page(request):
                pages += 1
                keys.extend(o.key for o in (page.contents or []))
                prefixes.extend(p.prefix for p in (page.common_prefixes or []))
                if pages >= MAX_PAGES:
                    break

        self._call(walk)
        return Listing(keys, prefixes, pages)

    def multipart(self, key, data, part_size):
        b = self.bucket_name
        upload_id = self._call(lambda: self.client.initiate_multipart_upload(
            self.m.InitiateMultipartUploadRequest(bucket=b, key=key))).upload_id
        done = []
        for number, chunk in enumerate(_parts(data, part_size), start=1):
            r = self._call(lambda: self.client.upload_part(self.m.UploadPartRequest(
                bucket=b, key=key, upload_id=upload_id, part_number=number, body=chunk)))
            done.append(self.m.UploadPart(part_number=number, etag=r.etag))
        listed = self._call(lambda: self.client.list_parts(self.m.ListPartsRequest(bucket=b, key=key,
                                                                                    upload_id=upload_id)))
        parts = [(p.part_number, p.size, bare_etag(p.etag)) for p in (listed.parts or [])]
        r = self._call(lambda: self.client.complete_multipart_upload(self.m.CompleteMultipartUploadRequest(
            bucket=b, key=key, upload_id=upload_id,
            complete_multipart_upload=self.m.CompleteMultipartUpload(parts=done))))
        return MultipartOutcome(r.headers.get("ETag") or r.etag, parts)

    def copy(self, source, target):
        self._call(lambda: self.client.copy_object(self.m.CopyObjectRequest(
            bucket=self.bucket_name, key=target, source_bucket=self.bucket_name, source_key=source)))

    def append(self, key, position, data):
        r = self._call(lambda: self.client.append_object(self.m.AppendObjectRequest(
            bucket=self.bucket_name, key=key, position=position, body=data)))
        return int(r.next_position)

    def presign_get(self, key: str, seconds: int) -> str:
        import datetime as _dt
        r = self.client.presign(self.m.GetObjectRequest(bucket=self.bucket_name, key=key),
                                expires=_dt.timedelta(seconds=seconds))
        return r.url


class GoClient(OssClient):
    """The Go SDK 1.5.0 through the `osscli` driver: one process per operation, JSON out."""

    name = "go"

    def __init__(self, binary: str, endpoint: str, bucket: str, identity: Identity, tmp: str):
        self.binary = binary
        self.bucket_name = bucket
        self.tmp = tmp
        self.base = [binary, "-endpoint", endpoint, "-ak", identity.access_key_id, "-sk", identity.secret]
        if identity.token:
            self.base += ["-token", identity.token]

    def run(self, op: str, *args: str) -> dict:
        p = subprocess.run(self.base + [op, self.bucket_name, *args], capture_output=True, timeout=60)
        lines = p.stdout.decode("utf-8", errors="replace").strip().splitlines()
        if p.returncode != 0 or not lines:
            raise RuntimeError(f"osscli {op} exited {p.returncode}: {p.stderr.decode(errors='replace')}")
        out = json.loads(lines[-1])
        if not out["ok"]:
            if out.get("status") is None:
                raise RuntimeError(f"[go] {op}: {out.get('message')}")
            raise OssFailure("go", out["status"], out.get("code") or None, out.get("message"))
        return out

    def _file(self, data: bytes) -> str:
        path = os.path.join(self.tmp, secrets.token_hex(8))
        with open(path, "wb") as f:
            f.write(data)
        return path

    def put(self, key, data):
        path = self._file(data)
        try:
            out = self.run("put", key, path)
        finally:
            os.remove(path)
        return PutOutcome(out.get("etag") or None, out.get("crc64") or None)

    def get(self, key, byte_range=None):
        path = os.path.join(self.tmp, secrets.token_hex(8))
        extra = [] if byte_range is None else [str(byte_range[0]), str(byte_range[1])]
        try:
            self.run("get", key, path, *extra)
            with open(path, "rb") as f:
                return GetOutcome(f.read())
        finally:
            if os.path.exists(path):
                os.remove(path)

    def head(self, key):
        out = self.run("meta", key)
        return Meta(out.get("etag") or None, int(out["length"]), out.get("crc64") or None, out.get("type") or None)

    def exists(self, key):
        return bool(self.run("exists", key)["exists"])

    def delete(self, key):
        self.run("rm", key)

    def delete_many(self, keys):
        return list(self.run("rmmany", *keys).get("deleted") or [])

    def list_all(self, prefix="", delimiter="", max_keys=1000):
        out = self.run("list", prefix, delimiter, str(max_keys))
        return Listing(out["keys"] or [], out["prefixes"] or [], out["pages"])

    def multipart(self, key, data, part_size):
        path = self._file(data)
        try:
            out = self.run("multipart", key, path, str(part_size))
        finally:
            os.remove(path)
        listed = [(p["number"], p["size"], bare_etag(p["etag"])) for p in out["listed"]]
        return MultipartOutcome(out.get("etag") or None, listed)

    def copy(self, source, target):
        self.run("copy", source, target)

    def append(self, key, position, data):
        # Go 1.5 checks an append's CRC only when told the CRC of what is already there (spec §7).
        initial = "0" if position == 0 else self.head(key).crc
        path = self._file(data)
        try:
            return int(self.run("append", key, path, str(position), *([initial] if initial else []))["next"])
        finally:
            os.remove(path)


# ---------------------------------------------------------------------------------------------------------
# The Go driver, built once per session
# ---------------------------------------------------------------------------------------------------------

_scratch_lock = threading.Lock()
_scratch: str | None = None
_go_binary: str | None = None


def scratch_dir() -> str:
    """A temporary directory for the whole run, removed at exit."""
    global _scratch
    with _scratch_lock:
        if _scratch is None:
            _scratch = tempfile.mkdtemp(prefix="lanyard-oss-it-")
            atexit.register(shutil.rmtree, _scratch, True)
        return _scratch


def go_driver() -> str:
    """Build Tests/Interop/go/osscli with Debian's Go toolchain in GOPATH mode (once per session)."""
    global _go_binary
    if _go_binary is not None:
        return _go_binary
    out = os.path.join(scratch_dir(), "osscli")
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=os.path.join(scratch_dir(), "gocache"), GOFLAGS="")
    try:
        p = subprocess.run(["go", "build", "-o", out, "./Tests/Interop/go/osscli"], cwd=REPO_ROOT, env=env,
                           capture_output=True, timeout=300)
    except FileNotFoundError as e:
        raise RuntimeError("no `go` toolchain: install golang-go and golang-github-aliyun-aliyun-oss-go-sdk-dev") from e
    if p.returncode != 0:
        raise RuntimeError(f"building the Go OSS driver failed:\n{p.stderr.decode(errors='replace')}")
    _go_binary = out
    return out


# ---------------------------------------------------------------------------------------------------------
# Independent V1 signing (spec §3) for hand-made requests
# ---------------------------------------------------------------------------------------------------------


def http_date(offset_seconds: float = 0) -> str:
    return email.utils.formatdate(time.time() + offset_seconds, usegmt=True)


def v1_string_to_sign(method: str, bucket: str | None, key: str | None, headers: dict[str, str],
                      subresources: dict[str, str | None] | None = None, date: str | None = None) -> str:
    lower = {k.lower(): v for k, v in headers.items()}
    oss_headers = "".join(f"{k}:{lower[k].strip()}\n" for k in sorted(lower) if k.startswith("x-oss-"))
    resource = "/" if bucket is None else f"/{bucket}/{key or ''}"
    if subresources:
        resource += "?" + "&".join(k if v is None or v == "" else f"{k}={v}" for k, v in sorted(subresources.items()))
    return "\n".join([method, lower.get("content-md5", ""), lower.get("content-type", ""),
                      date if date is not None else lower.get("date", "")]) + "\n" + oss_headers + resource


def v1_signature(string_to_sign: str, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()).decode()


def object_url(endpoint: str, bucket: str, key: str = "", query: str | None = None) -> str:
    """Path-style URL, the key encoded as oss2 does (`/` as %2F)."""
    url = f"{endpoint}/{bucket}/{urllib.parse.quote(key, safe='')}"
    return url + ("?" + query if query else "")


def signed_headers(identity: Identity, method: str, bucket: str, key: str, headers: dict[str, str] | None = None,
                   date_offset: float = 0) -> dict[str, str]:
    """Headers (Date, token, Authorization) for a V1-signed request."""
    h = dict(headers or {})
    h["Date"] = http_date(date_offset)
    if identity.token:
        h["x-oss-security-token"] = identity.token
    sts = v1_string_to_sign(method, bucket, key, h)
    h["Authorization"] = f"OSS {identity.access_key_id}:{v1_signature(sts, identity.secret)}"
    return h


def xml_fields(body: bytes) -> dict[str, str]:
    """Child elements of an XML error body (root must be <Error>)."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(body)
    assert root.tag.split("}")[-1] == "Error", f"root element {root.tag}, expected Error: {body[:300]!r}"
    return {child.tag.split("}")[-1]: (child.text or "") for child in root}


def http_session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    return s


# ---------------------------------------------------------------------------------------------------------
# The world: endpoint, root, buckets, identities
# ---------------------------------------------------------------------------------------------------------


def full_access(bucket: str) -> dict:
    return allow("oss:*", [f"acs:oss:*:*:{bucket}", f"acs:oss:*:*:{bucket}/*"])


class OssWorld:
    """What the OSS tests share: the session server's OSS endpoint, root, clients and entity helpers."""

    _instances: dict[int, "OssWorld"] = {}
    _lock = threading.Lock()

    def __init__(self, server, lab: Lab):
        self.server = server
        self.lab = lab
        self.endpoint = f"http://127.0.0.1:{server.oss_port}"
        self.root = Identity("root", lab.root_ak, lab.root_secret)
        self.tmp = scratch_dir()
        self._assumer = None

    @classmethod
    def of(cls, server, lab: Lab) -> "OssWorld":
        with cls._lock:
            world = cls._instances.get(id(server))
            if world is None:
                world = cls._instances[id(server)] = cls(server, lab)
            return world

    # clients -----------------------------------------------------------------------------------------------

    def client(self, flavour: str, bucket: str, identity: Identity) -> OssClient:
        if flavour == "oss2-v1":
            return Oss2Client(self.endpoint, bucket, identity, "v1", self.tmp)
        if flavour == "oss2-v4":
            return Oss2Client(self.endpoint, bucket, identity, "v4", self.tmp)
        if flavour == "pyv2":
            return PyV2Client(self.endpoint, bucket, identity, self.tmp)
        if flavour == "pyv2-v1":
            return PyV2Client(self.endpoint, bucket, identity, self.tmp, signature_version="v1")
        if flavour == "go":
            return GoClient(go_driver(), self.endpoint, bucket, identity, self.tmp)
        raise ValueError(flavour)

    def root_bucket(self, bucket: str) -> oss2.Bucket:
        return oss2.Bucket(oss2.Auth(self.root.access_key_id, self.root.secret), self.endpoint, bucket,
                           connect_timeout=TIMEOUT)

    def new_bucket(self, purpose: str, acl: str | None = None) -> str:
        """A fresh bucket owned by the root account."""
        name = f"lyit-{purpose}-{secrets.token_hex(4)}"[:63].lower()
        self.root_bucket(name).create_bucket(acl)
        return name

    # identities --------------------------------------------------------------------------------------------

    def assumer(self):
        if self._assumer is None:
            self._assumer = self.lab.assumer()
        return self._assumer

    def user(self, *statements: dict) -> tuple[Identity, Any]:
        """A RAM user with one custom policy of these statements and an AccessKey."""
        u = self.lab.create_user(documents=[policy_doc(*statements)])
        return Identity("user", u.access_key_id, u.secret), u

    def role_session(self, *statements: dict, duration: int = 3600) -> tuple[Identity, Any]:
        """STS credentials from AssumeRole on a new role whose attached custom policy holds these statements."""
        role = self.lab.create_role(trust_account(self.lab.account_id), documents=[policy_doc(*statements)])
        c = self.lab.assume(self.assumer(), role, DurationSeconds=duration)
        return Identity("sts", c.access_key_id, c.secret, c.token), role

    def identity(self, kind: str, *statements: dict) -> Identity:
        return self.user(*statements)[0] if kind == "user" else self.role_session(*statements)[0]


def put_many(world: OssWorld, bucket: str, items: Iterable[tuple[str, bytes]], threads: int = 8) -> None:
    """Upload many small objects as root, concurrently (one oss2.Bucket per thread)."""
    local = threading.local()

    def one(item):
        if not hasattr(local, "bucket"):
            local.bucket = oss2.Bucket(oss2.Auth(world.root.access_key_id, world.root.secret), world.endpoint,
                                       bucket, connect_timeout=TIMEOUT, session=oss2.Session())
        local.bucket.put_object(item[0], item[1])

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(one, list(items)):
            pass


# ---------------------------------------------------------------------------------------------------------
# A clock shift for one server process (expiry tests): an LD_PRELOAD library moving the wall clock
# ---------------------------------------------------------------------------------------------------------

CLOCK_OFFSET_VARIABLE = "OSSIT_CLOCK_OFFSET"  # seconds added to the wall clock of the preloaded process

_CLOCK_SHIM_SOURCE = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long shift;
static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_gettimeofday)(struct timeval *, void *);

static void resolve(void) {
    /* Another library's constructor may ask for the time before ours has run: resolve on first use. */
    if (!real_clock_gettime) real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    if (!real_gettimeofday) real_gettimeofday = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
    if (!shift) {
        const char *text = getenv("OSSIT_CLOCK_OFFSET");
        shift = text ? strtol(text, NULL, 10) : 0;
    }
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
    resolve();
    int rc = real_clock_gettime(clock, ts);
    if (rc == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) ts->tv_sec += shift;
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz) {
    resolve();
    int rc = real_gettimeofday(tv, tz);
    if (rc == 0 && tv) tv->tv_sec += shift;
    return rc;
}

time_t time(time_t *out) {
    struct timespec ts;
    resolve();
    real_clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += shift;
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
"""

_clock_shim: str | None = None


def clock_shim() -> str:
    """Compile the clock-shifting preload library once per session (needs a C compiler: cc)."""
    global _clock_shim
    if _clock_shim is None:
        source = os.path.join(scratch_dir(), "clockshift.c")
        library = os.path.join(scratch_dir(), "clockshift.so")
        with open(source, "w") as f:
            f.write(_CLOCK_SHIM_SOURCE)
        compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if compiler is None:
            raise RuntimeError("a C compiler (cc) is needed to build the clock shim")
        p = subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", library, source, "-ldl"],
                           capture_output=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"building the clock shim failed:\n{p.stderr.decode(errors='replace')}")
        _clock_shim = library
    return _clock_shim

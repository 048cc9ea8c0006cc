"""Helpers for the interop suite: the `lanyard up` process, Alibaba's SDK clients behind one call shape,
and independent V1/ACS3 signers (written from spec/sts-ram-policy.md §1.2/§1.4) for hand-made requests.

Every network call here has a timeout, so a missing or stuck server fails a test instead of hanging it.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import importlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable

import pytest
import requests

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 20
REGION = "cn-hangzhou"
STS_VERSION = "2015-04-01"
RAM_VERSION = "2015-05-01"
VERSIONS = {"sts": STS_VERSION, "ram": RAM_VERSION}
SEED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Examples", "Seed")  # copies of shared/seed
SEED_TRUST_POLICY = f"{SEED_DIR}/trust-policy-ecs.json"
SEED_PASSROLE_POLICY = f"{SEED_DIR}/passrole-policy.json"

# ---------------------------------------------------------------------------------------------------------
# Errors, names, documents
# ---------------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A server-side refusal as seen by a client: HTTP status, POP error code, message, request id."""

    def __init__(self, status: int | None, code: str | None, message: str | None,
                 request_id: str | None = None, body: Any = None, flavour: str = ""):
        super().__init__(f"[{flavour}] HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.body = body
        self.flavour = flavour


_counter = 0
_counter_lock = threading.Lock()


def unique(prefix: str) -> str:
    """A name unique within the run, valid for users, roles, policies and session names."""
    global _counter
    with _counter_lock:
        _counter += 1
        n = _counter
    return f"{prefix}-{n}-{secrets.token_hex(3)}"


def policy_doc(*statements: dict) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust_doc(principal: dict, condition: dict | None = None) -> str:
    st: dict[str, Any] = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": principal}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "1", "Statement": [st]})


def trust_account(account_id: str) -> str:
    return trust_doc({"RAM": [f"acs:ram::{account_id}:root"]})


ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def parse_iso_z(value: str) -> _dt.datetime:
    return _dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)


# ---------------------------------------------------------------------------------------------------------
# Independent signers (for raw requests the SDKs cannot make: replays, old timestamps, wrong versions...)
# ---------------------------------------------------------------------------------------------------------


def rfc3986(value: Any) -> str:
    """Percent-encode with the RFC 3986 unreserved set (A-Za-z0-9-_.~), upper-case hex, UTF-8."""
    return urllib.parse.quote(str(value), safe="~")


def utc_timestamp(offset_seconds: float = 0) -> str:
    t = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=offset_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_string_to_sign(method: str, params: Iterable[tuple[str, Any]]) -> str:
    encoded = sorted((rfc3986(k), rfc3986(v)) for k, v in params if k != "Signature")
    canonical = "&".join(f"{k}={v}" for k, v in encoded)
    return f"{method.upper()}&%2F&{rfc3986(canonical)}"


def v1_signature(string_to_sign: str, secret: str) -> str:
    mac = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def v1_params(action: str, version: str, params: dict[str, Any] | None, access_key_id: str, secret: str,
              *, method: str = "POST", token: str | None = None, fmt: str = "JSON",
              timestamp: str | None = None, nonce: str | None = None,
              signed_extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The full, signed V1 parameter list (including Signature) for one call."""
    pairs: list[tuple[str, str]] = [
        ("Action", action), ("Version", version), ("Format", fmt),
        ("AccessKeyId", access_key_id), ("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0"),
        ("SignatureNonce", secrets.token_hex(16) if nonce is None else nonce),
        ("Timestamp", utc_timestamp() if timestamp is None else timestamp),
    ]
    if token is not None:
        pairs.append(("SecurityToken", token))
    pairs += [(k, str(v)) for k, v in (params or {}).items()]
    pairs += signed_extra or []
    pairs.append(("Signature", v1_signature(v1_string_to_sign(method, pairs), secret)))
    return pairs


def acs3_authorization(method: str, query: list[tuple[str, str]], headers: dict[str, str],
                       payload_hash: str, access_key_id: str, secret: str) -> str:
    """ACS3-HMAC-SHA256 Authorization header over every header given (names lower-cased)."""
    canon_query = "&".join(f"{k}={v}" for k, v in sorted((rfc3986(k), rfc3986(v)) for k, v in query))
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    signed = sorted(lower)
    canon_headers = "".join(f"{h}:{lower[h]}\n" for h in signed)
    canonical = "\n".join([method.upper(), "/", canon_query, canon_headers, ";".join(signed), payload_hash])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    sig = hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={';'.join(signed)},Signature={sig}"


@dataclass
class RawResponse:
    status: int
    headers: Any
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))


class RawClient:
    """Hand-made POP RPC requests over `requests`, with timeouts."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.base = f"http://{endpoint}/"
        self.session = requests.Session()
        self.session.trust_env = False  # never route loopback through a proxy from the environment

    def send(self, method: str, query: list[tuple[str, str]] | str | None = None, *, body: bytes | str | None = None,
             headers: dict[str, str] | None = None, path: str = "/") -> RawResponse:
        url = f"http://{self.endpoint}{path}"
        if isinstance(query, str):
            url += "?" + query
        elif query:
            url += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        r = self.session.request(method, url, data=body, headers=headers or {},
                                 timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), allow_redirects=False)
        return RawResponse(r.status_code, r.headers, r.content)

    def v1(self, action: str, params: dict[str, Any] | None, access_key_id: str, secret: str, *,
           version: str, method: str = "POST", in_body: bool = False, token: str | None = None,
           fmt: str = "JSON", timestamp: str | None = None, nonce: str | None = None) -> RawResponse:
        pairs = v1_params(action, version, params, access_key_id, secret, method=method, token=token, fmt=fmt,
                          timestamp=timestamp, nonce=nonce)
        if in_body:
            body = urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)
            return self.send(method, None, body=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        return self.send(method, pairs)

    def acs3(self, action: str, params: dict[str, Any] | None, access_key_id: str, secret: str, *,
             version: str, token: str | None = None, body_params: dict[str, Any] | None = None,
             date: str | None = None, nonce: str | None = None, payload_hash: str | None = None) -> RawResponse:
        query = [(k, str(v)) for k, v in (params or {}).items()]
        body = b""
        headers = {
            "host": self.endpoint, "x-acs-action": action, "x-acs-version": version,
            "x-acs-date": utc_timestamp() if date is None else date,
            "x-acs-signature-nonce": secrets.token_hex(16) if nonce is None else nonce,
        }
        if body_params:
            body = urllib.parse.urlencode([(k, str(v)) for k, v in body_params.items()],
                                          quote_via=urllib.parse.quote).encode()
            headers["content-type"] = "application/x-www-form-urlencoded"
        real_hash = hashlib.sha256(body).hexdigest()
        headers["x-acs-content-sha256"] = payload_hash or real_hash
        if token is not None:
            headers["x-acs-security-token"] = token
        headers["Authorization"] = acs3_authorization("POST", query, headers, headers["x-acs-content-sha256"],
                                                      access_key_id, secret)
        return self.send("POST", query, body=body, headers=headers)


# ---------------------------------------------------------------------------------------------------------
# The vendors' SDKs behind one call shape: client.call("ram"|"sts", Action, {Param: value}) -> dict
# ---------------------------------------------------------------------------------------------------------

FLAVOURS = ("core-v1", "tea-v3", "tea-v1")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class CoreClient:
    """aliyun-python-sdk-core AcsClient with the aliyunsdksts / aliyunsdkram request classes (V1)."""

    flavour = "core-v1"

    def __init__(self, endpoint: str, access_key_id: str, secret: str, token: str | None = None):
        from aliyunsdkcore.client import AcsClient
        from aliyunsdkcore.auth.credentials import StsTokenCredential, AccessKeyCredential

        cred = StsTokenCredential(access_key_id, secret, token) if token else AccessKeyCredential(access_key_id, secret)
        self.endpoint = endpoint
        self.acs = AcsClient(region_id=REGION, credential=cred, auto_retry=False,
                             connect_timeout=CONNECT_TIMEOUT, timeout=READ_TIMEOUT)

    def request(self, product: str, action: str, params: dict[str, Any] | None = None):
        pkg = {"sts": "aliyunsdksts.request.v20150401", "ram": "aliyunsdkram.request.v20150501"}[product]
        module = importlib.import_module(f"{pkg}.{action}Request")
        req = getattr(module, f"{action}Request")()
        for k, v in (params or {}).items():
            getattr(req, f"set_{k}")(v)  # AttributeError = a parameter the vendor's class does not know
        req.set_endpoint(self.endpoint)
        req.set_protocol_type("http")
        return req

    def call(self, product: str, action: str, params: dict[str, Any] | None = None) -> dict:
        from aliyunsdkcore.acs_exception.exceptions import ServerException

        req = self.request(product, action, params)
        try:
            body = self.acs.do_action_with_exception(req)
        except ServerException as e:
            raise ApiError(e.get_http_status(), e.get_error_code(), e.get_error_msg(), e.get_request_id(),
                           flavour=self.flavour) from e
        return json.loads(body.decode("utf-8"))

    def call_raw_format(self, product: str, action: str, params: dict[str, Any] | None, fmt: str):
        """Through the SDK but asking for another Format (do_action_with_exception forces JSON)."""
        req = self.request(product, action, params)
        req.set_accept_format(fmt)
        status, headers, body, _exc = self.acs._implementation_of_do_action(req)
        return status, headers, body


class TeaClient:
    """alibabacloud_sts20150401 / alibabacloud_ram20150501 on tea_openapi: V3 by default, V1 with 'v2'."""

    def __init__(self, endpoint: str, access_key_id: str, secret: str, token: str | None = None,
                 v1: bool = False):
        from alibabacloud_tea_openapi.utils_models import Config
        from alibabacloud_sts20150401.client import Client as StsClient
        from alibabacloud_ram20150501.client import Client as RamClient

        self.flavour = "tea-v1" if v1 else "tea-v3"

        def config():
            return Config(access_key_id=access_key_id, access_key_secret=secret, security_token=token,
                          endpoint=endpoint, protocol="http", region_id=REGION,
                          connect_timeout=CONNECT_TIMEOUT * 1000, read_timeout=READ_TIMEOUT * 1000,
                          signature_algorithm="v2" if v1 else None)

        self.clients = {"sts": StsClient(config()), "ram": RamClient(config())}
        self.models = {"sts": importlib.import_module("alibabacloud_sts20150401.models"),
                       "ram": importlib.import_module("alibabacloud_ram20150501.models")}

    def call_full(self, product: str, action: str, params: dict[str, Any] | None = None):
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

        client = self.clients[product]
        method = getattr(client, snake(action))
        model_cls = getattr(self.models[product], f"{action}Request", None)
        try:
            if model_cls is None:
                if params:
                    raise TypeError(f"{action} takes no parameters in {self.flavour}")
                resp = method()
            else:
                model = model_cls().from_map(dict(params or {}))
                unknown = set(params or {}) - set(k for k, v in model.to_map().items() if v is not None)
                if unknown:
                    raise TypeError(f"{self.flavour} {action}Request does not know {sorted(unknown)}")
                resp = method(model)
        except AlibabaCloudException as e:
            data = e.data if isinstance(e.data, dict) else {}
            raise ApiError(e.status_code, e.code, data.get("Message", e.message), data.get("RequestId"),
                           body=data, flavour=self.flavour) from e
        return resp

    def call(self, product: str, action: str, params: dict[str, Any] | None = None) -> dict:
        return self.call_full(product, action, params).body.to_map()


def make_client(flavour: str, endpoint: str, access_key_id: str, secret: str, token: str | None = None):
    if flavour == "core-v1":
        return CoreClient(endpoint, access_key_id, secret, token)
    if flavour == "tea-v3":
        return TeaClient(endpoint, access_key_id, secret, token)
    if flavour == "tea-v1":
        return TeaClient(endpoint, access_key_id, secret, token, v1=True)
    raise ValueError(flavour)


# ---------------------------------------------------------------------------------------------------------
# The server process
# ---------------------------------------------------------------------------------------------------------


class ServerStartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LanyardProcess:
    """One `lanyard up` in the foreground: started, awaited (`lanyard: ready`), stopped with SIGTERM."""

    READY_LINE = "lanyard: ready"

    def __init__(self, binary: str, data_dir: str, api_port: int, oss_port: int, log_path: str):
        self.binary = binary
        self.data_dir = data_dir
        self.api_port = api_port
        self.oss_port = oss_port
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.stdout_lines: list[str] = []
        self._ready = threading.Event()
        self._eof = threading.Event()
        self.stopped_on_purpose = False

    @property
    def api_endpoint(self) -> str:
        return f"127.0.0.1:{self.api_port}"

    def command(self) -> list[str]:
        cmd = [self.binary, "up", "--data", self.data_dir, "--api", self.api_endpoint]
        return cmd + ["--oss", f"127.0.0.1:{self.oss_port}"]

    def _pump(self, proc: subprocess.Popen, ready: threading.Event, eof: threading.Event, lines: list[str]) -> None:
        """Reads one run's stdout into that run's own events and lines: a previous run's late EOF or output can
        never speak for the current one."""
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            lines.append(line)
            if line.strip() == self.READY_LINE:
                ready.set()
        eof.set()

    def start(self, ready_timeout: float = 30.0) -> None:
        self._ready = threading.Event()
        self._eof = threading.Event()
        self.stdout_lines = []
        self.stopped_on_purpose = False
        log = open(self.log_path, "ab")
        log.write(f"--- start {time.strftime('%H:%M:%S')} ---\n".encode())
        log.flush()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LANYARD_", "ALIBABA_CLOUD_"))}
        try:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=log, env=env, start_new_session=True)
        except OSError as e:
            raise ServerStartError(f"cannot run {self.binary}: {e}") from e
        finally:
            log.close()
        threading.Thread(target=self._pump, args=(self.proc, self._ready, self._eof, self.stdout_lines),
                         daemon=True).start()
        deadline = time.monotonic() + ready_timeout
        while not self._ready.is_set():
            if self._eof.is_set() or self.proc.poll() is not None:
                self.proc.wait(timeout=5)
                raise ServerStartError(
                    f"`{' '.join(self.command())}` exited with {self.proc.returncode} before printing "
                    f"'{self.READY_LINE}'.\nstdout:\n" + "\n".join(self.stdout_lines[-20:])
                    + "\nstderr tail:\n" + self.stderr_tail())
            if time.monotonic() > deadline:
                self.kill()
                raise ServerStartError(
                    f"no '{self.READY_LINE}' within {ready_timeout:.0f}s.\nstdout:\n"
                    + "\n".join(self.stdout_lines[-20:]) + "\nstderr tail:\n" + self.stderr_tail())
            self._ready.wait(0.05)

    def stop(self, timeout: float = 20.0, sig: int = signal.SIGTERM) -> int | None:
        """Signal the server and wait for it; SIGKILL (and raise) if it does not stop in time."""
        self.stopped_on_purpose = True
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"lanyard did not exit within {timeout:.0f}s of signal {sig}")

    def kill(self) -> None:
        """SIGKILL the server's whole process group (it leads one: start_new_session)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def crashed(self) -> bool:
        """Exited although nobody stopped it."""
        return self.proc is not None and self.proc.poll() is not None and not self.stopped_on_purpose

    def restart(self) -> int | None:
        code = self.stop()
        self.start()
        return code

    def root_credentials(self) -> dict:
        with open(os.path.join(self.data_dir, "root-credentials.json")) as f:
            return json.load(f)

    def stderr_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------------------
# Fixtures' working objects
# ---------------------------------------------------------------------------------------------------------


@dataclass
class User:
    name: str
    user_id: str
    access_key_id: str
    secret: str


@dataclass
class Role:
    name: str
    arn: str
    role_id: str
    max_session_duration: int = 3600


@dataclass
class Credentials:
    access_key_id: str
    secret: str
    token: str
    expiration: str
    raw: dict = field(default_factory=dict)


class Lab:
    """Creates RAM entities with the root key (tea V3) and builds clients of any flavour."""

    def __init__(self, server: LanyardProcess):
        self.server = server
        root = server.root_credentials()
        self.account_id: str = root["AccountId"]
        self.root_ak: str = root["AccessKeyId"]
        self.root_secret: str = root["AccessKeySecret"]
        self.admin = TeaClient(server.api_endpoint, self.root_ak, self.root_secret)
        self.raw = RawClient(server.api_endpoint)

    @property
    def endpoint(self) -> str:
        return self.server.api_endpoint

    def client(self, flavour: str, access_key_id: str | None = None, secret: str | None = None,
               token: str | None = None):
        return make_client(flavour, self.endpoint, access_key_id or self.root_ak,
                           secret or self.root_secret, token)

    def root(self, flavour: str):
        return self.client(flavour)

    def user_client(self, flavour: str, user: User):
        return self.client(flavour, user.access_key_id, user.secret)

    def session_client(self, flavour: str, creds: Credentials):
        return self.client(flavour, creds.access_key_id, creds.secret, creds.token)

    def role_arn(self, name: str) -> str:
        return f"acs:ram::{self.account_id}:role/{name}"

    # entities -----------------------------------------------------------------------------------------------

    def create_policy(self, document: str, name: str | None = None) -> str:
        name = name or unique("pol")
        self.admin.call("ram", "CreatePolicy", {"PolicyName": name, "PolicyDocument": document})
        return name

    def _attach(self, kind: str, target: str, policies: Iterable[str | tuple[str, str]]) -> None:
        for p in policies:
            ptype, pname = p if isinstance(p, tuple) else ("System", p)
            self.admin.call("ram", f"AttachPolicyTo{kind}",
                            {"PolicyType": ptype, "PolicyName": pname, f"{kind}Name": target})

    def create_user(self, policies: Iterable[str | tuple[str, str]] = (), documents: Iterable[str] = (),
                    name: str | None = None, with_key: bool = True) -> User:
        name = name or unique("u")
        out = self.admin.call("ram", "CreateUser", {"UserName": name})
        user_id = out["User"]["UserId"]
        self._attach("User", name, list(policies) + [("Custom", self.create_policy(d)) for d in documents])
        ak = secret = ""
        if with_key:
            key = self.admin.call("ram", "CreateAccessKey", {"UserName": name})["AccessKey"]
            ak, secret = key["AccessKeyId"], key["AccessKeySecret"]
        return User(name, user_id, ak, secret)

    def create_role(self, trust: str, policies: Iterable[str | tuple[str, str]] = (),
                    documents: Iterable[str] = (), name: str | None = None,
                    max_session_duration: int | None = None) -> Role:
        name = name or unique("r")
        params: dict[str, Any] = {"RoleName": name, "AssumeRolePolicyDocument": trust}
        if max_session_duration is not None:
            params["MaxSessionDuration"] = max_session_duration
        out = self.admin.call("ram", "CreateRole", params)["Role"]
        self._attach("Role", name, list(policies) + [("Custom", self.create_policy(d)) for d in documents])
        return Role(name, out["Arn"], out["RoleId"], int(out.get("MaxSessionDuration") or 3600))

    def create_service_role(self, policies: Iterable[str | tuple[str, str]] = (), name: str | None = None) -> Role:
        """A role like the seed's ECIRamRoleTest: trusted entity Alibaba Cloud Service, ecs.aliyuncs.com."""
        with open(SEED_TRUST_POLICY) as f:
            return self.create_role(f.read(), policies, name=name)

    def assumer(self) -> User:
        """A RAM user allowed to call sts:AssumeRole on any role."""
        return self.create_user(["AliyunSTSAssumeRoleAccess"])

    def assume(self, user: User, role: Role | str, session: str | None = None, flavour: str = "tea-v3",
               **params) -> Credentials:
        arn = role.arn if isinstance(role, Role) else role
        p = {"RoleArn": arn, "RoleSessionName": session or unique("s"), **params}
        out = self.user_client(flavour, user).call("sts", "AssumeRole", p)
        c = out["Credentials"]
        return Credentials(c["AccessKeyId"], c["AccessKeySecret"], c["SecurityToken"], c["Expiration"], out)

    def alive(self) -> None:
        """The server still answers a good signed request after whatever the test just sent."""
        out = self.admin.call("sts", "GetCallerIdentity")
        assert out["AccountId"] == self.account_id


def expect_error(fn, status: int | tuple[int, ...], code: str | tuple[str, ...]) -> ApiError:
    """Run fn, require an ApiError with one of the given statuses and codes and a non-empty Message."""
    with pytest.raises(ApiError) as info:
        fn()
    err = info.value
    codes = code if isinstance(code, tuple) else (code,)
    statuses = status if isinstance(status, tuple) else (status,)
    assert err.code in codes, f"expected {codes}, got {err}"
    assert err.status in statuses, f"expected HTTP {statuses}, got {err}"
    assert err.message, f"{err}: empty Message"
    return err


def role_session_arn_ok(arn: str, account: str, role: str, session: str) -> bool:
    """spec §2.1: acs:ram::<acct>:role/<role>/<session>; older material: acs:sts::<acct>:assumed-role/..."""
    forms = [f"acs:ram::{account}:role/{role}/{session}", f"acs:sts::{account}:assumed-role/{role}/{session}"]
    return any(arn.lower() == f.lower() and arn.endswith(f"/{session}") for f in forms)

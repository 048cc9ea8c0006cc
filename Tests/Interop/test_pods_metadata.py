"""The metadata service at 100.100.100.200 as a pod sees it, with curl from inside the pod (issue 5 item 5;
spec/metadata-and-credentials.md §1.1-§1.4): every common path, the credentials document of the seed, hardened
mode, a server that requires tokens, and isolation between pods (§3.6: identity from the namespace, never from an
address or a header)."""
from __future__ import annotations

import ipaddress
import json
import time

import pytest

from lanyard_testkit import ISO_Z, parse_iso_z
from pod_testkit import API_FORWARDER, METADATA, OSS_FORWARDER, Pods, dedicated_server, describe_one, pods_fixture

CREDS = "/latest/meta-data/ram/security-credentials/"
TTL = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN = "X-aliyun-ecs-metadata-token"
SEED_FIELDS = ["AccessKeyId", "AccessKeySecret", "Expiration", "SecurityToken", "LastUpdated", "Code"]


@pytest.fixture
def pods(server, lab):
    yield from pods_fixture(server, lab)


@pytest.fixture
def role_pod(lab, pods):
    role = lab.create_service_role()
    return pods.create(role=role.name)


# -- paths ---------------------------------------------------------------------------------------------------


def test_common_instance_paths(lab, pods, role_pod):
    pod = role_pod
    group = describe_one(pods.root, pod.id)
    status, listing = pod.metadata("/latest/meta-data/")
    assert status == 200
    entries = listing.split("\n")
    for entry in ("instance-id", "region-id", "zone-id", "hostname", "private-ipv4", "owner-account-id", "ram/"):
        assert entry in entries, f"{entry} missing from the listing {entries}"
    # every leaf the listing names answers (the tree is consistent)
    for entry in entries:
        assert pod.metadata("/latest/meta-data/" + entry)[0] == 200, entry
    expected = {
        "instance-id": pod.id,
        "region-id": "cn-hangzhou",
        "hostname": pod.name,
        "owner-account-id": lab.account_id,
        "private-ipv4": group["IntranetIp"],
        "zone-id": group["ZoneId"],
    }
    for path, value in expected.items():
        assert pod.metadata(f"/latest/meta-data/{path}") == (200, value), path
    assert group["ZoneId"].startswith("cn-hangzhou")
    ipaddress.IPv4Address(pod.metadata("/latest/meta-data/private-ipv4")[1])
    assert pod.metadata("/latest/meta-data/ram/")[0] == 200
    # §1.1: the root lists the versions; 2016-01-01 serves the same tree; unknown paths are 404
    status, root = pod.metadata("/")
    assert status == 200 and set(root.split("\n")) >= {"latest", "2016-01-01"}
    assert pod.metadata("/2016-01-01/meta-data/instance-id") == (200, pod.id)
    assert pod.metadata("/latest/meta-data/no-such-item")[0] == 404
    assert pod.metadata("/latest/user-data")[0] == 404  # none was set


def test_role_discovery_and_seed_document(lab, role_pod):
    pod = role_pod
    assert pod.metadata(CREDS) == (200, pod.role)
    status, body = pod.metadata(CREDS + pod.role)
    assert status == 200
    doc = json.loads(body)
    assert list(doc) == SEED_FIELDS, f"fields or their order differ from the seed's document: {list(doc)}"
    assert doc["Code"] == "Success"
    assert doc["AccessKeyId"].startswith("STS.") and doc["AccessKeySecret"] and doc["SecurityToken"]
    for field in ("Expiration", "LastUpdated"):
        assert ISO_Z.match(doc[field]), f"{field}={doc[field]!r} is not YYYY-MM-DDThh:mm:ssZ"
    lifetime = (parse_iso_z(doc["Expiration"]) - parse_iso_z(doc["LastUpdated"])).total_seconds()
    assert abs(lifetime - 6 * 3600) <= 2, f"default lifetime should be 6 h like the seed, got {lifetime}s"
    # the credentials are the role's: STS says who they are
    who = lab.client("tea-v3", doc["AccessKeyId"], doc["AccessKeySecret"], doc["SecurityToken"]).call(
        "sts", "GetCallerIdentity")
    assert who["IdentityType"] == "AssumedRoleUser" and f"role/{pod.role}/".lower() in who["Arn"].lower()
    assert who["Arn"].endswith("/" + pod.name), "the session is named after the pod"


def test_other_role_names_are_404(lab, role_pod):
    pod = role_pod
    other = lab.create_service_role()
    for name in (other.name, pod.role + "x", pod.role[:-1], pod.role + "/", pod.role + "%20", "..", "%2e%2e"):
        status, body = pod.metadata(CREDS + name)
        assert status == 404 and "AccessKeyId" not in body, (name, status, body)


# -- hardened mode (§1.4) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", ["1", "60", "21600"])
def test_token_ttl_in_range_issues_token_that_works(role_pod, ttl):
    pod = role_pod
    status, token = pod.curl("/latest/api/token", method="PUT", headers={TTL: ttl})
    assert status == 200 and token
    if ttl != "1":
        assert pod.metadata(CREDS, headers={TOKEN: token}) == (200, pod.role)
        assert json.loads(pod.metadata(CREDS + pod.role, headers={TOKEN: token})[1])["Code"] == "Success"


@pytest.mark.parametrize("ttl", ["0", "21601", "21700", "-1", "abc", "", None])
def test_token_ttl_out_of_range_or_missing_is_400(role_pod, ttl):
    status, _ = role_pod.curl("/latest/api/token", method="PUT", headers={TTL: ttl} if ttl is not None else None)
    assert status == 400, (ttl, status)


def test_bad_and_expired_tokens_are_401(role_pod):
    pod = role_pod
    assert pod.metadata(CREDS + pod.role, headers={TOKEN: "aaa"})[0] == 401
    token = pod.token(60)
    assert pod.metadata(CREDS, headers={TOKEN: token[:-1] + ("0" if token[-1] != "0" else "1")})[0] == 401
    short = pod.token(1)
    time.sleep(2.1)
    status, body = pod.metadata(CREDS + pod.role, headers={TOKEN: short})
    assert status == 401 and "AccessKeyId" not in body


def test_x_forwarded_for_is_403(role_pod):
    pod = role_pod
    xff = {"X-Forwarded-For": "10.0.0.1"}
    assert pod.curl("/latest/api/token", method="PUT", headers={**xff, TTL: "60"})[0] == 403
    status, body = pod.metadata(CREDS + pod.role, headers=xff)
    assert status == 403 and "AccessKeyId" not in body
    token = pod.token(60)
    assert pod.metadata(CREDS + pod.role, headers={**xff, TOKEN: token})[0] == 403
    assert pod.metadata("/latest/meta-data/instance-id", headers={"x-forwarded-for": "127.0.0.1"})[0] == 403


def test_normal_mode_allowed_by_default(role_pod):
    assert role_pod.metadata("/latest/meta-data/instance-id") == (200, role_pod.id)


@pytest.fixture(scope="module")
def hardened(binary, tmp_path_factory):
    with dedicated_server(binary, str(tmp_path_factory.mktemp("hardened")), "--metadata-require-token") as proc:
        yield proc


def test_require_token_setting(hardened):
    from lanyard_testkit import Lab

    lab = Lab(hardened)
    pods = Pods(hardened, lab)
    try:
        role = lab.create_service_role()
        pod = pods.create(role=role.name)
        for path in ("/latest/meta-data/", "/latest/meta-data/instance-id", CREDS, CREDS + role.name):
            status, body = pod.metadata(path)
            assert status == 403 and "AccessKeyId" not in body, (path, status, body)
        token = pod.token(300)
        assert pod.metadata(CREDS, headers={TOKEN: token}) == (200, role.name)
        doc = pod.credentials(token)
        assert list(doc) == SEED_FIELDS and doc["Code"] == "Success"
        assert pod.metadata(CREDS, headers={TOKEN: "aaa"})[0] == 401
        assert pod.curl("/latest/api/token", method="PUT", headers={TTL: "21601"})[0] == 400
        assert pod.curl("/latest/api/token", method="PUT", headers={TTL: "60", "X-Forwarded-For": "1.2.3.4"})[0] == 403
        # Alibaba's provider works there, with IMDSv1 allowed (it asks for a token first) and disabled
        bucket_less = pod.probe("provider")
        assert bucket_less["ok"] and bucket_less["access_key_id"] == doc["AccessKeyId"], bucket_less
        strict = pod.probe("provider", env={"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"})
        assert strict["ok"] and strict["access_key_id"] == doc["AccessKeyId"], strict
    finally:
        problems = pods.cleanup()
    assert not problems, problems


# -- isolation (§3.6) -----------------------------------------------------------------------------------------


def test_pod_cannot_get_another_pods_credentials(lab, pods, server):
    a = pods.create(role=lab.create_service_role().name)
    b = pods.create(role=lab.create_service_role().name)
    b_doc = b.credentials()
    b_token = b.token(600)
    secrets_of_b = [b_doc["AccessKeyId"], b_doc["AccessKeySecret"], b_doc["SecurityToken"]]

    def no_leak(status: int, body: str, what: str):
        assert not any(s in body for s in secrets_of_b), f"{what}: pod A got pod B's credentials ({status})"

    # B's role name, every path form, on A's own metadata service
    for path in (CREDS + b.role, "/2016-01-01/meta-data/ram/security-credentials/" + b.role,
                 CREDS + b.role + "/", CREDS + "../security-credentials/" + b.role,
                 CREDS.replace("/ram/", "/Ram/") + b.role, CREDS + b.role.upper(),
                 "/latest/meta-data/ram/security-credentials%2F" + b.role, "//latest/meta-data/ram/security-credentials/" + b.role):
        status, body = a.metadata(path)
        assert status != 200 or "AccessKeyId" not in body, (path, status, body)
        no_leak(status, body, path)
    # headers that name B or pretend to be elsewhere
    for headers in ({"Host": b.name}, {"Host": b.id}, {"Host": f"{METADATA}:80"}, {"Host": "127.0.0.1"},
                    {"X-Forwarded-For": "127.0.0.1"}, {"X-Real-IP": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"},
                    {TOKEN: b_token}, {"X-Lanyard-Pod": b.id}, {"X-Aliyun-Instance-Id": b.id}):
        status, body = a.metadata(CREDS + b.role, headers=headers)
        assert status in (401, 403, 404), (headers, status, body)
        no_leak(status, body, str(headers))
        status, listing = a.metadata(CREDS, headers=headers)
        assert b.role not in listing, (headers, listing)
    # B's hardened-mode token is worthless in A, even for A's own role
    assert a.metadata(CREDS + a.role, headers={TOKEN: b_token})[0] == 401
    assert a.metadata("/latest/meta-data/instance-id", headers={TOKEN: b_token})[0] == 401
    # other addresses and ports inside A: the service forwarders answer as OSS / the API, never with metadata;
    # A's loopback is its own (nothing of the host listens there)
    for address, port in ((OSS_FORWARDER, 80), (API_FORWARDER, 80), ("127.0.0.1", 80),
                          ("127.0.0.1", server.api_port), ("127.0.0.1", server.oss_port), (METADATA, 8080)):
        for path in (CREDS, CREDS + b.role):
            status, body = a.curl(path, address=address, port=port)
            no_leak(status, body, f"{address}:{port}{path}")
            assert b.role != body.strip() and "AccessKeyId" not in body, (address, port, status, body)
        if address == "127.0.0.1":
            assert a.curl("/", address=address, port=port)[0] == 0, f"something listens on {address}:{port} in pod A"
    # A's network namespace has nothing but its own loopback: B's listener is unreachable
    links = a.exec(["ip", "-o", "link"]).out.strip().splitlines()
    assert len(links) == 1 and ": lo:" in links[0], links
    assert a.metadata("/latest/meta-data/instance-id") == (200, a.id)
    assert b.metadata("/latest/meta-data/instance-id") == (200, b.id)
    assert a.credentials()["AccessKeyId"] != b_doc["AccessKeyId"]


def test_new_pod_with_same_name_does_not_inherit_role(lab, pods):
    """A pod that reuses a deleted pod's name (and whatever address it had) starts with nothing of it."""
    role = lab.create_service_role()
    first = pods.create(role=role.name)
    old = first.credentials()
    pods.delete(first)
    second = pods.create(name=first.name)
    assert second.id != first.id and (second.holder_pid, second.holder_start) != (first.holder_pid, first.holder_start)
    assert second.metadata(CREDS)[0] == 404
    status, body = second.metadata(CREDS + role.name)
    assert status == 404 and old["AccessKeyId"] not in body


def test_nsenter_and_exec_see_the_same_pod(role_pod):
    """Both ways into the pod land in its namespaces and see the same metadata service."""
    assert role_pod.curl("/latest/meta-data/instance-id", via="nsenter") == (200, role_pod.id)
    assert role_pod.curl(CREDS, via="nsenter") == (200, role_pod.role)

"""Alibaba's own clients INSIDE a pod (issue 5 items 6, 7, 9; spec/metadata-and-credentials.md §2): the
alibabacloud_credentials ECS RAM role provider (IMDSv1 allowed and disabled, role given and discovered, the
default chain) feeding oss2, which lists a bucket through the region's internal endpoint; a policy change seen
by the running pod on its very next call; rotation observed on a server with the shortest allowed lifetime."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from lanyard_testkit import Lab, allow, deny, expect_error, parse_iso_z, policy_doc
from pod_testkit import Pods, dedicated_server, make_bucket, oss_list, pods_fixture

KEYS = ["a.txt", "b/c.txt"]


@pytest.fixture
def pods(server, lab):
    yield from pods_fixture(server, lab)


@pytest.fixture
def bucket(server, lab):
    return make_bucket(server, lab, KEYS)


@pytest.mark.parametrize("mode,role_given,imdsv1_disabled,sign", [
    ("provider", "env", False, "v4"),
    ("provider", "env", True, "v1"),
    ("provider", "param", True, "v4"),
    ("provider", None, False, "v1"),
    ("provider", None, True, "v4"),
    ("chain", None, False, "v4"),
    ("chain", "env", True, "v1"),
    ("config", "param", False, "v4"),
], ids=lambda v: str(v))
def test_credentials_provider_in_pod_lists_bucket(lab, pods, bucket, mode, role_given, imdsv1_disabled, sign):
    role = lab.create_service_role(["AliyunOSSReadOnlyAccess"])
    pod = pods.create(role=role.name)
    served = pod.credentials()
    env = {}
    args = [mode, "--bucket", bucket, "--sign", sign]
    if role_given == "env":
        env["ALIBABA_CLOUD_ECS_METADATA"] = role.name
    elif role_given == "param":
        args += ["--role", role.name]
    if imdsv1_disabled:
        env["ALIBABA_CLOUD_IMDSV1_DISABLED"] = "true"
    out = pod.probe(*args, env=env)
    assert out["ok"], out
    assert out["access_key_id"] == served["AccessKeyId"] and out["has_secret"] and out["has_token"]
    assert sorted(out["keys"]) == KEYS
    if out.get("expiration") is not None:
        assert out["expiration"] == int(parse_iso_z(served["Expiration"]).timestamp())


def test_provider_in_pod_without_role_fails_cleanly(lab, pods, bucket):
    pod = pods.create()
    out = pod.probe("provider", "--bucket", bucket, env={"ALIBABA_CLOUD_IMDSV1_DISABLED": "true"})
    assert not out["ok"] and out["stage"] == "credentials" and "404" in out["error"], out
    wrong = lab.create_service_role(["AliyunOSSReadOnlyAccess"])
    out = pod.probe("provider", "--role", wrong.name, "--bucket", bucket)
    assert not out["ok"] and out["stage"] == "credentials" and "404" in out["error"], out


def test_policy_change_seen_by_running_pod(lab, pods, bucket):
    """Attach/detach and a new default policy version change the outcome of the very next call from inside
    the pod; the pod keeps the same credentials throughout (no restart, no new session)."""
    role = lab.create_service_role(["AliyunOSSReadOnlyAccess"])
    pod = pods.create(role=role.name)
    ak = pod.credentials()["AccessKeyId"]

    def listing():
        out = pod.probe("provider", "--bucket", bucket, "--sign", "v1")
        assert out.get("access_key_id") == ak, out
        return out

    assert listing()["keys"] == KEYS
    lab.admin.call("ram", "DetachPolicyFromRole",
                   {"PolicyType": "System", "PolicyName": "AliyunOSSReadOnlyAccess", "RoleName": role.name})
    out = listing()
    assert (out["ok"], out.get("status"), out.get("code")) == (False, 403, "AccessDenied"), out

    custom = lab.create_policy(policy_doc(allow("oss:ListObjects", f"acs:oss:*:*:{bucket}")))
    lab.admin.call("ram", "AttachPolicyToRole", {"PolicyType": "Custom", "PolicyName": custom, "RoleName": role.name})
    assert listing()["keys"] == KEYS

    lab.admin.call("ram", "CreatePolicyVersion", {
        "PolicyName": custom, "SetAsDefault": True,
        "PolicyDocument": policy_doc(allow("oss:ListObjects", f"acs:oss:*:*:{bucket}"),
                                     deny("oss:ListObjects", f"acs:oss:*:*:{bucket}"))})
    out = listing()
    assert (out["ok"], out.get("status"), out.get("code")) == (False, 403, "AccessDenied"), out

    lab.admin.call("ram", "SetDefaultPolicyVersion", {"PolicyName": custom, "VersionId": "v1"})
    assert listing()["keys"] == KEYS
    assert pod.credentials()["AccessKeyId"] == ak, "the pod's session changed: this would not prove anything"


def test_deleted_role_is_no_longer_served_and_its_session_is_refused(lab, pods, bucket):
    """Review finding: after DeleteRole the pod kept being served credentials, the saved token kept working,
    and a new role of the same name lent it its permissions. Now: 404 from the metadata service, a RoleDeleted
    warning, the token refused (403 InvalidSecurityToken), also once a new role takes the name."""
    role = lab.create_service_role(["AliyunOSSReadOnlyAccess"])
    pod = pods.create(role=role.name)
    saved = pod.credentials()
    assert pod.probe("provider", "--bucket", bucket, "--sign", "v4")["keys"] == KEYS
    lab.admin.call("ram", "DetachPolicyFromRole",
                   {"PolicyType": "System", "PolicyName": "AliyunOSSReadOnlyAccess", "RoleName": role.name})
    lab.admin.call("ram", "DeleteRole", {"RoleName": role.name})
    path = f"/latest/meta-data/ram/security-credentials/{role.name}"
    assert pod.metadata(path)[0] == 404
    session = lab.client("tea-v3", saved["AccessKeyId"], saved["AccessKeySecret"], saved["SecurityToken"])
    expect_error(lambda: session.call("sts", "GetCallerIdentity"), 403, "InvalidSecurityToken")
    events = [e for e in pod.record()["events"] if e["reason"] == "RoleDeleted"]
    assert [e["type"] for e in events] == ["Warning"], pod.record()["events"]
    assert pod.eci.describe([pod.id])[0]["Status"] == "Running", "the pod itself keeps running"

    lab.create_service_role(["AliyunOSSReadOnlyAccess"], name=role.name)
    assert pod.metadata(path)[0] == 404
    expect_error(lambda: session.call("sts", "GetCallerIdentity"), 403, "InvalidSecurityToken")
    out = pod.probe("provider", "--bucket", bucket, "--sign", "v1")
    assert not out["ok"], out


# -- rotation -------------------------------------------------------------------------------------------------

LIFETIME = 900  # the server's minimum (`lanyard up` refuses less: STS's own minimum DurationSeconds)
FRACTION = 0.05  # the smallest rotation point: rotates 45 s after minting


@pytest.fixture(scope="module")
def rotating(binary, tmp_path_factory):
    with dedicated_server(binary, str(tmp_path_factory.mktemp("rotating")), "--credential-lifetime", str(LIFETIME),
                          "--credential-rotation", str(FRACTION)) as proc:
        yield proc


def test_rotation_new_key_before_old_expiration_both_valid(rotating):
    lab = Lab(rotating)
    pods = Pods(rotating, lab)
    try:
        role = lab.create_service_role(["AliyunOSSReadOnlyAccess"])
        bucket = make_bucket(rotating, lab, KEYS)
        pod = pods.create(role=role.name)
        old = pod.credentials()
        minted, expires = parse_iso_z(old["LastUpdated"]), parse_iso_z(old["Expiration"])
        assert abs((expires - minted).total_seconds() - LIFETIME) <= 2, old

        def rotated():
            doc = pod.credentials()
            return doc if doc["AccessKeyId"] != old["AccessKeyId"] else None

        # due at minted + 45 s; poll from inside the pod, bounded
        new = None
        deadline = time.monotonic() + LIFETIME * FRACTION + 25
        while new is None and time.monotonic() < deadline:
            time.sleep(2)
            new = rotated()
        seen_at = dt.datetime.now(dt.timezone.utc)
        assert new is not None, f"no rotation within {LIFETIME * FRACTION + 25:.0f}s of {old['LastUpdated']}"
        assert seen_at < expires, "the new key appeared only after the old one expired"
        assert (seen_at - minted).total_seconds() >= LIFETIME * FRACTION - 2, "rotated earlier than configured"
        assert parse_iso_z(new["LastUpdated"]) > minted and parse_iso_z(new["Expiration"]) > expires
        assert new["Code"] == "Success" and new["SecurityToken"] != old["SecurityToken"]

        # both are accepted until the old Expiration: STS says who they are, OSS lists with each
        for doc in (old, new):
            who = lab.client("tea-v3", doc["AccessKeyId"], doc["AccessKeySecret"], doc["SecurityToken"]).call(
                "sts", "GetCallerIdentity")
            assert f"role/{role.name}/".lower() in who["Arn"].lower(), who
            assert sorted(oss_list(rotating, bucket, doc["AccessKeyId"], doc["AccessKeySecret"],
                                   doc["SecurityToken"])) == KEYS
        # and Alibaba's provider inside the pod now gets the new one
        out = pod.probe("provider", "--bucket", bucket)
        assert out["ok"] and out["access_key_id"] == new["AccessKeyId"], out
        events = [e["Reason"] for e in pods.root.describe([pod.id])[0]["Events"]]
        assert "CredentialsRotated" in events, events
    finally:
        problems = pods.cleanup()
    assert not problems, problems


# -- endpoints inside the pod (issue 5 item 7) ------------------------------------------------------------------


def test_sts_and_late_bucket_by_internal_names(lab, pods, server):
    """STS at sts-vpc.<region>.aliyuncs.com with the SDK's credential= pattern, and a bucket created after the
    pod resolves at <bucket>.oss-<region>-internal.aliyuncs.com inside it."""
    role = lab.create_service_role(["AliyunOSSReadOnlyAccess"])
    pod = pods.create(role=role.name)
    late = make_bucket(server, lab, KEYS)
    out = pod.probe("chain", "--bucket", late, "--sts", "sts-vpc.cn-hangzhou.aliyuncs.com")
    assert out["ok"], out
    assert sorted(out["keys"]) == KEYS
    caller = out["caller"]
    assert caller["IdentityType"] == "AssumedRoleUser" and caller["AccountId"] == lab.account_id, caller
    assert caller["Arn"].lower().endswith(f"role/{role.name}/{pod.name}".lower()), caller
    hosts = pod.exec(["cat", "/etc/hosts"]).out
    assert f"{late}.oss-cn-hangzhou-internal.aliyuncs.com" in hosts


def test_credentials_exist_before_the_container_starts(lab, pods):
    """No start race (issue 5 item 6): the container's very first instruction already gets its credentials."""
    from pod_testkit import CONTAINER_GUARD, wait_until

    role = lab.create_service_role()
    first = (f"{CONTAINER_GUARD}; curl -s --noproxy '*' -m 5 -w ' status=%{{http_code}}' "
             f"http://100.100.100.200/latest/meta-data/ram/security-credentials/{role.name}; echo; sleep 3600")
    pod = pods.create(role=role.name, command=["/bin/sh", "-c", first])
    log = wait_until(lambda: (lambda t: t if "status=" in t else None)(pods.root.logs(pod.id)), 10)
    assert log and "status=200" in log, f"the container's first metadata call: {log!r}"
    assert '"Code": "Success"' in log or '"Code":"Success"' in log, log
    assert pod.credentials()["AccessKeyId"] in log

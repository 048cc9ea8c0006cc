"""ECI admission through Alibaba's ECI SDK (alibabacloud_eci20180808, ACS3 and V1 signatures): the role must
exist, must trust ecs.aliyuncs.com, and the caller must be root or be allowed ram:PassRole on it (issue 5 item 3,
spec/eci.md). A refusal names the rule and creates nothing; an admitted pod gets its role's credentials."""
from __future__ import annotations

import json

import pytest

from lanyard_testkit import ISO_Z, REGION, SEED_PASSROLE_POLICY, allow, expect_error, policy_doc, trust_account, unique
from pod_testkit import Eci, Pods, describe_one, passrole_policy_for, pods_fixture


@pytest.fixture
def pods(server, lab):
    yield from pods_fixture(server, lab)


def eci_for(lab, user, v1: bool = False) -> Eci:
    return Eci(lab.endpoint, user.access_key_id, user.secret, v1=v1)


def assert_nothing_named(pods: Pods, name: str) -> None:
    assert pods.root.describe(name=name) == [], f"a refused create left pod {name} behind"
    assert all(g["ContainerGroupName"] != name for g in pods.root.describe())


def refused(pods: Pods, eci: Eci, role: str, status: int, code: str, rule: str) -> None:
    name = unique("refused").lower()
    err = expect_error(lambda: eci.create(name, role=role), status, code)
    assert rule in err.message, f"the refusal does not name the rule {rule!r}: {err.message}"
    assert role in err.message, err.message
    assert_nothing_named(pods, name)


def test_role_that_does_not_exist_is_refused(lab, pods):
    refused(pods, pods.root, unique("no-such-role"), 404, "EntityNotExist.Role", "the role must exist")


def test_role_not_trusting_ecs_is_refused(lab, pods):
    role = lab.create_role(trust_account(lab.account_id))
    refused(pods, pods.root, role.name, 403, "NoPermission", "must trust service ecs.aliyuncs.com")
    other_service = lab.create_role(json.dumps({"Version": "1", "Statement": [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["fc.aliyuncs.com"]}}]}))
    refused(pods, pods.root, other_service.name, 403, "NoPermission", "must trust service ecs.aliyuncs.com")


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "v1"])
def test_ram_user_without_passrole_is_refused(lab, pods, v1):
    role = lab.create_service_role()
    user = lab.create_user(["AliyunECIFullAccess"])
    refused(pods, eci_for(lab, user, v1), role.name, 403, "NoPermission", "ram:PassRole")


def test_passrole_on_another_role_is_refused(lab, pods):
    """The seed's policy, verbatim, allows passing ECIRamRoleTest only: any other role is refused."""
    role = lab.create_service_role()
    with open(SEED_PASSROLE_POLICY) as f:
        user = lab.create_user(["AliyunECIFullAccess"], documents=[f.read()])
    refused(pods, eci_for(lab, user), role.name, 403, "NoPermission", "ram:PassRole")


def test_passrole_denied_explicitly_is_refused(lab, pods):
    role = lab.create_service_role()
    user = lab.create_user(["AliyunECIFullAccess"], documents=[
        passrole_policy_for(role.name), policy_doc({"Effect": "Deny", "Action": "ram:PassRole", "Resource": "*"})])
    refused(pods, eci_for(lab, user), role.name, 403, "NoPermission", "ram:PassRole")


def test_user_without_eci_permission_is_refused(lab, pods):
    """Like real ECI, a RAM user needs eci:CreateContainerGroup besides ram:PassRole."""
    role = lab.create_service_role()
    user = lab.create_user(documents=[passrole_policy_for(role.name)])
    name = unique("noeci").lower()
    err = expect_error(lambda: eci_for(lab, user).create(name, role=role.name), 403, "NoPermission")
    assert "eci:CreateContainerGroup" in err.message, err.message
    assert_nothing_named(pods, name)


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "v1"])
def test_ram_user_with_seed_passrole_policy_creates_pod(lab, pods, v1):
    role = lab.create_service_role()
    user = lab.create_user(["AliyunECIFullAccess"], documents=[passrole_policy_for(role.name)])
    pod = pods.create(role=role.name, eci=eci_for(lab, user, v1))
    group = describe_one(eci_for(lab, user), pod.id)
    assert (group["ContainerGroupName"], group["RamRoleName"]) == (pod.name, role.name)
    assert pod.credentials()["Code"] == "Success"


def test_passrole_with_wildcard_resource(lab, pods):
    role = lab.create_service_role()
    user = lab.create_user(["AliyunECIFullAccess"], documents=[
        policy_doc(allow("ram:PassRole", f"acs:ram:*:{lab.account_id}:role/*"))])
    pod = pods.create(role=role.name, eci=eci_for(lab, user))
    assert pod.credentials()["Code"] == "Success"


def test_root_creates_pod_with_role(lab, pods):
    role = lab.create_service_role()
    pod = pods.create(role=role.name)
    group = describe_one(pods.root, pod.id)
    assert group["Status"] == "Running" and group["RamRoleName"] == role.name
    creds = pod.credentials()
    assert creds["AccessKeyId"].startswith("STS.") and ISO_Z.match(creds["Expiration"])


def test_pod_without_role_has_no_credentials(lab, pods):
    pod = pods.create()
    status, body = pod.metadata("/latest/meta-data/ram/security-credentials/")
    assert status == 404, (status, body)
    role = lab.create_service_role()  # a role that exists, but is not this pod's
    assert pod.metadata(f"/latest/meta-data/ram/security-credentials/{role.name}")[0] == 404
    status, body = pod.metadata("/latest/meta-data/instance-id")
    assert (status, body) == (200, pod.id)


def test_eci_sdk_creates_pod_with_role_and_execs_inside(lab, pods, server):
    """The ECI SDK end to end: create with RamRoleName, describe, exec (SDK model and raw body), delete."""
    role = lab.create_service_role()
    pod = pods.create(role=role.name)
    group = describe_one(pods.root, pod.id)
    assert group["Containers"][0]["Commands"] == ["sleep"] and group["Containers"][0]["Args"] == ["3600"]
    # the SDK's own exec model: the pod sees its own role through the metadata service
    out = pods.root.exec_sdk(pod.id, ["/bin/sh", "-c",
                                      'test "$(readlink /proc/self/ns/net)" = "net:[%d]" && '
                                      "curl -s --noproxy '*' -m 5 http://100.100.100.200/latest/meta-data/ram/"
                                      "security-credentials/" % pod.netns])
    assert out == role.name
    r = pod.exec(["/bin/sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (r.code, r.out, r.err) == (7, "out\n", "err\n")
    pods.delete(pod)
    assert pods.root.describe([pod.id]) == []


def test_eci_sdk_pod_asking_for_a_volume_is_refused_and_not_created(lab, pods):
    """A pod that needs a volume is refused (InvalidParameter naming the parameter) rather than run without it."""
    from alibabacloud_eci20180808 import models as m

    name = unique("volume").lower()
    container = m.CreateContainerGroupRequestContainer(
        name="app", image="centos:7", command=["sleep"], arg=["3600"],
        volume_mount=[m.CreateContainerGroupRequestContainerVolumeMount(name="data", mount_path="/data")])
    volume = m.CreateContainerGroupRequestVolume(
        name="data", type="EmptyDirVolume", empty_dir_volume=m.CreateContainerGroupRequestVolumeEmptyDirVolume())
    req = m.CreateContainerGroupRequest(region_id=REGION, container_group_name=name, container=[container],
                                        volume=[volume], restart_policy="Never")
    err = expect_error(lambda: pods.root._wrap(lambda: pods.root.client.create_container_group(req)), 400,
                       "InvalidParameter")
    assert "is not supported by Lanyard pods" in err.message and ("Volume" in err.message), err
    assert_nothing_named(pods, name)


def test_eci_sdk_pod_whose_environment_cannot_be_exec_d_is_refused_and_not_created(lab, pods):
    """An env entry longer than Linux lets a process have is refused before the pod exists, not found out when its
    container fails to start ("Argument list too long")."""
    from alibabacloud_eci20180808 import models as m

    name = unique("bigenv").lower()
    container = m.CreateContainerGroupRequestContainer(
        name="app", image="centos:7", command=["sleep"], arg=["3600"],
        environment_var=[m.CreateContainerGroupRequestContainerEnvironmentVar(key="BIG", value="v" * 140_000)])
    req = m.CreateContainerGroupRequest(region_id=REGION, container_group_name=name, container=[container],
                                        restart_policy="Never")
    err = expect_error(lambda: pods.root._wrap(lambda: pods.root.client.create_container_group(req)), 400,
                       "InvalidParameter.Container")
    assert "an env entry of 140004 bytes is longer than 131071" in err.message, err
    assert_nothing_named(pods, name)

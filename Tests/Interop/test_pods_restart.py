"""Pods across a `lanyard up` restart on the same data directory (issue 5 item 4; DESIGN.md "A pod is a holder
process and its namespaces"): pods are adopted (or recreated when their holder died) and served again, and
DeleteContainerGroup leaves no holder or other process behind."""
from __future__ import annotations

import os
import signal
import subprocess

import pytest

from pod_testkit import Pod, assert_gone, cli_env, describe_one, pods_fixture, running, wait_until

CREDS = "/latest/meta-data/ram/security-credentials/"


@pytest.fixture
def pods(server, lab):
    yield from pods_fixture(server, lab)


def reread(pods, pod: Pod) -> Pod:
    """The pod as the server now records it (a recreated pod has a new holder and namespaces)."""
    fresh = Pod(pod.server, pods.root, pod.id, pod.name, pod.role)
    pods.created.append(fresh)
    return fresh


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_restart_adopts_running_pods(lab, pods, server, how):
    role = lab.create_service_role()
    with_role = pods.create(role=role.name)
    without = pods.create()
    before = with_role.credentials()
    container_pid = int(with_role.record()["containers"][0]["process"]["pid"])

    server.stop(sig=signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)
    assert with_role.holder_alive() and without.holder_alive(), "a server stop must not take pods down"
    server.start()

    groups = {g["ContainerGroupId"]: g for g in pods.root.describe([with_role.id, without.id])}
    assert set(groups) == {with_role.id, without.id}
    for pod in (with_role, without):
        after = reread(pods, pod)
        assert (after.holder_pid, after.netns) == (pod.holder_pid, pod.netns), "a live holder must be adopted"
        assert groups[pod.id]["Containers"][0]["CurrentState"]["State"] == "Running", groups[pod.id]
    assert os.path.exists(f"/proc/{container_pid}"), "the container was killed by the restart"
    # exec into an adopted pod enters all of its namespaces, the pid namespace too, as its containers run
    r = reread(pods, with_role).exec(["/bin/sh", "-c", "readlink /proc/self/ns/pid; id -u; cat /proc/1/cmdline"])
    assert r.out == f"pid:[{with_role.pidns}]\n65534\nsleep\0infinity\0", r
    # served again: metadata answers, with credentials for the pod with a role and still none for the other
    assert with_role.metadata(CREDS) == (200, role.name)
    doc = with_role.credentials()
    assert doc["Code"] == "Success"
    assert without.metadata(CREDS)[0] == 404
    assert without.metadata("/latest/meta-data/instance-id") == (200, without.id)
    # credentials served before the restart stay valid until their own expiry
    for creds in (before, doc):
        who = lab.client("tea-v3", creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]).call(
            "sts", "GetCallerIdentity")
        assert f"role/{role.name}/".lower() in who["Arn"].lower()
    for pod in (with_role, without):
        pods.delete(pod)
        assert not os.path.exists(f"/proc/{pod.holder_pid}") or not pod.holder_alive()
    assert wait_until(lambda: not os.path.exists(f"/proc/{container_pid}"), 5), "container survived delete"


def test_stopping_the_server_stops_running_execs_and_says_so(lab, pods, server, binary):
    """SIGTERM while `lanyard exec` runs: the command is killed (not left running until its timeout with nobody
    to read its output), the CLI gets a 503 ServiceUnavailable that says why, and the pod itself keeps running."""
    pod = pods.create()
    process = subprocess.Popen([binary, "exec", pod.name, "--endpoint", server.api_endpoint, "--", "sleep", "603"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(pods))
    try:
        assert wait_until(lambda: running(pod, "sleep", "603") == 1, 10), "the exec did not start"
        server.stop()
        _, err = process.communicate(timeout=15)
        assert process.returncode == 1, (process.returncode, err)
        assert b"ServiceUnavailable" in err and b"shutting down" in err, err
        assert wait_until(lambda: running(pod, "sleep", "603") == 0, 5), "the command outlived the server"
        assert pod.holder_alive(), "stopping the server must not take the pod down"
    finally:
        process.kill()
        process.wait()
        server.start()


def test_pod_whose_holder_died_is_recreated_without_orphans(lab, pods, server):
    role = lab.create_service_role()
    pod = pods.create(role=role.name)
    container_pid = int(pod.record()["containers"][0]["process"]["pid"])
    server.stop()
    os.kill(pod.holder_pid, signal.SIGKILL)  # the pod's own holder, started for this test
    assert wait_until(lambda: not pod.holder_alive(), 5)
    server.start()

    after = reread(pods, pod)
    # a new holder (namespace inodes may be reused once the old namespaces are freed, so they prove nothing)
    assert (after.holder_pid, after.holder_start) != (pod.holder_pid, pod.holder_start)
    # the old holder was PID 1 of the old pod: its death ended every process in it, the container included
    assert wait_until(lambda: not os.path.exists(f"/proc/{container_pid}"), 5), "old container left running"
    group = describe_one(pods.root, pod.id)
    assert group["Status"] == "Running" and group["RamRoleName"] == role.name
    assert "SandboxLost" in [e["Reason"] for e in group["Events"]]
    assert after.metadata(CREDS) == (200, role.name)
    assert after.credentials()["Code"] == "Success"
    assert after.metadata("/latest/meta-data/instance-id") == (200, pod.id)
    pods.delete(after)


def test_delete_leaves_no_processes(lab, pods):
    role = lab.create_service_role()
    pod = pods.create(role=role.name)
    # a stray child in the pod, detached from the exec that started it ($! is its pid in the pod's namespace)
    r = pod.exec(["/bin/sh", "-c", "setsid sleep 3000 >/dev/null 2>&1 < /dev/null & echo $!"])
    stray = pod.host_pid(int(r.out.strip()))
    assert stray in pod.processes()
    pods.delete(pod)
    assert_gone(pod)
    assert pods.root.describe([pod.id]) == []
    assert not os.path.exists(os.path.join(pod.server.data_dir, "pods", pod.id)), "the pod's files are left"


def test_restart_container_group_keeps_role_and_credentials(lab, pods):
    """RestartContainerGroup (ECI SDK) restarts the containers in the same sandbox, with the same session."""
    role = lab.create_service_role()
    pod = pods.create(role=role.name)
    before = pod.credentials()
    old_pid = int(pod.record()["containers"][0]["process"]["pid"])
    pods.root.restart(pod.id)
    assert wait_until(lambda: not os.path.exists(f"/proc/{old_pid}"), 5), "the old container process survived"
    group = wait_until(lambda: (lambda g: g if g["Status"] == "Running" and g["Containers"][0]["RestartCount"] >= 1
                                else None)(describe_one(pods.root, pod.id)), 10)
    assert group, describe_one(pods.root, pod.id)
    assert pod.holder_alive() and pod.credentials()["AccessKeyId"] == before["AccessKeyId"]

"""The node's pod capacity (review finding: a Deployment of 100000 replicas made pods until the server ran out
of descriptors and other pods failed). `lanyard up --max-pods N`: CreateContainerGroup beyond N is refused with
403 QuotaExceeded.ContainerGroup before anything is created, and `lanyard apply` refuses a plan that needs more
pods than that up front."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from lanyard_testkit import expect_error, unique
from pod_testkit import Eci, dedicated_server

CAPACITY = 3


@pytest.fixture(scope="module")
def small(binary, tmp_path_factory):
    with dedicated_server(binary, str(tmp_path_factory.mktemp("small")), "--max-pods", str(CAPACITY)) as proc:
        yield proc


def root_eci(proc) -> Eci:
    root = proc.root_credentials()
    return Eci(proc.api_endpoint, root["AccessKeyId"], root["AccessKeySecret"])


def apply(binary: str, proc, manifest: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "LANYARD_"))}
    env["LANYARD_CONFIG_FILE"] = os.path.join(proc.data_dir, "no-such-config.json")
    return subprocess.run([binary, "apply", "-f", "-", "--data", proc.data_dir, "--endpoint", proc.api_endpoint],
                          input=manifest, capture_output=True, text=True, timeout=60, env=env)


def deployment(name: str, replicas: int) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "x", "command": ["sleep", "3600"]}]}}}})


def test_create_beyond_capacity_is_refused_and_creates_nothing(small):
    eci = root_eci(small)
    ids = [eci.create(unique("cap").lower()) for _ in range(CAPACITY)]
    name = unique("over").lower()
    err = expect_error(lambda: eci.create(name), 403, "QuotaExceeded.ContainerGroup")
    assert str(CAPACITY) in err.message and "--max-pods" in err.message, err.message
    assert eci.describe(name=name) == []
    assert len(eci.describe()) == CAPACITY
    eci.delete(ids[0])
    ids[0] = eci.create(name)
    for group_id in ids:
        eci.delete(group_id)


def test_apply_refuses_more_replicas_than_the_node_runs_up_front(binary, small):
    eci = root_eci(small)
    name = unique("big").lower()
    out = apply(binary, small, deployment(name, 100000))
    assert out.returncode != 0, out
    assert "more than the node runs" in out.stderr and f"0 to {CAPACITY}" in out.stderr, out.stderr
    assert eci.describe() == [], "nothing may be created"

    out = apply(binary, small, deployment(name, CAPACITY))
    assert out.returncode == 0, out.stderr
    assert f"deployment.apps/{name} created" in out.stdout
    assert len(eci.describe()) == CAPACITY
    # One more object that needs a pod: refused before anything is sent.
    other = unique("more").lower()
    out = apply(binary, small, deployment(other, 1))
    assert out.returncode != 0 and "more than the node runs" in out.stderr, out
    assert len(eci.describe()) == CAPACITY
    for group in eci.describe():
        eci.delete(group["ContainerGroupId"])


@pytest.mark.parametrize("bad", ["web.v1", "a" * 100])
def test_apply_with_a_pod_name_eci_refuses_creates_nothing(binary, small, bad):
    """A pod name Kubernetes allows but an ECI container group cannot have (dots, more than 63 characters) is
    refused while the file is read, so the valid pod before it in the same file is not created either."""
    first = unique("first").lower()
    pod = lambda name: json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                   "spec": {"containers": [{"name": "app", "image": "x", "command": ["sleep", "3600"]}]}})
    out = apply(binary, small, pod(first) + "\n---\n" + pod(bad))
    assert out.returncode != 0 and "nothing was applied" in out.stderr, out
    assert "at most 63 lower-case letters, digits and '-'" in out.stderr, out.stderr
    assert root_eci(small).describe(name=first) == []


def test_apply_with_a_misspelt_field_creates_nothing(binary, small):
    """A field Kubernetes does not define is refused with its position, as kubectl's strict validation does,
    instead of the pod running without it (`restartpolicy: Never` would have run as Always)."""
    first = unique("first").lower()
    second = unique("second").lower()
    good = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": first},
                       "spec": {"containers": [{"name": "app", "image": "x", "command": ["sleep", "3600"]}]}})
    typo = (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {second}}}\nspec:\n  restartpolicy: Never\n"
            "  containers: [{name: app, image: x, command: [sleep, '3600']}]\n")
    out = apply(binary, small, good + "\n---\n" + typo)
    assert out.returncode != 0 and "nothing was applied" in out.stderr, out
    assert 'unknown field "spec.restartpolicy" (did you mean "restartPolicy"?)' in out.stderr, out.stderr
    assert "<stdin>: line 7, column 3:" in out.stderr, out.stderr  # the first document and '---' are lines 1-2
    assert root_eci(small).describe(name=first) == [] and root_eci(small).describe(name=second) == []


def get(binary: str, proc, *words: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "LANYARD_"))}
    env["LANYARD_CONFIG_FILE"] = os.path.join(proc.data_dir, "no-such-config.json")
    return subprocess.run([binary, "get", *words, "--data", proc.data_dir, "--endpoint", proc.api_endpoint],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("output", ["yaml", "json"])
def test_get_output_applies_back_unchanged(binary, small, output):
    """What `get deployment -o yaml|json` and `get pod -o yaml|json` print is a manifest: applying it again
    changes nothing (the Deployment's output used to lack its selector and template)."""
    name = unique("round").lower()
    manifest = json.loads(deployment(name, 1))
    container = manifest["spec"]["template"]["spec"]["containers"][0]
    container["args"] = ["3600", "yes", "", "2024-01-01", "a\u0085b", "del\u007f"]
    container["env"] = [{"name": "N", "value": "0x1F"}]
    out = apply(binary, small, json.dumps(manifest))
    assert out.returncode == 0 and f"deployment.apps/{name} created" in out.stdout, out
    try:
        printed = get(binary, small, "deployment", name, "-o", output)
        assert printed.returncode == 0, printed
        if output == "yaml":
            assert printed.stdout.startswith("apiVersion: apps/v1\n"), printed.stdout
            assert '- "3600"' in printed.stdout and '- "yes"' in printed.stdout, printed.stdout
        again = apply(binary, small, printed.stdout)
        assert again.returncode == 0 and f"deployment.apps/{name} unchanged" in again.stdout, (again, printed.stdout)

        printed = get(binary, small, "deployments", "-o", output)  # a List
        assert printed.returncode == 0, printed
        assert "kind: List" in printed.stdout or '"kind" : "List"' in printed.stdout, printed.stdout
        again = apply(binary, small, printed.stdout)
        assert again.returncode == 0 and f"deployment.apps/{name} unchanged" in again.stdout, (again, printed.stdout)

        pod = unique("solo").lower()
        out = apply(binary, small, json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod},
                                                "spec": {"restartPolicy": "Never", "containers": [container]}}))
        assert out.returncode == 0 and f"pod/{pod} created" in out.stdout, out
        printed = get(binary, small, "pod", pod, "-o", output)
        assert printed.returncode == 0, printed
        again = apply(binary, small, printed.stdout)
        assert again.returncode == 0 and f"pod/{pod} unchanged" in again.stdout, (again, printed.stdout)
    finally:
        for group in root_eci(small).describe():
            root_eci(small).delete(group["ContainerGroupId"])

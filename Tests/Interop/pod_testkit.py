"""Helpers for the pod tests (test_pods_*.py): Alibaba's ECI SDK (alibabacloud_eci20180808) behind a small
wrapper, pods that are always deleted, commands run INSIDE a pod (ExecContainerCommand or nsenter into the
holder's namespaces), curl against the in-pod metadata service, dedicated `lanyard up` servers with extra
options, and OSS buckets made by root with oss2.

ExecContainerCommand runs a command as the pod's containers run (uid 65534, no capabilities, in the pod's own
pid namespace, HOME=/tmp); the nsenter path is the test's own, as root, for looking at a pod from outside.

Network safety: every command that may talk to 100.100.100.200 runs behind `IN_POD_GUARD`, which first checks
that the process really is in the pod's network namespace (inode taken from `<data>/pods/<id>/pod.json`) and
exits 99 otherwise, so a broken exec path can never send anything from the host namespace. The nsenter path
enters through namespace handles (network, mount, pid) opened from the holder's /proc entry and checked against
the pod record;
if the holder cannot be found or does not match, the test fails: there is no fallback to the host.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Iterable

import pytest

from lanyard_testkit import (CONNECT_TIMEOUT, READ_TIMEOUT, REGION, ApiError, Lab, LanyardProcess, ServerStartError,
                             free_port, unique)

ECI_VERSION = "2018-08-08"
VENV_PYTHON = sys.executable  # the venv with Alibaba's SDKs; pods see the host's filesystem (read-only)
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inpod_probe.py")
METADATA = "100.100.100.200"
OSS_FORWARDER = "100.100.100.201"
API_FORWARDER = "100.100.100.202"
INTERNAL_OSS_ENDPOINT = f"http://oss-{REGION}-internal.aliyuncs.com"
GUARD_EXIT = 99
IN_POD_COMMAND_LIMIT = 25  # seconds; `timeout` inside the pod ends anything slower
POD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# ---------------------------------------------------------------------------------------------------------
# Alibaba's ECI SDK
# ---------------------------------------------------------------------------------------------------------


class Eci:
    """alibabacloud_eci20180808 Client (tea_openapi; ACS3 by default, V1 with v1=True) pointed at the API port."""

    def __init__(self, endpoint: str, access_key_id: str, secret: str, token: str | None = None, v1: bool = False):
        from alibabacloud_eci20180808.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        self.client = Client(Config(access_key_id=access_key_id, access_key_secret=secret, security_token=token,
                                    endpoint=endpoint, protocol="http", region_id=REGION,
                                    connect_timeout=CONNECT_TIMEOUT * 1000, read_timeout=READ_TIMEOUT * 1000,
                                    signature_algorithm="v2" if v1 else None))

    @staticmethod
    def _wrap(fn):
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

        try:
            return fn()
        except AlibabaCloudException as e:
            data = e.data if isinstance(e.data, dict) else {}
            raise ApiError(e.status_code, e.code, data.get("Message", e.message), data.get("RequestId"),
                           body=data, flavour="eci-sdk") from e

    def create(self, name: str, role: str | None = None, command: Iterable[str] = ("sleep", "3600"),
               env: dict[str, str] | None = None, containers: int = 1) -> str:
        from alibabacloud_eci20180808 import models as m

        cmd = list(command)
        specs = [m.CreateContainerGroupRequestContainer(
            name=f"c{i}" if containers > 1 else "app", image="centos:7", command=cmd[:1], arg=cmd[1:],
            environment_var=[m.CreateContainerGroupRequestContainerEnvironmentVar(key=k, value=v)
                             for k, v in (env or {}).items()] or None)
            for i in range(containers)]
        req = m.CreateContainerGroupRequest(region_id=REGION, container_group_name=name, container=specs,
                                            ram_role_name=role, restart_policy="Never")
        return self._wrap(lambda: self.client.create_container_group(req)).body.container_group_id

    def describe(self, ids: list[str] | None = None, name: str | None = None) -> list[dict]:
        from alibabacloud_eci20180808 import models as m

        req = m.DescribeContainerGroupsRequest(region_id=REGION, container_group_name=name, limit=100,
                                               container_group_ids=json.dumps(ids) if ids else None)
        body = self._wrap(lambda: self.client.describe_container_groups(req)).body.to_map()
        return body.get("ContainerGroups") or []

    def delete(self, group_id: str) -> None:
        from alibabacloud_eci20180808 import models as m

        req = m.DeleteContainerGroupRequest(region_id=REGION, container_group_id=group_id)
        self._wrap(lambda: self.client.delete_container_group(req))

    def logs(self, group_id: str, container: str = "app") -> str:
        from alibabacloud_eci20180808 import models as m

        req = m.DescribeContainerLogRequest(region_id=REGION, container_group_id=group_id, container_name=container)
        return self._wrap(lambda: self.client.describe_container_log(req)).body.content or ""

    def restart(self, group_id: str) -> None:
        from alibabacloud_eci20180808 import models as m

        req = m.RestartContainerGroupRequest(region_id=REGION, container_group_id=group_id)
        self._wrap(lambda: self.client.restart_container_group(req))

    def exec_sdk(self, group_id: str, argv: list[str]) -> str:
        """The SDK's own exec_container_command (its response model knows only SyncResponse)."""
        from alibabacloud_eci20180808 import models as m

        req = m.ExecContainerCommandRequest(region_id=REGION, container_group_id=group_id,
                                            command=json.dumps(argv), sync=True)
        return self._wrap(lambda: self.client.exec_container_command(req)).body.sync_response

    def exec_raw(self, group_id: str, argv: list[str], stdin: str | None = None) -> dict:
        """ExecContainerCommand through the same client's call_api, keeping ExitCode and Stderr of the body; `stdin`
        travels in Lanyard's StdinData (ECI's own Stdin is only a flag)."""
        from alibabacloud_openapi_util.client import Client as OpenApiUtil
        from alibabacloud_tea_openapi import utils_models as om
        from alibabacloud_tea_util import models as util_models

        params = om.Params(action="ExecContainerCommand", version=ECI_VERSION, protocol="HTTPS", pathname="/",
                           method="POST", auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
        query = {"RegionId": REGION, "ContainerGroupId": group_id, "Command": json.dumps(argv), "Sync": True}
        if stdin is not None:
            query.update(Stdin=True, StdinData=stdin)
        request = om.OpenApiRequest(query=OpenApiUtil.query(query))
        return self._wrap(lambda: self.client.call_api(params, request, util_models.RuntimeOptions()))["body"]


# ---------------------------------------------------------------------------------------------------------
# Pods and running commands inside them
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str


def guarded(netns_inode: int, argv: list[str], limit: int = IN_POD_COMMAND_LIMIT) -> list[str]:
    """argv, run only if the process is in the pod's network namespace, and ended after `limit` seconds."""
    guard = (f'test "$(readlink /proc/self/ns/net)" = "net:[{netns_inode}]" '
             f'|| {{ echo "refusing: not in the pod network namespace" >&2; exit {GUARD_EXIT}; }}; exec "$@"')
    return ["/bin/sh", "-c", guard, "in-pod-guard", "timeout", "-k", "2", str(limit), *argv]


def host_netns_inode() -> int:
    return os.stat("/proc/self/ns/net").st_ino


# For a container's own command, whose pod (and so network namespace) is not known before it is created: run
# only in a network namespace other than this test's (the host's) that has nothing but loopback.
CONTAINER_GUARD = (f'test "$(readlink /proc/self/ns/net)" != "net:[{host_netns_inode()}]" '
                   '&& test "$(ip -o link | wc -l)" = 1 || { echo "not in a pod" >&2; exit 99; }')


class Pod:
    """One container group, as the server recorded it (pod.json), with ways to run commands inside it."""

    def __init__(self, server: LanyardProcess, eci: Eci, group_id: str, name: str, role: str | None):
        self.server = server
        self.eci = eci
        self.id = group_id
        self.name = name
        self.role = role
        record = self.record()
        self.netns = int(record["networkNamespace"])
        self.mntns = int(record["mountNamespace"])
        self.pidns = int(record["pidNamespace"])
        self.holder_pid = int(record["holder"]["pid"])
        self.holder_start = int(record["holder"]["startTime"])
        assert self.netns != host_netns_inode(), f"pod {group_id} claims the host's network namespace"

    def record(self) -> dict:
        path = os.path.join(self.server.data_dir, "pods", self.id, "pod.json")
        try:
            with open(path) as f:
                record = json.load(f)
        except OSError as e:
            pytest.fail(f"no pod record for {self.id} at {path}: {e}; cannot find the pod's holder", pytrace=False)
        for key in ("networkNamespace", "mountNamespace", "pidNamespace", "holder"):
            if not record.get(key):
                pytest.fail(f"pod record {path} has no {key}: cannot enter the pod", pytrace=False)
        return record

    # -- inside the pod ---------------------------------------------------------------------------------------

    def exec(self, argv: list[str], limit: int = IN_POD_COMMAND_LIMIT, stdin: str | None = None) -> Result:
        """ExecContainerCommand (Sync) through Alibaba's ECI client, guarded."""
        body = self.eci.exec_raw(self.id, guarded(self.netns, argv, limit), stdin=stdin)
        result = Result(int(body.get("ExitCode", -1)), body.get("SyncResponse", ""), body.get("Stderr", ""))
        assert result.code != GUARD_EXIT, f"exec did not run inside pod {self.id}: {result.err}"
        return result

    def nsenter(self, argv: list[str], env: dict[str, str] | None = None, limit: int = IN_POD_COMMAND_LIMIT,
                stdin: str | None = None) -> Result:
        """nsenter (as root: the test's own view, not a container's) into the holder's network, mount and pid
        namespaces through handles checked against the record. The pid namespace is needed for the pod's /proc
        to know the process (the guard reads /proc/self)."""
        fds: dict[str, int] = {}
        try:
            for kind in ("net", "mnt", "pid"):
                fds[kind] = os.open(f"/proc/{self.holder_pid}/ns/{kind}", os.O_RDONLY)
        except OSError as e:
            for fd in fds.values():
                os.close(fd)
            pytest.fail(f"holder {self.holder_pid} of pod {self.id} not found: {e}", pytrace=False)
        try:
            # the handles are pinned; check they are the pod's and the holder is still the recorded process
            inodes = tuple(os.fstat(fds[kind]).st_ino for kind in ("net", "mnt", "pid"))
            if inodes != (self.netns, self.mntns, self.pidns) \
                    or proc_start_time(self.holder_pid) != self.holder_start or self.netns == host_netns_inode():
                pytest.fail(f"pid {self.holder_pid} is not the holder of pod {self.id} any more", pytrace=False)
            cmd = ["nsenter", f"--net=/proc/self/fd/{fds['net']}", f"--mount=/proc/self/fd/{fds['mnt']}",
                   f"--pid=/proc/self/fd/{fds['pid']}", "--", *guarded(self.netns, argv, limit)]
            run_env = {"PATH": POD_PATH, "LC_ALL": "C.UTF-8", "HOME": "/nonexistent-home", **(env or {})}
            p = subprocess.run(cmd, env=run_env, pass_fds=tuple(fds.values()), capture_output=True, text=True,
                               input=stdin, timeout=limit + 10)
        finally:
            for fd in fds.values():
                os.close(fd)
        assert p.returncode != GUARD_EXIT, f"nsenter did not enter pod {self.id}: {p.stderr}"
        return Result(p.returncode, p.stdout, p.stderr)

    def curl(self, path: str, method: str = "GET", headers: dict[str, str] | None = None,
             address: str = METADATA, port: int = 80, via: str = "exec") -> tuple[int, str]:
        """One HTTP request from inside the pod; (status, body); status 0 when no connection was made."""
        marker = "\n@@lanyard-status@@"
        argv = ["curl", "-s", "--path-as-is", "--noproxy", "*", "--connect-timeout", "3", "-m", "8", "-X", method,
                "-o", "-", "-w", marker + "%{http_code}"]
        for k, v in (headers or {}).items():
            argv += ["-H", f"{k}: {v}"]
        argv.append(f"http://{address}:{port}{path}")
        r = self.exec(argv) if via == "exec" else self.nsenter(argv)
        body, sep, status = r.out.rpartition(marker)
        assert sep, f"curl in pod {self.id} printed no status (exit {r.code}): {r.out!r} {r.err!r}"
        return int(status or 0), body

    def metadata(self, path: str, **kw) -> tuple[int, str]:
        return self.curl(path, **kw)

    def credentials(self, token: str | None = None) -> dict:
        assert self.role, "pod has no role"
        status, body = self.curl(f"/latest/meta-data/ram/security-credentials/{self.role}",
                                 headers={"X-aliyun-ecs-metadata-token": token} if token else None)
        assert status == 200, f"credentials of {self.role} in {self.id}: {status} {body!r}"
        return json.loads(body)

    def token(self, ttl: int = 60) -> str:
        status, body = self.curl("/latest/api/token", method="PUT",
                                 headers={"X-aliyun-ecs-metadata-token-ttl-seconds": str(ttl)})
        assert status == 200 and body, f"token PUT in {self.id}: {status} {body!r}"
        return body

    def probe(self, *args: str, env: dict[str, str] | None = None) -> dict:
        """inpod_probe.py (Alibaba's credentials provider, oss2) run inside the pod as its containers run
        (ExecContainerCommand: uid 65534, no capabilities, HOME=/tmp), with `env` added."""
        r = self.exec(["env", *(f"{k}={v}" for k, v in {**pod_python_env(), **(env or {})}.items()), *pod_python(),
                       pod_readable(PROBE), *args])
        lines = [l for l in r.out.splitlines() if l.startswith("{")]
        assert lines, f"probe in {self.id} printed nothing (exit {r.code}): {r.out!r} {r.err[-2000:]!r}"
        return json.loads(lines[-1])

    # -- from the host ----------------------------------------------------------------------------------------

    def processes(self) -> list[int]:
        return pids_in_netns(self.netns)

    def host_pid(self, pod_pid: int) -> int | None:
        """The host's pid of the process that is `pod_pid` in the pod's own pid namespace."""
        for pid in self.processes():
            try:
                if os.stat(f"/proc/{pid}/ns/pid").st_ino != self.pidns:
                    continue
                with open(f"/proc/{pid}/status") as f:
                    nspid = next(line.split()[1:] for line in f if line.startswith("NSpid:"))
            except (OSError, StopIteration):
                continue
            if int(nspid[-1]) == pod_pid:
                return pid
        return None

    def holder_alive(self) -> bool:
        return proc_start_time(self.holder_pid) == self.holder_start


def usable_in_pod(path: str) -> bool:
    """Whether a pod's containers (uid 65534, no groups, their own /tmp) can run `path`: every directory on the
    way, before and after resolving symbolic links, searchable by others, the file readable and executable by
    others, and nothing under /tmp (a pod has its own)."""
    return _reachable_in_pod(path) and _others_may(path, stat.S_IROTH | stat.S_IXOTH)


def _reachable_in_pod(path: str) -> bool:
    for candidate in (os.path.abspath(path), os.path.realpath(path)):
        if candidate == "/tmp" or candidate.startswith("/tmp/"):
            return False
        directory = os.path.dirname(candidate)
        while True:
            if not _others_may(directory, stat.S_IXOTH):
                return False
            if directory == "/":
                break
            directory = os.path.dirname(directory)
    return True


def _others_may(path: str, bits: int) -> bool:
    return os.stat(path).st_mode & bits == bits


@functools.cache
def pod_python() -> tuple[str, ...]:
    """The interpreter command for inpod_probe.py inside a pod: the venv's own when containers can run it, else
    the system python3 of the same version without its site directories (-S), with the venv's packages on
    PYTHONPATH (pod_python_env): a venv made from an interpreter under /root (pyenv) cannot be run by uid 65534."""
    if usable_in_pod(VENV_PYTHON):
        return (VENV_PYTHON,)
    system = "/usr/bin/python3"
    version = subprocess.run([system, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                             text=True).stdout.split()
    if version != [str(n) for n in sys.version_info[:2]] or not usable_in_pod(system):
        pytest.fail(f"neither {VENV_PYTHON} nor a {system} of the same version can run inside a pod (as uid 65534)",
                    pytrace=False)
    return (system, "-S")


def pod_python_env() -> dict[str, str]:
    if pod_python() == (VENV_PYTHON,):
        return {}
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    return {"PYTHONPATH": ":".join(pod_readable(path) for path in paths)}


def pod_readable(path: str) -> str:
    """`path` if a pod's containers can read it, else a copy they can: a checkout under /tmp (a pod has its own)
    or under a directory only root may enter (/root) is staged once into /var/tmp, removed when the tests end."""
    wanted = stat.S_IROTH | (stat.S_IXOTH if os.path.isdir(path) else 0)
    if _reachable_in_pod(path) and _others_may(path, wanted):
        return path
    return _staged(os.path.realpath(path))


@functools.cache
def _staging_root() -> str:
    root = tempfile.mkdtemp(prefix="lanyard-interop-", dir="/var/tmp")
    os.chmod(root, 0o755)
    atexit.register(shutil.rmtree, root, True)
    return root


@functools.cache
def _staged(path: str) -> str:
    target = os.path.join(_staging_root(), str(len(os.listdir(_staging_root()))), os.path.basename(path))
    os.makedirs(os.path.dirname(target), mode=0o755)
    if os.path.isdir(path):
        shutil.copytree(path, target, symlinks=True)
    else:
        shutil.copy2(path, target)
    subprocess.run(["chmod", "-R", "a+rX", os.path.dirname(target)], check=True)
    return target


def proc_start_time(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def pids_in_netns(inode: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}/ns/net").st_ino == inode and proc_start_time(int(name)) is not None:
                found.append(int(name))
        except OSError:
            continue
    return found


def wait_until(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class Pods:
    """Creates pods through the ECI SDK and deletes every one of them at the end, checking nothing is left."""

    def __init__(self, server: LanyardProcess, lab: Lab):
        self.server = server
        self.lab = lab
        self.root = Eci(server.api_endpoint, lab.root_ak, lab.root_secret)
        self.created: list[Pod] = []

    def create(self, role: str | None = None, name: str | None = None, eci: Eci | None = None,
               command: Iterable[str] = ("sleep", "3600"), env: dict[str, str] | None = None) -> Pod:
        name = name or unique("pod").lower()
        group_id = (eci or self.root).create(name, role=role, command=command, env=env)
        pod = Pod(self.server, self.root, group_id, name, role)
        self.created.append(pod)
        return pod

    def delete(self, pod: Pod) -> None:
        self.root.delete(pod.id)
        self.created = [p for p in self.created if p.id != pod.id]
        assert_gone(pod)

    def cleanup(self) -> list[str]:
        problems = []
        for pod in self.created:
            try:
                self.root.delete(pod.id)
            except ApiError as e:
                if e.status != 404:
                    problems.append(f"delete {pod.id}: {e}")
            except Exception as e:  # noqa: BLE001 - a dead server must not leave holders behind
                problems.append(f"delete {pod.id}: {e}")
            left = wait_until(lambda: not pod.processes(), 5) or pod.processes()
            if left is not True:
                problems.append(f"pod {pod.id}: processes {left} still in its namespace after delete; killing them")
                for pid in left:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, 9)
        self.created = []
        return problems


def assert_gone(pod: Pod) -> None:
    """After DeleteContainerGroup: holder dead, no process left in the pod's network namespace."""
    assert wait_until(lambda: not pod.holder_alive(), 5), f"holder {pod.holder_pid} of {pod.id} survived delete"
    assert wait_until(lambda: not pod.processes(), 5), f"{pod.id}: orphans {pod.processes()} after delete"


def pods_fixture(server, lab):
    pods = Pods(server, lab)
    yield pods
    problems = pods.cleanup()
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------
# Dedicated servers (own data directory and ports) for settings the session server does not have
# ---------------------------------------------------------------------------------------------------------


class DedicatedServer(LanyardProcess):
    def __init__(self, binary: str, base: str, extra: list[str]):
        super().__init__(binary, os.path.join(base, "data"), free_port(), free_port(), os.path.join(base, "stderr.log"))
        self.extra = extra

    def command(self) -> list[str]:
        return super().command() + self.extra


def cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def running(pod, *argv: str) -> int:
    """How many of the pod's processes run exactly `argv`."""
    wanted = b"".join(a.encode() + b"\0" for a in argv)
    return sum(cmdline(pid) == wanted for pid in pod.processes())


def cli_env(pods) -> dict:
    """Environment for running the `lanyard` CLI as the account's root, with a HOME of its own."""
    return {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": pods.lab.root_ak,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": pods.lab.root_secret, "HOME": tempfile.mkdtemp(prefix="lanyard-home-")}


@contextlib.contextmanager
def dedicated_server(binary: str, base: str, *extra: str):
    """A `lanyard up` with extra options; on exit every pod it still has is deleted, then it is stopped."""
    proc = DedicatedServer(binary, base, list(extra))
    try:
        proc.start()
    except ServerStartError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield proc
    finally:
        try:
            root = proc.root_credentials()
            eci = Eci(proc.api_endpoint, root["AccessKeyId"], root["AccessKeySecret"])
            for group in eci.describe():
                eci.delete(group["ContainerGroupId"])
        except Exception:  # noqa: BLE001 - best effort; the holder sweep below still runs
            pass
        try:
            proc.stop()
        finally:
            proc.kill()
            kill_leftover_holders(proc.data_dir)


def kill_leftover_holders(data_dir: str) -> None:
    pods_dir = os.path.join(data_dir, "pods")
    for name in os.listdir(pods_dir) if os.path.isdir(pods_dir) else []:
        try:
            with open(os.path.join(pods_dir, name, "pod.json")) as f:
                record = json.load(f)
            for pid in pids_in_netns(int(record["networkNamespace"])):
                os.kill(pid, 9)
        except (OSError, ValueError, KeyError, TypeError):
            continue


# ---------------------------------------------------------------------------------------------------------
# OSS (root, on the host's OSS port) and the RAM pieces pods need
# ---------------------------------------------------------------------------------------------------------


def oss_endpoint(server: LanyardProcess) -> str:
    return f"http://127.0.0.1:{server.oss_port}"


def make_bucket(server: LanyardProcess, lab: Lab, objects: Iterable[str] = ("a.txt", "b/c.txt")) -> str:
    import oss2

    name = re.sub(r"[^a-z0-9-]", "-", unique("bkt").lower())
    bucket = oss2.Bucket(oss2.Auth(lab.root_ak, lab.root_secret), oss_endpoint(server), name, connect_timeout=5)
    bucket.create_bucket()
    for key in objects:
        bucket.put_object(key, b"x")
    return name


def oss_list(server: LanyardProcess, bucket: str, ak: str, secret: str, token: str) -> list[str]:
    import oss2

    b = oss2.Bucket(oss2.StsAuth(ak, secret, token), oss_endpoint(server), bucket, connect_timeout=5)
    return [o.key for o in b.list_objects().object_list]


def passrole_policy_for(role: str) -> str:
    """The seed's PassRole policy (seed/passrole-policy.json) with its role name replaced by `role`."""
    from lanyard_testkit import SEED_PASSROLE_POLICY

    with open(SEED_PASSROLE_POLICY) as f:
        doc = f.read()
    assert "role/ECIRamRoleTest" in doc
    return doc.replace("role/ECIRamRoleTest", f"role/{role}")


def describe_one(eci: Eci, group_id: str) -> dict[str, Any]:
    groups = eci.describe([group_id])
    assert len(groups) == 1, groups
    return groups[0]

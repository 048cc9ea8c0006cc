"""A pod cannot escape its sandbox (README "Pods"; PodSandbox in Sources/LanyardNode): from inside a pod, as its
containers run (ExecContainerCommand: uid 65534, no capabilities, the pod's own pid namespace), the data
directory (root AccessKey, object bodies, other pods' files) is unreachable, the host's filesystem is read-only,
other pods' and the host's processes are invisible and their namespaces cannot be entered, so pod A cannot get
pod B's credentials. What pods legitimately need still works: a private /tmp as HOME, Python, logs, exec streams.

The server here keeps its data directory outside /tmp, so only the sandbox's hiding of that directory (not the
pod's private /tmp) keeps it out of reach."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from lanyard_testkit import Lab, unique
from pod_testkit import Pods, cli_env, dedicated_server, running, wait_until

CREDS = "http://100.100.100.200/latest/meta-data/ram/security-credentials/"


@pytest.fixture(scope="module")
def outside_tmp(binary):
    base = tempfile.mkdtemp(prefix="lanyard-isolation-", dir="/var/tmp")
    try:
        with dedicated_server(binary, base) as proc:
            yield proc
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pods(outside_tmp):
    pods = Pods(outside_tmp, Lab(outside_tmp))
    yield pods
    problems = pods.cleanup()
    assert not problems, problems


@pytest.fixture
def two(pods):
    """Pod A and pod B, each with its own role; B's container command is distinctive (sleep 3601)."""
    a = pods.create(role=pods.lab.create_service_role().name)
    b = pods.create(role=pods.lab.create_service_role().name, command=("sleep", "3601"))
    return a, b


@pytest.fixture
def world_writable_host_dir():
    path = tempfile.mkdtemp(prefix="lanyard-host-", dir="/var/tmp")
    os.chmod(path, 0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_data_directory_is_out_of_reach(outside_tmp, two):
    a, b = two
    data = outside_tmp.data_dir
    assert not os.path.realpath(data).startswith("/tmp/")
    creds = os.path.join(data, "root-credentials.json")
    secret = outside_tmp.root_credentials()["AccessKeySecret"]
    r = a.exec(["cat", creds])
    assert r.code != 0 and secret not in r.out, r
    r = a.exec(["/bin/sh", "-c", f"ls -A {data} 2>&1; find {data} -type f 2>&1"])
    assert "root-credentials" not in r.out and "pod.json" not in r.out, r
    # B's record, hosts file and logs, by their full path
    for path in (os.path.join(data, "pods", b.id, "pod.json"), os.path.join(data, "pods", b.id, "logs", "app.log")):
        assert a.exec(["cat", path]).code != 0, path
    # Not file modes alone: even root in the pod's mount namespace finds an empty directory there.
    assert (a.nsenter(["ls", "-A", data]).code, a.nsenter(["ls", "-A", data]).out) == (0, "")
    assert a.nsenter(["cat", creds]).code != 0
    # The host still has it all.
    assert os.path.exists(creds) and os.path.exists(os.path.join(data, "pods", b.id, "pod.json"))


def test_host_filesystem_is_read_only(outside_tmp, two, world_writable_host_dir):
    a, _ = two
    target = os.path.join(world_writable_host_dir, "escaped")
    r = a.exec(["/bin/sh", "-c", f"echo pwned > {target}"])
    assert r.code != 0 and "Read-only file system" in r.err, r
    for path in ("/etc/lanyard-escape", f"/var/tmp/{unique('escape')}", "/usr/local/bin/lanyard-escape",
                 os.path.join(outside_tmp.data_dir, "escape")):
        assert a.exec(["touch", path]).code != 0, path
        assert not os.path.exists(path), path
    assert a.exec(["/bin/sh", "-c", "echo '100.100.100.202 evil' >> /etc/hosts"]).code != 0
    # read-only for root in the pod's mount namespace too: the mounts are, not just the permissions
    assert a.nsenter(["touch", target]).code != 0
    assert not os.path.exists(target)


def test_tmp_is_private_and_home(two):
    a, b = two
    name = unique("mine")
    r = a.exec(["/bin/sh", "-c", f'echo "$HOME"; id -u; id -g; echo hi > /tmp/{name} && cat /tmp/{name}'])
    assert (r.code, r.out) == (0, "/tmp\n65534\n65534\nhi\n"), r
    assert b.exec(["test", "-e", f"/tmp/{name}"]).code == 1
    assert not os.path.exists(f"/tmp/{name}")
    r = a.exec(["python3", "-c", "import pathlib; p = pathlib.Path.home() / '.cache' / 'x'; "
                "p.parent.mkdir(parents=True); p.write_text('ok'); print(p.read_text(), p)"])
    assert (r.code, r.out) == (0, "ok /tmp/.cache/x\n"), r


def test_no_privileges(two):
    a, _ = two
    r = a.exec(["/bin/sh", "-c", "grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status"])
    assert r.out.split() == ["CapPrm:", "0000000000000000", "CapEff:", "0000000000000000", "CapBnd:",
                             "0000000000000000", "CapAmb:", "0000000000000000", "NoNewPrivs:", "1"], r
    for argv in (["unshare", "--net", "true"], ["ip", "address", "add", "10.9.9.9/32", "dev", "lo"],
                 ["mount", "-t", "tmpfs", "x", "/tmp"], ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]):
        assert a.exec(argv).code != 0, argv


def test_pod_sees_only_its_own_processes(outside_tmp, two):
    a, b = two
    r = a.exec(["/bin/sh", "-c", 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done'])
    commands = [line.strip() for line in r.out.splitlines() if line.strip()]
    assert "sleep infinity" in commands and "sleep 3600" in commands, commands  # its holder and container
    assert not any("3601" in c or "lanyard" in c or "pytest" in c for c in commands), commands
    assert a.exec(["cat", "/proc/1/cmdline"]).out.split("\0")[:2] == ["sleep", "infinity"]
    # pids seen inside are the pod's own numbers, each one a process of pod A on the host
    r = a.exec(["/bin/sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!; ls /proc | grep -E '^[0-9]+$'"])
    own, *listed = [int(x) for x in r.out.split()]
    host = a.host_pid(own)
    assert host is not None and host in a.processes() and own in listed, (own, listed)
    assert b.holder_pid not in a.processes()


def test_another_pod_cannot_be_entered(outside_tmp, two):
    """The old escape: nsenter into another pod's holder and read its credentials from its metadata service."""
    a, b = two
    b_doc = b.credentials()
    attempts = [
        ["nsenter", "-t", str(b.holder_pid), "-n", "curl", "-s", "-m", "3", CREDS + b.role],
        ["nsenter", f"--net=/proc/{b.holder_pid}/ns/net", "curl", "-s", "-m", "3", CREDS + b.role],
        ["nsenter", "-t", "1", "-n", "-m", "-p", "true"],
        ["cat", f"/proc/{b.holder_pid}/environ"],
    ]
    for argv in attempts:
        r = a.exec(argv)
        assert r.code != 0 and b_doc["AccessKeySecret"] not in r.out, (argv, r)
    # even root inside pod A's namespaces cannot name B's holder
    r = a.nsenter(["nsenter", "-t", str(b.holder_pid), "-n", "true"])
    assert r.code != 0, r
    # and pod A's own metadata service serves A's role only
    assert a.credentials()["AccessKeyId"] != b_doc["AccessKeyId"]
    status, body = a.curl(f"/latest/meta-data/ram/security-credentials/{b.role}")
    assert status == 404 and b_doc["AccessKeySecret"] not in body


def test_cli_exec_is_lossless_and_bounded(pods, binary):
    """`lanyard exec` prints binary output byte for byte, fails loudly when the server cut the output at 16 MiB,
    and the server kills a command at --timeout."""
    pod = pods.create()
    env = cli_env(pods)
    base = [binary, "exec", pod.name, "--endpoint", pods.server.api_endpoint]

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([*base, *argv], capture_output=True, env=env, timeout=60)

    r = run("--", "printf", "\\377\\000\\200ok")
    assert (r.returncode, r.stdout) == (0, b"\xff\x00\x80ok"), r
    r = run("--", "head", "-c", str(17 << 20), "/dev/zero")
    assert r.returncode == 1 and len(r.stdout) == 16 << 20, (r.returncode, len(r.stdout), r.stderr)
    assert b"output truncated" in r.stderr, r.stderr
    r = run("--timeout", "1", "--", "sleep", "600")
    assert r.returncode == 124 and b"killed (--timeout)" in r.stderr, r
    assert running(pod, "sleep", "600") == 0


def test_interrupting_cli_exec_stops_the_command(pods, binary):
    """Ctrl-C on `lanyard exec` closes its connection; the server sees it and kills the command."""
    pod = pods.create()
    process = subprocess.Popen([binary, "exec", pod.name, "--endpoint", pods.server.api_endpoint, "--", "sleep", "601"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env(pods))
    try:
        assert wait_until(lambda: running(pod, "sleep", "601") == 1, 10), "the exec did not start"
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        assert wait_until(lambda: running(pod, "sleep", "601") == 0, 5), "the command outlived its client"
    finally:
        process.kill()
        process.wait()


def test_long_execs_do_not_hold_up_the_api(pods, binary):
    """More long-running execs than the API server has workers: RAM, STS and ECI calls, new connections or
    kept-alive ones, are answered at once meanwhile, and every exec still gets its own result."""
    pod = pods.create()
    env = cli_env(pods)
    execs = [subprocess.Popen([binary, "exec", pod.name, "--endpoint", pods.server.api_endpoint, "--", "sh", "-c",
                               f"sleep 6; echo exec-{i}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
             for i in range((os.cpu_count() or 2) + 2)]
    try:
        assert wait_until(lambda: running(pod, "sleep", "6") == len(execs), 10), "the execs did not all start"
        for _ in range(3):
            started = time.monotonic()
            pods.lab.alive()                      # STS through the SDK's kept-alive connection
            pods.root.logs(pod.id)                # ECI
            pods.lab.create_service_role()        # RAM
            assert time.monotonic() - started < 2, "an API call waited behind the running execs"
        for i, process in enumerate(execs):
            out, err = process.communicate(timeout=30)
            assert (process.returncode, out) == (0, f"exec-{i}\n".encode()), (process.returncode, out, err)
    finally:
        for process in execs:
            process.kill()
            process.wait()


def test_logs_and_exec_streams(pods):
    pod = pods.create(command=["/bin/sh", "-c", 'echo "started as $(id -u) with HOME=$HOME"; echo oops >&2; sleep 3600'])
    log = wait_until(lambda: (lambda t: t if "oops" in t else None)(pods.root.logs(pod.id)), 10)
    assert log == "started as 65534 with HOME=/tmp\noops\n", log
    r = pod.exec(["/bin/sh", "-c", "tr a-z A-Z; echo err >&2; exit 3"], stdin="hello\n")
    assert (r.code, r.out, r.err) == (3, "HELLO\n", "err\n"), r

"""Runs Lanyard's benchmarks side by side with nginx (the ceiling) and moto (the common emulator), and writes
docs/benchmarks.md. Started by scripts/bench.sh, which installs what is missing, builds in release mode and
cleans up after this script even when it is killed.

Every server runs on loopback, in a network namespace this script creates, or in a pod that Lanyard
creates; every load is bounded in time and in request count. A part of Lanyard that is missing or broken
turns its rows into "not measured: <reason>" instead of stopping the run.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLE = "bench-role"
CREDENTIALS_READY = "bench: credentials "  # a pod's log line once its container has its credentials
MOTO_ROLE = "default-role"  # the one role name moto's instance metadata answers for


REPLAY_WINDOW_SECONDS = 900  # Lanyard remembers each SignatureNonce for the 15-minute timestamp window


def slope_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of (seconds, KiB) samples, in MiB per minute (0 for fewer than three samples)."""
    if len(samples) < 3:
        return 0.0
    mean_x = statistics.fmean(t for t, _ in samples)
    mean_y = statistics.fmean(kib for _, kib in samples)
    denominator = sum((t - mean_x) ** 2 for t, _ in samples) or 1
    return sum((t - mean_x) * (kib - mean_y) for t, kib in samples) / denominator * 60 / 1024


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


@dataclass
class Settings:
    """Run parameters; each can be changed through the environment variable named in its comment."""

    seconds: int = env_int("BENCH_SECONDS", 10)  # BENCH_SECONDS: length of each load run
    # BENCH_SOAK_SECONDS: mixed-load soak; 25 minutes = the 15-minute replay window filling, then 10 minutes
    soak_seconds: int = env_int("BENCH_SOAK_SECONDS", 1500)
    list_sizes: tuple[int, ...] = tuple(
        int(n) for n in os.environ.get("BENCH_LIST_SIZES", "10000,100000,1000000").split(",") if n.strip())
    list_max_keys: int = env_int("BENCH_LIST_MAX_KEYS", 1_000_000)  # BENCH_LIST_MAX_KEYS: cap for Lanyard
    moto_list_max_keys: int = env_int("BENCH_MOTO_LIST_MAX_KEYS", 10_000)  # cap for moto (slow to fill)
    populate_seconds: int = env_int("BENCH_POPULATE_SECONDS", 900)  # time budget to fill one bucket
    pods: int = env_int("BENCH_PODS", 100)  # BENCH_PODS: pods for the many-pod start and memory rows
    max_requests: int = env_int("BENCH_MAX_REQUESTS", 300_000)  # per load run
    # BENCH_SECTIONS: which sections to run (comma-separated names from SECTIONS; all by default)
    sections: tuple[str, ...] = tuple(
        n.strip() for n in os.environ.get("BENCH_SECTIONS", "").split(",") if n.strip())


SECTIONS = ("metadata", "sts", "oss", "policy", "memory", "credentials")


class NotMeasured(Exception):
    """A row that cannot be measured in this run; the message says why."""


@dataclass
class Row:
    section: str
    measurement: str
    lanyard: str = ""
    reference: str = ""
    ratio: str = ""
    goal: str = ""
    verdict: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


def fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".strip()


def ratio_text(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return ""
    return f"{numerator / denominator:.2f}×"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise NotMeasured(f"no VmRSS for pid {pid}")


def wait_for_port(host: str, port: int, timeout: float, netns: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if netns:
            probe = subprocess.run(
                ["ip", "netns", "exec", netns, "bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"],
                capture_output=True)
            if probe.returncode == 0:
                return
        else:
            try:
                with socket.create_connection((host, port), timeout=1):
                    return
            except OSError:
                pass
        time.sleep(0.1)
    raise NotMeasured(f"nothing listened on {host}:{port} within {timeout:.0f} s")


class Bench:
    def __init__(self, work: Path, lanyard: Path, generator: Path, policy_bench: Path | None,
                 credentials_bench: Path | None) -> None:
        self.settings = Settings()
        self.work = work
        self.lanyard = lanyard
        self.generator = generator
        self.policy_bench = policy_bench
        self.credentials_bench = credentials_bench
        self.python = Path(sys.executable)
        self.report = Report()
        self.processes: list[subprocess.Popen] = []
        self.netns = f"lanyard-bench-{os.getpid()}"
        self.netns_created = False
        self.lanyard_process: subprocess.Popen | None = None
        self.lanyard_failure = ""
        self.api = self.oss = ""
        self.account = ""
        self.user_credentials = work / "bench-user.json"
        self.root_credentials = work / "data" / "root-credentials.json"
        self.credentials_json: bytes | None = None
        self.pod_ids: list[str] = []
        self.pods_available = ""  # empty when pods work; otherwise why not
        self.memory: dict[str, int] = {}

    # ----- processes -------------------------------------------------------------------------------------

    def start(self, name: str, argv: list[str], netns: bool = False, env: dict | None = None) -> subprocess.Popen:
        """Starts a server in its own process group; its pid goes to the work directory for the shell's trap."""
        if netns:
            argv = ["ip", "netns", "exec", self.netns] + argv
        log = open(self.work / f"{name}.log", "wb")
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE if name == "lanyard" else log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env)
        self.processes.append(process)
        with open(self.work / "pids", "a") as pids:
            pids.write(f"{process.pid}\n")
        return process

    def stop(self, process: subprocess.Popen, grace: float = 10) -> None:
        """SIGTERM to the process group, then SIGKILL to what is left of it."""
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        if process in self.processes:
            self.processes.remove(process)
        # Only live process groups stay listed for the shell's trap, so that it never signals a reused id.
        (self.work / "pids").write_text("".join(f"{p.pid}\n" for p in self.processes))

    def make_netns(self) -> None:
        if self.netns_created:
            return
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        with open(self.work / "netns", "a") as names:
            names.write(self.netns + "\n")
        self.netns_created = True
        subprocess.run(["ip", "netns", "exec", self.netns, "ip", "link", "set", "lo", "up"], check=True)

    def cleanup(self) -> None:
        self.delete_pods()
        if self.lanyard_process:
            self.stop(self.lanyard_process, grace=30)
        for process in list(self.processes):
            self.stop(process)
        if self.netns_created:
            subprocess.run(["ip", "netns", "del", self.netns], check=False)
            self.netns_created = False

    # ----- tools -----------------------------------------------------------------------------------------

    def generate(self, *arguments: str, netns: bool = False, timeout: float | None = None) -> dict:
        """Runs lanyard-bench and returns its JSON; raises NotMeasured with its message on failure."""
        argv = [str(self.generator), *arguments]
        if netns:
            argv = ["ip", "netns", "exec", self.netns] + argv
        limit = timeout or (self.settings.seconds * 3 + 120)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
        output = result.stdout.strip().splitlines()
        parsed = json.loads(output[-1]) if output else {}
        if result.returncode != 0 and not parsed:
            raise NotMeasured((result.stderr.strip() or f"lanyard-bench exited {result.returncode}")[-300:])
        parsed["exitCode"] = result.returncode
        return parsed

    def load(self, *arguments: str, connections: int, seconds: int | None = None, max_requests: int | None = None,
             netns: bool = False) -> dict:
        """A closed-loop run of lanyard-bench; refuses runs where errors dominate."""
        result = self.generate(
            *arguments, "--connections", str(connections), "--seconds", str(seconds or self.settings.seconds),
            "--max-requests", str(max_requests or self.settings.max_requests), netns=netns)
        ok = sum(count for status, count in result.get("statuses", {}).items() if status.startswith("2"))
        if ok == 0 or ok < 0.99 * result.get("requests", 0):
            raise NotMeasured(
                f"answers were {result.get('statuses')}, failures {result.get('failures')} "
                f"({result.get('firstFailure') or 'no transport error'})")
        return result

    def wrk_argv(self, url: str, connections: int = 32) -> list[str]:
        """wrk with keep-alive, `connections` connections and 2 threads, printing its latency distribution."""
        return [shutil.which("wrk") or "/usr/bin/wrk", "-t2", f"-c{connections}", f"-d{self.settings.seconds}s",
                "--latency", url]

    def wrk(self, url: str, prefix: list[str]) -> dict:
        result = subprocess.run(prefix + self.wrk_argv(url), capture_output=True, text=True,
                                timeout=self.settings.seconds + 120)
        return self.parse_wrk(result.stdout, result.returncode, result.stderr)

    @staticmethod
    def parse_wrk(text: str, returncode: int, stderr: str) -> dict:
        """Requests/s and p50/p99 in ms from wrk's report; refuses runs with non-2xx answers."""
        rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
        if returncode != 0 or not rate:
            raise NotMeasured(f"wrk failed: {(stderr or text).strip()[-300:]}")
        if re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
            raise NotMeasured("wrk saw non-2xx answers: " + re.search(r"Non-2xx.*", text).group(0))

        def percentile(label: str) -> float:
            match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
            if not match:
                raise NotMeasured(f"wrk printed no {label}% latency")
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
            return float(match.group(1)) * scale

        errors = re.search(r"Socket errors:.*", text)
        return {"rps": float(rate.group(1)), "p50": percentile("50"), "p99": percentile("99"),
                "socketErrors": errors.group(0) if errors else "", "raw": text}

    def rpc(self, credentials: Path, **parameters: str) -> dict:
        result = self.generate("rpc", "--endpoint", self.api, "--credentials", str(credentials),
                               *[f"{k}={v}" for k, v in parameters.items()], timeout=60)
        if result.get("exitCode"):
            raise NotMeasured(f"{parameters.get('Action')} answered {result.get('status')}: "
                              f"{result.get('body', '')[:300]}")
        return json.loads(result.get("body") or "{}")

    def oss_request(self, flavor: str, endpoint: str, method: str, path: str, body_file: Path | None = None) -> None:
        arguments = ["request", "--flavor", flavor, "--endpoint", endpoint, method, path]
        if flavor == "lanyard":
            arguments += ["--credentials", str(self.root_credentials)]
        if body_file:
            arguments += ["--body-file", str(body_file)]
        result = self.generate(*arguments, timeout=300)
        if result.get("exitCode"):
            raise NotMeasured(f"{method} {path} answered {result.get('status')}: {result.get('body', '')[:300]}")

    # ----- rows ------------------------------------------------------------------------------------------

    def row(self, section: str, measurement: str, **cells: str) -> Row:
        row = Row(section, measurement, **cells)
        self.report.rows.append(row)
        return row

    def attempt(self, what, *arguments):
        """Runs one measurement; returns its result, or the reason it could not be measured."""
        try:
            return what(*arguments), None
        except NotMeasured as reason:
            return None, f"not measured: {reason}"
        except subprocess.TimeoutExpired as error:
            return None, f"not measured: timed out ({' '.join(map(str, error.cmd[:3]))}…)"
        except Exception as error:  # a failing part must not stop the run
            return None, f"not measured: {type(error).__name__}: {error}"

    # ----- Lanyard ---------------------------------------------------------------------------------------

    def start_lanyard(self) -> None:
        """`lanyard up` on loopback with a fresh data directory; waits for `lanyard: ready`."""
        if not self.lanyard.exists():
            raise NotMeasured("the `lanyard` executable did not build in this checkout")
        help_text = subprocess.run([str(self.lanyard), "up", "--help"], capture_output=True, text=True, timeout=30)
        if "--api" not in help_text.stdout + help_text.stderr:
            raise NotMeasured("this build of `lanyard` has no `up` command yet")
        self.api = f"127.0.0.1:{free_port()}"
        argv = [str(self.lanyard), "up", "--data", str(self.work / "data"), "--api", self.api]
        if "--oss" in help_text.stdout + help_text.stderr:
            self.oss = f"127.0.0.1:{free_port()}"
            argv += ["--oss", self.oss]
        process = self.start("lanyard", argv)
        self.lanyard_process = process
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        seen = b""
        while time.monotonic() < deadline:
            chunk = process.stdout.read() or b""
            seen += chunk
            if b"lanyard: ready" in seen:
                break
            if process.poll() is not None:
                log = (self.work / "lanyard.log").read_text(errors="replace")
                raise NotMeasured(f"`lanyard up` exited {process.returncode}: {log.strip()[-300:]}")
            time.sleep(0.05)
        else:
            raise NotMeasured("`lanyard up` did not print `lanyard: ready` within 120 s")
        root = json.loads(self.root_credentials.read_text())
        self.account = root["AccountId"]
        self.setup_identities()

    def setup_identities(self) -> None:
        """A role trusted by the account and by ECI, and a RAM user allowed to assume it."""
        trust = json.dumps({"Version": "1", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"RAM": [f"acs:ram::{self.account}:root"], "Service": ["ecs.aliyuncs.com"]}}]})
        root = self.root_credentials
        self.rpc(root, Action="CreateRole", Version="2015-05-01", RoleName=ROLE, AssumeRolePolicyDocument=trust)
        self.rpc(root, Action="AttachPolicyToRole", Version="2015-05-01", PolicyType="System",
                 PolicyName="AliyunOSSReadOnlyAccess", RoleName=ROLE)
        self.rpc(root, Action="CreateUser", Version="2015-05-01", UserName="bench-user")
        self.rpc(root, Action="AttachPolicyToUser", Version="2015-05-01", PolicyType="System",
                 PolicyName="AliyunSTSAssumeRoleAccess", UserName="bench-user")
        key = self.rpc(root, Action="CreateAccessKey", Version="2015-05-01", UserName="bench-user")["AccessKey"]
        self.user_credentials.write_text(json.dumps(
            {"AccessKeyId": key["AccessKeyId"], "AccessKeySecret": key["AccessKeySecret"]}))
        os.chmod(self.user_credentials, 0o600)

    def lanyard_ready(self) -> None:
        if self.lanyard_failure:
            raise NotMeasured(self.lanyard_failure)

    # ----- pods ------------------------------------------------------------------------------------------
    # Pods are created through the ECI API (CreateContainerGroup with RamRoleName), the call that
    # `lanyard apply` makes for each pod; their containers run host programs (curl, wrk) as uid 65534 on a
    # read-only view of the host's filesystem in which this work directory (under /tmp) is not visible, so
    # they report on stdout: readiness and results are read from their container logs.

    def create_pod(self, name: str, script: str) -> str:
        """Creates a pod with the benchmark role whose one container runs `script` with /bin/sh; returns its id."""
        self.lanyard_ready()
        if self.pods_available:
            raise NotMeasured(self.pods_available)
        created = self.rpc(self.root_credentials, Action="CreateContainerGroup", Version="2018-08-08",
                           RegionId="cn-hangzhou", ContainerGroupName=name, RamRoleName=ROLE,
                           **{"Container.1.Name": "main", "Container.1.Image": "host",
                              "Container.1.Command.1": "/bin/sh", "Container.1.Command.2": "-c",
                              "Container.1.Command.3": script})
        self.pod_ids.append(created["ContainerGroupId"])
        return created["ContainerGroupId"]

    def credentials_ready_script(self) -> str:
        """Shell that waits until the pod's metadata service hands out the role's credentials, then prints
        CREDENTIALS_READY and the document (base64, byte for byte) to its log."""
        url = f"http://100.100.100.200/latest/meta-data/ram/security-credentials/{ROLE}"
        return (f"until /usr/bin/curl -sf -o /tmp/credentials.json {url}; do sleep 0.01; done; "
                f'echo "{CREDENTIALS_READY}$(base64 -w0 /tmp/credentials.json)"')

    def container_log(self, pod: str) -> str:
        """The log of a pod's container, as DescribeContainerLog serves it, read from the data directory: one
        call per pod and poll would weigh on the very timings it waits for."""
        try:
            return (self.work / "data" / "pods" / pod / "logs" / "main.log").read_text(errors="replace")
        except OSError:
            return ""

    def logged(self, pod: str, line_start: str) -> str | None:
        """The rest of the first line of the pod's container log that starts with `line_start`, or None."""
        for line in self.container_log(pod).splitlines():
            if line.startswith(line_start):
                return line[len(line_start):]
        return None

    @staticmethod
    def wait_for(condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.01)
        return False

    def start_pods(self, prefix: str, count: int) -> float:
        """Creates `count` pods one after another (as `apply` does); returns the seconds from the first call
        until every pod's own container has fetched its credentials from 100.100.100.200."""
        started = time.monotonic()
        pods = [self.create_pod(f"{prefix}-{i:03d}", self.credentials_ready_script() + "; exec sleep 3600")
                for i in range(count)]
        waiting = set(pods)

        def all_ready() -> bool:
            waiting.difference_update({pod for pod in waiting if self.logged(pod, CREDENTIALS_READY) is not None})
            return not waiting

        if self.wait_for(all_ready, 120 + count * 3):
            return time.monotonic() - started
        raise NotMeasured(f"{count - len(waiting)} of {count} pods had fetched credentials after {120 + count * 3} s")

    def delete_pods(self) -> None:
        for pod in reversed(self.pod_ids):
            try:
                self.rpc(self.root_credentials, Action="DeleteContainerGroup", Version="2018-08-08",
                         RegionId="cn-hangzhou", ContainerGroupId=pod)
            except (NotMeasured, subprocess.TimeoutExpired) as error:
                self.log(f"deleting pod {pod}: {error}")
        self.pod_ids.clear()

    # ----- 1. metadata -----------------------------------------------------------------------------------

    def metadata_json(self) -> bytes:
        """The credentials document served by Lanyard in a pod, or one of the same shape and size."""
        if self.credentials_json:
            return self.credentials_json
        token = "CAIS" + "x" * 1020
        return json.dumps({"AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez2aWC", "AccessKeySecret": "x" * 44,
                           "SecurityToken": token, "Expiration": "2026-01-01T06:00:00Z",
                           "LastUpdated": "2026-01-01T00:00:00Z", "Code": "Success"}).encode()

    def metadata_lanyard(self) -> dict:
        """wrk runs as the container of a pod, against the pod's own 100.100.100.200; its report goes to the
        container log between two marker lines, the second one with wrk's exit status."""
        url = f"http://100.100.100.200/latest/meta-data/ram/security-credentials/{ROLE}"
        script = (self.credentials_ready_script() + "; " + " ".join(self.wrk_argv(url))
                  + " > /tmp/wrk.txt 2>&1; status=$?; echo 'bench: wrk report'; cat /tmp/wrk.txt; "
                  "echo \"bench: wrk exit $status\"; exec sleep 3600")
        pod = self.create_pod("bench-meta", script)
        if not self.wait_for(lambda: self.logged(pod, "bench: wrk exit ") is not None, self.settings.seconds + 180):
            raise NotMeasured("wrk in the pod did not finish (no credentials in the pod?)")
        self.credentials_json = base64.b64decode(self.logged(pod, CREDENTIALS_READY) or "")
        log = self.container_log(pod)
        report = log.split("bench: wrk report\n", 1)[-1].split("bench: wrk exit ", 1)[0]
        return self.parse_wrk(report, int(self.logged(pod, "bench: wrk exit ") or 1), report)

    def metadata_nginx(self) -> dict:
        self.start_nginx()
        url = f"http://127.0.0.1:{self.nginx_port}/latest/meta-data/ram/security-credentials/{ROLE}"
        return self.wrk(url, ["ip", "netns", "exec", self.netns])

    def start_nginx(self) -> None:
        """nginx in the run's network namespace, serving the metadata document and the 64 MiB object (once)."""
        if getattr(self, "nginx", None):
            return
        self.make_netns()
        root = self.work / "nginx-root"
        path = root / "latest/meta-data/ram/security-credentials"
        path.mkdir(parents=True, exist_ok=True)
        (path / ROLE).write_bytes(self.metadata_json())
        shutil.copy(self.work / "object.bin", root / "object.bin")
        # nginx's workers run unprivileged: let them through the (private) work directory to the files.
        os.chmod(self.work, 0o711)
        for directory, _, files in os.walk(root):
            os.chmod(directory, 0o755)
            for name in files:
                os.chmod(Path(directory) / name, 0o644)
        self.nginx_port = 8081
        conf = self.work / "nginx.conf"
        conf.write_text(f"""
worker_processes auto;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=64 inactive=60s;
    open_file_cache_valid 60s;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    default_type application/json;
    server {{
        listen 127.0.0.1:{self.nginx_port};
        root {root};
    }}
}}
""")
        self.nginx = self.start("nginx", ["nginx", "-c", str(conf), "-g", "daemon off;"], netns=True)
        wait_for_port("127.0.0.1", self.nginx_port, 30, netns=self.netns)

    def start_moto(self, netns: bool) -> str:
        port = 5000 if netns else free_port()
        if netns:
            self.make_netns()
        moto_server = self.python.parent / "moto_server"
        self.start(f"moto-{'netns' if netns else 'loopback'}", [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
                   netns=netns)
        wait_for_port("127.0.0.1", port, 60, netns=self.netns if netns else None)
        return f"127.0.0.1:{port}"

    def metadata_moto(self) -> dict:
        endpoint = self.start_moto(netns=True)
        url = f"http://{endpoint}/latest/meta-data/iam/security-credentials/{MOTO_ROLE}"
        return self.wrk(url, ["ip", "netns", "exec", self.netns])

    def section_metadata(self) -> None:
        lanyard, lanyard_reason = self.attempt(self.metadata_lanyard)
        nginx, nginx_reason = self.attempt(self.metadata_nginx)
        moto, moto_reason = self.attempt(self.metadata_moto)
        self.report.raw["metadata"] = {"lanyard": lanyard, "nginx": nginx, "moto": moto}

        def cell(result, reason, key, unit, digits):
            return fmt(result[key], unit, digits) if result else reason

        for key, label, unit, digits in [("rps", "requests/s", "", 0), ("p50", "p50", "ms", 3), ("p99", "p99", "ms", 3)]:
            goal = {"rps": "≥ 0.8× nginx", "p99": "≤ 2 ms"}.get(key, "")
            verdict = ""
            if lanyard and key == "rps" and nginx:
                verdict = "met" if lanyard["rps"] >= 0.8 * nginx["rps"] else "not met"
            if lanyard and key == "p99":
                verdict = "met" if lanyard["p99"] <= 2 else "not met"
            self.row("1. Metadata credentials GET (wrk, 32 keep-alive connections)", label,
                     lanyard=cell(lanyard, lanyard_reason, key, unit, digits),
                     reference=f"nginx {cell(nginx, nginx_reason, key, unit, digits)}; "
                               f"moto {cell(moto, moto_reason, key, unit, digits)}",
                     ratio=(f"{ratio_text(lanyard['rps'], nginx['rps'])} nginx; "
                            f"{ratio_text(lanyard['rps'], moto['rps'] if moto else None)} moto"
                            if key == "rps" and lanyard and nginx else ""),
                     goal=goal, verdict=verdict)
        if moto and moto.get("socketErrors"):
            self.report.details.append(f"moto metadata under wrk: {moto['socketErrors']} (it closes every "
                                       "connection after one answer, so wrk reconnects).")

    # ----- 2. STS ----------------------------------------------------------------------------------------

    def sts_lanyard(self) -> dict:
        self.lanyard_ready()
        arn = f"acs:ram::{self.account}:role/{ROLE}"
        return self.load("assume-role", "--flavor", "lanyard", "--endpoint", self.api, "--credentials",
                         str(self.user_credentials), "--role-arn", arn, connections=16)

    def sts_moto(self) -> dict:
        endpoint = self.moto_loopback or self.start_moto(netns=False)
        self.moto_loopback = endpoint
        return self.load("assume-role", "--flavor", "moto", "--endpoint", endpoint, "--role-arn",
                         f"arn:aws:iam::123456789012:role/{ROLE}", connections=16,
                         max_requests=min(self.settings.max_requests, 50_000))

    def section_sts(self) -> None:
        lanyard, lanyard_reason = self.attempt(self.sts_lanyard)
        moto, moto_reason = self.attempt(self.sts_moto)
        self.report.raw["sts"] = {"lanyard": lanyard, "moto": moto}
        served = self.server_latencies("AssumeRole")
        if lanyard and served:
            self.report.details.append(
                f"AssumeRole inside Lanyard (its own request log, {len(served):,} requests): median "
                f"{statistics.median(served):.3f} ms, p99 {served[int(len(served) * 0.99)]:.3f} ms — the rest of "
                f"the client's {lanyard['p50Milliseconds']:.2f} ms p50 is HTTP, queueing and the cores shared "
                "with the generator.")
        section = "2. STS AssumeRole (signed, 16 concurrent clients)"
        for key, label, unit, digits in [("requestsPerSecond", "requests/s", "", 0),
                                         ("p50Milliseconds", "p50", "ms", 2), ("p99Milliseconds", "p99", "ms", 2)]:
            verdict = ""
            if key == "requestsPerSecond" and lanyard:
                enough = lanyard[key] >= 10_000 and (not moto or lanyard[key] >= 20 * moto[key])
                verdict = "met" if enough else "not met"
            self.row(section, label,
                     lanyard=fmt(lanyard[key], unit, digits) if lanyard else lanyard_reason,
                     reference="moto " + (fmt(moto[key], unit, digits) if moto else moto_reason),
                     ratio=ratio_text(lanyard[key], moto[key]) if key == "requestsPerSecond" and lanyard and moto
                     else "",
                     goal="≥ 10,000/s and ≥ 20× moto" if key == "requestsPerSecond" else "", verdict=verdict)

    def server_latencies(self, action: str) -> list[float]:
        """Sorted `latencyMs` of one RPC action from `lanyard up`'s JSON log on stderr."""
        values: list[float] = []
        marker = f'"action":"{action}"'
        if not (self.work / "lanyard.log").exists():
            return values
        with open(self.work / "lanyard.log", errors="replace") as log:
            for line in log:
                if marker in line and '"latencyMs"' in line:
                    try:
                        values.append(float(json.loads(line)["latencyMs"]))
                    except (ValueError, KeyError):
                        continue
        return sorted(values)

    # ----- 3. OSS ----------------------------------------------------------------------------------------

    def oss_ready(self) -> None:
        self.lanyard_ready()
        if not self.oss:
            raise NotMeasured("this build of `lanyard up` has no `--oss` listener yet")

    def put_lanyard(self) -> dict:
        self.oss_ready()
        self.oss_request("lanyard", self.oss, "PUT", "/bench-put")
        return self.load("put", "--flavor", "lanyard", "--endpoint", self.oss, "--credentials",
                         str(self.root_credentials), "--bucket", "bench-put", "--size", "4096", connections=16)

    def put_moto(self) -> dict:
        self.moto_loopback = self.moto_loopback or self.start_moto(netns=False)
        self.oss_request("moto", self.moto_loopback, "PUT", "/bench-put")
        return self.load("put", "--flavor", "moto", "--endpoint", self.moto_loopback, "--bucket", "bench-put",
                         "--size", "4096", connections=16, max_requests=min(self.settings.max_requests, 50_000))

    def get_lanyard(self) -> dict:
        self.oss_ready()
        self.oss_request("lanyard", self.oss, "PUT", "/bench-get")
        self.oss_request("lanyard", self.oss, "PUT", "/bench-get/object.bin", self.work / "object.bin")
        return self.load("get", "--flavor", "lanyard", "--endpoint", self.oss, "--credentials",
                         str(self.root_credentials), "--bucket", "bench-get", "--key", "object.bin",
                         connections=2, max_requests=5000)

    def get_nginx(self) -> dict:
        self.start_nginx()
        return self.load("get", "--endpoint", f"127.0.0.1:{self.nginx_port}", "--target", "/object.bin",
                         connections=2, max_requests=5000, netns=True)

    def get_moto(self) -> dict:
        self.moto_loopback = self.moto_loopback or self.start_moto(netns=False)
        self.oss_request("moto", self.moto_loopback, "PUT", "/bench-get")
        self.oss_request("moto", self.moto_loopback, "PUT", "/bench-get/object.bin", self.work / "object.bin")
        return self.load("get", "--flavor", "moto", "--endpoint", self.moto_loopback, "--bucket", "bench-get",
                         "--key", "object.bin", connections=2, max_requests=5000)

    def populate(self, flavor: str, endpoint: str, have: int, want: int) -> int:
        """Fills bucket bench-list with empty objects list/00000000… up to `want`; returns how many exist."""
        if have == 0:
            self.oss_request(flavor, endpoint, "PUT", "/bench-list")
        if want <= have:
            return have
        arguments = ["put", "--flavor", flavor, "--endpoint", endpoint, "--bucket", "bench-list", "--size", "0",
                     "--key-prefix", "list/", "--start-index", str(have)]
        if flavor == "lanyard":
            arguments += ["--credentials", str(self.root_credentials)]
        result = self.generate(*arguments, "--connections", "8", "--seconds", str(self.settings.populate_seconds),
                               "--max-requests", str(want - have), timeout=self.settings.populate_seconds + 300)
        created = result.get("statuses", {}).get("200", 0)
        if created < result.get("requests", 0):
            raise NotMeasured(f"filling the bucket: answers {result.get('statuses')}")
        # Keys are handed out in order but answered out of order; the prefix below `have + created` is dense
        # only if nothing failed, which the check above ensures.
        return have + created

    def list_pages(self, flavor: str, endpoint: str, keys: int) -> dict:
        arguments = ["list", "--flavor", flavor, "--endpoint", endpoint, "--bucket", "bench-list",
                     "--key-prefix", "list/", "--keys", str(keys), "--repeat", "9"]
        if flavor == "lanyard":
            arguments += ["--credentials", str(self.root_credentials)]
        result = self.generate(*arguments, timeout=600)
        if result.get("exitCode") or result.get("firstPageKeys") != 1000 or result.get("lastPageKeys") != 1000:
            raise NotMeasured(f"listing returned {result}")
        return result

    def listing(self, flavor: str, endpoint_of, cap: int) -> dict[int, dict | str]:
        figures: dict[int, dict | str] = {}
        have = 0
        try:
            endpoint = endpoint_of()
        except NotMeasured as reason:
            return {size: f"not measured: {reason}" for size in self.settings.list_sizes}
        for size in self.settings.list_sizes:
            if size > cap:
                figures[size] = (f"not measured: above the cap of {cap:,} keys filled through the API "
                                 f"({'BENCH_LIST_MAX_KEYS' if flavor == 'lanyard' else 'BENCH_MOTO_LIST_MAX_KEYS'})")
                continue
            started = time.monotonic()
            try:
                have = self.populate(flavor, endpoint, have, size)
                if have < size:
                    figures[size] = (f"not measured: only {have:,} keys written in "
                                     f"{self.settings.populate_seconds} s (BENCH_POPULATE_SECONDS)")
                    break
                filled = time.monotonic() - started
                figures[size] = self.list_pages(flavor, endpoint, size) | {"fillSeconds": filled}
            except NotMeasured as reason:
                figures[size] = f"not measured: {reason}"
                break
        for size in self.settings.list_sizes:
            figures.setdefault(size, "not measured: an earlier size failed")
        return figures

    def section_oss(self) -> None:
        section = "3. OSS"
        put, put_reason = self.attempt(self.put_lanyard)
        mput, mput_reason = self.attempt(self.put_moto)
        self.row(section, "PutObject 4 KiB, 16 clients (ops/s)",
                 lanyard=fmt(put["requestsPerSecond"]) if put else put_reason,
                 reference="moto " + (fmt(mput["requestsPerSecond"]) if mput else mput_reason),
                 ratio=ratio_text(put and put["requestsPerSecond"], mput and mput["requestsPerSecond"]),
                 goal="≥ 20× moto",
                 verdict=("met" if put["requestsPerSecond"] >= 20 * mput["requestsPerSecond"] else "not met")
                 if put and mput else "")
        get, get_reason = self.attempt(self.get_lanyard)
        nget, nget_reason = self.attempt(self.get_nginx)
        mget, mget_reason = self.attempt(self.get_moto)

        def gbps(result):
            return result["bytesPerSecond"] / 1e9 if result else None

        self.row(section, "GetObject 64 MiB, 2 clients (GB/s)",
                 lanyard=fmt(gbps(get), "", 2) if get else get_reason,
                 reference=f"nginx {fmt(gbps(nget), '', 2) if nget else nget_reason}; "
                           f"moto {fmt(gbps(mget), '', 2) if mget else mget_reason}",
                 ratio=f"{ratio_text(gbps(get), gbps(nget))} nginx; {ratio_text(gbps(get), gbps(mget))} moto"
                 if get else "",
                 goal="≥ 0.7× nginx",
                 verdict=("met" if gbps(get) >= 0.7 * gbps(nget) else "not met") if get and nget else "")
        self.report.raw["oss"] = {"put": put, "putMoto": mput, "get": get, "getNginx": nget, "getMoto": mget}

        def endpoint_lanyard():
            self.oss_ready()
            return self.oss

        def endpoint_moto():
            self.moto_loopback = self.moto_loopback or self.start_moto(netns=False)
            return self.moto_loopback

        lanyard_lists = self.listing("lanyard", endpoint_lanyard, self.settings.list_max_keys)
        moto_lists = self.listing("moto", endpoint_moto, self.settings.moto_list_max_keys)
        self.report.raw["list"] = {"lanyard": {str(k): v for k, v in lanyard_lists.items()},
                                   "moto": {str(k): v for k, v in moto_lists.items()}}

        def page(result, which):
            return fmt(result[which], "ms", 2) if isinstance(result, dict) else result

        first_small = next((v for v in lanyard_lists.values() if isinstance(v, dict)), None)
        for size in self.settings.list_sizes:
            ours, theirs = lanyard_lists[size], moto_lists[size]
            for which, label in [("firstPageMilliseconds", "first"), ("lastPageMilliseconds", "last")]:
                verdict = ""
                if isinstance(ours, dict) and first_small and ours is not first_small:
                    # "independent of bucket size": within 2× of the smallest bucket's page time
                    verdict = "met" if ours[which] <= 2 * first_small[which] + 0.5 else "not met"
                self.row(section, f"ListObjects, {size:,} keys, {label} page of 1000",
                         lanyard=page(ours, which), reference="moto " + page(theirs, which),
                         ratio=f"{theirs[which] / ours[which]:.1f}× faster"
                         if isinstance(ours, dict) and isinstance(theirs, dict) else "",
                         goal="independent of bucket size", verdict=verdict)

    # ----- 4. policy -------------------------------------------------------------------------------------

    def policy_lanyard(self) -> dict:
        if not self.policy_bench:
            raise NotMeasured("the lanyard-bench-policy target did not build (LanyardPolicy not merged yet?)")
        result = subprocess.run(["taskset", "-c", "0", str(self.policy_bench), "--seconds", "5",
                                 "--cases", str(ROOT / "Benchmarks/policy/cases.json")],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise NotMeasured(result.stderr.strip()[-300:])
        return json.loads(result.stdout.strip().splitlines()[-1])

    def policy_cedar(self) -> dict:
        result = subprocess.run(["taskset", "-c", "0", str(self.python), str(ROOT / "Benchmarks/policy/cedar_reference.py"),
                                 "--seconds", "5", "--cases", str(ROOT / "Benchmarks/policy/cases.json")],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise NotMeasured(result.stderr.strip()[-300:])
        return json.loads(result.stdout.strip().splitlines()[-1])

    def section_policy(self) -> None:
        ours, ours_reason = self.attempt(self.policy_lanyard)
        cedar, cedar_reason = self.attempt(self.policy_cedar)
        self.report.raw["policy"] = {"lanyard": ours, "cedarpy": cedar}
        self.row("4. Policy evaluation (20 statements, wildcards and conditions, one core)", "decisions/s",
                 lanyard=fmt(ours["decisionsPerSecond"]) if ours else ours_reason,
                 reference="cedarpy " + (fmt(cedar["decisionsPerSecond"]) if cedar else cedar_reason),
                 ratio=ratio_text(ours and ours["decisionsPerSecond"], cedar and cedar["decisionsPerSecond"]),
                 goal="≥ 2,000,000/s",
                 verdict=("met" if ours["decisionsPerSecond"] >= 2e6 else "not met") if ours else "")
        if ours and cedar and ours.get("allowed") != cedar.get("allowed"):
            self.report.details.append(
                f"Policy decisions differ between Lanyard {ours.get('allowed')} and cedarpy "
                f"{cedar.get('allowed')}: the Cedar translation does not match the RAM document.")

    # ----- 7. the SDK's credential cache (issue 4) --------------------------------------------------------

    def credentials_cache(self) -> dict:
        if not self.credentials_bench:
            raise NotMeasured("the lanyard-bench-credentials target did not build")
        result = subprocess.run([str(self.credentials_bench)], capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise NotMeasured(result.stderr.strip()[-300:])
        return json.loads(result.stdout.strip().splitlines()[-1])

    def section_credentials(self) -> None:
        cache, reason = self.attempt(self.credentials_cache)
        self.report.raw["credentialsCache"] = cache
        section = "7. SDK credentials (ECS RAM role provider, loopback metadata server)"
        self.row(section, "cached call", lanyard=fmt(cache["cachedCallNs"], "ns") if cache else reason,
                 reference="uncached fetch " + (fmt(cache["uncachedFetchNs"] / 1000, "µs") if cache else "—"),
                 ratio=(fmt(cache["uncachedOverCached"]) + "× cheaper") if cache else "")
        self.row(section, "metadata GETs, 1,000 callers at expiry",
                 lanyard=str(cache["metadataGetsAtExpiry"]) if cache else reason, goal="exactly 1",
                 verdict=("met" if cache["metadataGetsAtExpiry"] == 1 else "not met") if cache else "")

    # ----- 5 and 6. memory and pod start -----------------------------------------------------------------

    def lanyard_rss(self) -> int:
        self.lanyard_ready()
        return rss_kib(self.lanyard_process.pid)

    def soak(self) -> dict:
        """Mixed load in rounds (metadata GETs in a pod, AssumeRole, 4 KiB PUTs at once) for the soak length,
        sampling the server's RSS every 5 s."""
        self.lanyard_ready()
        pid = self.lanyard_process.pid
        samples: list[tuple[float, int]] = []
        end = time.monotonic() + self.settings.soak_seconds
        begin = time.monotonic()
        round_seconds = 10
        rounds = 0
        parts = ["put"] if self.oss else []
        parts.append("assume-role")
        url = f"http://100.100.100.200/latest/meta-data/ram/security-credentials/{ROLE}"
        try:
            # Its own pod: wrk in rounds of 10 s until the soak's end (bounded in the pod's script too).
            seconds = self.settings.soak_seconds
            self.create_pod("bench-soak", self.credentials_ready_script()
                            + f"; end=$(( $(date +%s) + {seconds} )); while [ $(date +%s) -lt $end ]; do "
                            f"{shutil.which('wrk') or '/usr/bin/wrk'} -t1 -c8 -d10s {url} >/dev/null 2>&1; done; "
                            "exec sleep 3600")
            parts.append("metadata GET in a pod")
        except NotMeasured as reason:
            self.report.details.append(f"The soak ran without metadata GETs: {reason}")
        while time.monotonic() < end:
            loads = []
            if self.oss:
                loads.append([str(self.generator), "put", "--flavor", "lanyard", "--endpoint", self.oss,
                              "--credentials", str(self.root_credentials), "--bucket", "bench-put", "--size", "4096",
                              "--key-prefix", f"soak/{rounds}/", "--connections", "4", "--seconds",
                              str(round_seconds), "--max-requests", "100000"])
            loads.append([str(self.generator), "assume-role", "--flavor", "lanyard", "--endpoint", self.api,
                          "--credentials", str(self.user_credentials), "--role-arn",
                          f"acs:ram::{self.account}:role/{ROLE}", "--connections", "4", "--seconds",
                          str(round_seconds), "--max-requests", "100000"])
            running = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True) for argv in loads]
            round_end = time.monotonic() + round_seconds + 30
            while any(p.poll() is None for p in running) and time.monotonic() < round_end:
                samples.append((time.monotonic() - begin, rss_kib(pid)))
                time.sleep(5)
            for process in running:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            rounds += 1
        samples.append((time.monotonic() - begin, rss_kib(pid)))
        values = [kib for _, kib in samples]
        settled = [(t, kib) for t, kib in samples if t >= REPLAY_WINDOW_SECONDS + 60]
        at_window = next((kib for t, kib in samples if t >= REPLAY_WINDOW_SECONDS), None)
        return {"startMiB": values[0] / 1024, "minMiB": min(values) / 1024, "maxMiB": max(values) / 1024,
                "endMiB": values[-1] / 1024, "atWindowMiB": at_window / 1024 if at_window else None,
                "slopeMiBPerMinute": slope_per_minute(samples),
                "fillingSlopeMiBPerMinute": slope_per_minute([x for x in samples if x[0] < REPLAY_WINDOW_SECONDS]),
                "settledSlopeMiBPerMinute": slope_per_minute(settled) if len(settled) >= 24 else None,
                "settledSeconds": settled[-1][0] - settled[0][0] if settled else 0,
                "samples": len(samples), "seconds": self.settings.soak_seconds, "parts": parts}

    def section_memory_and_pods(self, idle: int | None, idle_reason: str | None) -> None:
        one, one_reason = self.attempt(self.start_pods, "bench-start1", 1)
        many, many_reason = self.attempt(self.start_pods, "bench-many", self.settings.pods)
        # The pods exist even when some never got ready: their memory is measured all the same.
        created = len(self.pod_ids) >= self.settings.pods
        with_pods, with_pods_reason = self.attempt(self.lanyard_rss) if created else (None, many_reason)
        if with_pods and not many:
            self.report.details.append(f"Memory with {self.settings.pods} pods was measured although {many_reason}.")
        soak, soak_reason = self.attempt(self.soak)
        self.report.raw["memory"] = {"idleKiB": idle, "withPodsKiB": with_pods, "soak": soak}
        self.report.raw["podStart"] = {"one": one, "many": many}
        section = "5. Memory (RSS of `lanyard up`)"
        self.row(section, "idle", lanyard=fmt(idle / 1024, "MiB", 1) if idle else idle_reason)
        self.row(section, f"with {self.settings.pods} pods",
                 lanyard=fmt(with_pods / 1024, "MiB", 1) if with_pods else with_pods_reason,
                 goal="≤ 60 MB", verdict=("met" if with_pods * 1024 <= 60e6 else "not met") if with_pods else "")
        if soak:
            at_window = f", at 15 min {soak['atWindowMiB']:.1f}" if soak["atWindowMiB"] else ""
            self.row(section, f"mixed-load soak, {soak['seconds']} s ({', '.join(soak['parts'])})",
                     lanyard=f"start {soak['startMiB']:.1f}{at_window}, max {soak['maxMiB']:.1f}, "
                             f"end {soak['endMiB']:.1f} MiB; trend {soak['slopeMiBPerMinute']:+.2f} MiB/min")
            self.row(section, "soak trend while the 15-minute SignatureNonce replay window fills",
                     lanyard=f"{soak['fillingSlopeMiBPerMinute']:+.2f} MiB/min", goal="grows with the request rate")
            settled = soak["settledSlopeMiBPerMinute"]
            self.row(section, "soak trend once the replay window is full (from minute 16)",
                     lanyard=(f"{settled:+.2f} MiB/min over {soak['settledSeconds'] / 60:.0f} min" if settled is not None
                              else "not measured: the soak must run at least 18 minutes (BENCH_SOAK_SECONDS)"),
                     goal="flat (within ±0.5 MiB/min)",
                     verdict=("met" if abs(settled) < 0.5 else "not met") if settled is not None else "")
        else:
            self.row(section, "mixed-load soak", lanyard=soak_reason, goal="flat")
        section = "6. Pod start (create → container running with credentials)"
        self.row(section, "1 pod", lanyard=fmt(one, "s", 2) if one else one_reason)
        self.row(section, f"{self.settings.pods} pods", lanyard=fmt(many, "s", 2) if many else many_reason)

    # ----- the run ---------------------------------------------------------------------------------------

    def run(self) -> None:
        self.moto_loopback = ""
        with open(self.work / "object.bin", "wb") as blob:
            blob.write(os.urandom(64 * 1024 * 1024))
        started, reason = self.attempt(self.start_lanyard)
        if reason:
            self.lanyard_failure = reason.removeprefix("not measured: ")
        idle, idle_reason = self.attempt(self.lanyard_rss)
        _, pod_reason = self.attempt(self.probe_pods)
        self.pods_available = (pod_reason or "").removeprefix("not measured: ")
        sections = {"metadata": self.section_metadata, "sts": self.section_sts, "oss": self.section_oss,
                    "policy": self.section_policy, "memory": lambda: self.section_memory_and_pods(idle, idle_reason),
                    "credentials": self.section_credentials}
        for name in self.settings.sections or SECTIONS:
            sections[name]()
            self.log(f"section done: {name}")

    def probe_pods(self) -> None:
        self.lanyard_ready()
        if os.geteuid() != 0:
            raise NotMeasured("pods need root")
        probe = self.generate("rpc", "--endpoint", self.api, "--credentials", str(self.root_credentials),
                              "Action=DescribeContainerGroups", "Version=2018-08-08", "RegionId=cn-hangzhou",
                              timeout=60)
        if probe.get("exitCode"):
            raise NotMeasured(f"this build of `lanyard up` has no ECI API yet ({probe.get('body', '')[:200]})")

    def log(self, message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)


def versions(python: Path) -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return (result.stdout + result.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unavailable"

    def package(name: str) -> str:
        return first_line([str(python), "-c", f"import importlib.metadata as m; print(m.version('{name}'))"])

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    os_name = next((line.split("=", 1)[1].strip('"') for line in Path("/etc/os-release").read_text().splitlines()
                    if line.startswith("PRETTY_NAME=")), "unknown")
    return {
        "CPU": f"{os.cpu_count()} × {cpu}",
        "memory": f"{memory / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "OS": os_name,
        "swift": first_line(["swift", "--version"]),
        "nginx": first_line(["nginx", "-v"]),
        "wrk": first_line(["wrk", "-v"]).split(" Copyright")[0],
        "moto": package("moto"),
        "cedarpy": package("cedarpy"),
        "Python": platform.python_version(),
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def render(bench: Bench, machine: dict[str, str], elapsed: float) -> str:
    s = bench.settings
    template = (ROOT / "Benchmarks/report-template.md").read_text()
    machine_table = "\n".join(f"| {k} | {v} |" for k, v in machine.items())
    ran = set(s.sections or SECTIONS)
    # Only the settings the sections that ran used.
    used = [f"load runs of {s.seconds} s (at most {s.max_requests:,} requests each)"] if ran & {"metadata", "sts", "oss",
                                                                                            "memory"} else []
    if "oss" in ran:
        used.append(f"listing buckets of {', '.join(f'{n:,}' for n in s.list_sizes)} keys "
                    f"(Lanyard filled up to {s.list_max_keys:,}, moto up to {s.moto_list_max_keys:,})")
    if "memory" in ran:
        used.append(f"{s.pods} pods; soak {s.soak_seconds} s")
    if s.sections:
        used.append(f"only the sections {', '.join(s.sections)} (BENCH_SECTIONS)")
    parameters = "; ".join(used + [f"whole run {elapsed / 60:.1f} min"])
    lines = ["| section | measurement | Lanyard | reference | ratio | goal | goal met? |",
             "|---|---|---|---|---|---|---|"]
    for row in bench.report.rows:
        cells = [row.section, row.measurement, row.lanyard, row.reference, row.ratio, row.goal, row.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    details = "\n".join(f"- {d}" for d in bench.report.details) or "- none"
    return (template.replace("{{machine}}", machine_table).replace("{{parameters}}", parameters)
            .replace("{{results}}", "\n".join(lines)).replace("{{notes}}", details)
            .replace("{{date}}", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))


def main() -> int:
    work = Path(os.environ["BENCH_WORK"])
    lanyard = Path(os.environ.get("BENCH_LANYARD") or "/nonexistent/lanyard")
    generator = Path(os.environ["BENCH_GENERATOR"])
    policy = os.environ.get("BENCH_POLICY", "")
    credentials = os.environ.get("BENCH_CREDENTIALS", "")
    output = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs/benchmarks.md"))
    unknown = [name for name in Settings().sections if name not in SECTIONS]
    if unknown:
        print(f"bench: unknown section {', '.join(unknown)} in BENCH_SECTIONS (known: {', '.join(SECTIONS)})",
              file=sys.stderr)
        return 2
    machine = versions(Path(sys.executable))
    bench = Bench(work, lanyard, generator, Path(policy) if policy else None,
                  Path(credentials) if credentials else None)
    began = time.monotonic()

    def terminate(number, _frame):
        raise KeyboardInterrupt(f"signal {number}")

    signal.signal(signal.SIGTERM, terminate)
    try:
        bench.run()
    finally:
        bench.cleanup()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(bench, machine, time.monotonic() - began))
    (work / "results.json").write_text(json.dumps(bench.report.raw, indent=2, default=str))
    kept = os.environ.get("BENCH_KEEP_WORK") == "1"
    print(f"bench: wrote {output}" + (f" (raw figures in {work / 'results.json'})" if kept else
                                      " (BENCH_KEEP_WORK=1 keeps the raw figures, results.json)"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures: one `lanyard up` for the session (restartable on the same data directory), the root account,
clients of every SDK flavour, and helpers that create users and roles with unique names."""
from __future__ import annotations

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from lanyard_testkit import FLAVOURS, Lab, LanyardProcess, ServerStartError, free_port  # noqa: E402

# Loopback only: never let a proxy from the environment see these requests.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PER_TEST_LIMIT = 90  # seconds; a hung request fails its test instead of hanging the suite


def lanyard_binary() -> str:
    path = os.environ.get("LANYARD_BIN") or os.path.join(".build", "debug", "lanyard")
    if not os.path.isabs(path):
        path = os.path.join(REPO_ROOT, path)
    return path


@pytest.fixture(scope="session")
def binary() -> str:
    path = lanyard_binary()
    if not os.access(path, os.X_OK):
        pytest.fail(f"no lanyard executable at {path}: run `swift build --product lanyard` or set LANYARD_BIN",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def server(binary, tmp_path_factory):
    """The session's `lanyard up`. The data directory does not exist yet: the server must create it."""
    base = tmp_path_factory.mktemp("lanyard")
    proc = LanyardProcess(binary, str(base / "data"), free_port(), free_port(), str(base / "stderr.log"))
    failure = None
    try:
        proc.start()
    except ServerStartError as e:
        failure = str(e)
    if failure:
        pytest.fail(failure, pytrace=False)
    yield proc
    try:
        proc.stop()
    finally:
        proc.kill()


@pytest.fixture(scope="session")
def _session_lab(server) -> Lab:
    return Lab(server)


@pytest.fixture
def lab(server, _session_lab):
    """Root account, entity helpers and clients. Starts the server again if a test stopped it on purpose;
    a server that exits on its own fails the test during which it died."""
    failure = None
    if server.proc is None or server.proc.poll() is not None:
        try:
            server.start()
        except ServerStartError as e:
            failure = str(e)
    if failure:
        pytest.fail(failure, pytrace=False)
    yield _session_lab
    if server.crashed():
        code = server.proc.returncode
        tail = server.stderr_tail()
        try:
            server.start()
        except ServerStartError:
            pass
        pytest.fail(f"lanyard exited during this test (status {code}); stderr tail:\n{tail}", pytrace=False)


@pytest.fixture(params=FLAVOURS)
def flavour(request) -> str:
    return request.param


@pytest.fixture(autouse=True)
def _bounded_test():
    """SIGALRM turns a hang into a failure."""

    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded {PER_TEST_LIMIT}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(PER_TEST_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

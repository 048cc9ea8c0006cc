"""Crash safety of the object service (issue 3, "Done when"): SIGKILL `lanyard up` in the middle of many
concurrent uploads, start it again on the same data directory, and show that

- every upload that was acknowledged (200) is there, byte for byte (MD5 matches), and
- nothing partial is visible: every listed object's body is exactly what some upload of that key sent in
  full (acknowledged, or in flight when the server died), with the listed size and a matching ETag.

DESIGN.md "Durable writes": body to a temporary file, fsync, rename, metadata committed, then 200.
The test runs its own server on a fresh data directory; uploads are signed V1 (oss_testkit.signed_headers)
and large bodies are sent slowly, so several are provably mid-body when the SIGKILL lands.
"""
from __future__ import annotations

import hashlib
import random
import threading
import time

import pytest

from lanyard_testkit import Lab, LanyardProcess, free_port
from oss_testkit import OssWorld, http_session, object_url, quoted_etag, signed_headers

THREADS = 8
CHUNK = 64 * 1024


@pytest.fixture
def own_server(binary, tmp_path):
    proc = LanyardProcess(binary, str(tmp_path / "data"), free_port(), free_port(), str(tmp_path / "stderr.log"))
    proc.start()
    try:
        yield proc
    finally:
        try:
            proc.stop()
        finally:
            proc.kill()


class SlowBody:
    """An upload body with a known length, sent in chunks with a pause between them; counts what left."""

    def __init__(self, data: bytes, pause: float, progress: dict, key: str):
        self.data, self.pause, self.progress, self.key = data, pause, progress, key

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        for offset in range(0, len(self.data), CHUNK):
            self.progress[self.key] = offset
            yield self.data[offset:offset + CHUNK]
            if self.pause:
                time.sleep(self.pause)
        self.progress[self.key] = len(self.data)


def jobs() -> tuple[list[tuple[str, bytes, bool]], list[str]]:
    """(key, body, slow) uploads in a fixed shuffled order: large slow ones among many small ones, and
    three "hot" keys that get overwritten by large bodies while they already hold a small one."""
    rng = random.Random(20240611)
    out = []
    for i in range(12):
        out.append((f"large/{i:02d} \u00fc.bin", rng.randbytes(3 * 1024 * 1024 + rng.randrange(3 * 1024 * 1024)), True))
    for i in range(90):
        out.append((f"small/{i:03d}.bin", rng.randbytes(1 + rng.randrange(64 * 1024)), False))
    hot = [f"hot/{i}" for i in range(3)]
    for i, key in enumerate(hot):
        for v in range(2):
            out.append((key, rng.randbytes(2 * 1024 * 1024 + 1000 * (v + 1) + i), True))
    rng.shuffle(out)
    return out, hot


def test_sigkill_during_uploads_loses_nothing_acknowledged_and_shows_nothing_partial(own_server):
    lab = Lab(own_server)
    world = OssWorld(own_server, lab)
    bucket = world.new_bucket("crash")
    work, hot = jobs()
    root = world.root_bucket(bucket)
    first = {}
    for key in hot:  # a small acknowledged version exists before the storm
        first[key] = f"first version of {key}".encode()
        root.put_object(key, first[key])

    lock = threading.Lock()
    queue = list(work)
    sent: dict[str, bytes] = {}               # md5 -> body, for every body whose upload started
    versions: dict[str, set[str]] = {k: {hashlib.md5(v).hexdigest()} for k, v in first.items()}
    acked: dict[str, str] = {k: hashlib.md5(v).hexdigest() for k, v in first.items()}  # key -> md5 of last ack
    in_flight: dict[str, tuple[str, int]] = {}  # thread -> (key, length) of a slow upload being sent
    progress: dict[str, int] = {}
    stop = threading.Event()
    failures: list[str] = []

    def worker():
        session = http_session()
        name = threading.current_thread().name
        while not stop.is_set():
            with lock:
                if not queue:
                    return
                key, data, slow = queue.pop(0)
                digest = hashlib.md5(data).hexdigest()
                sent[digest] = data
                versions.setdefault(key, set()).add(digest)
                progress[f"{name}:{key}"] = 0
                if slow:
                    in_flight[name] = (key, len(data))
            headers = signed_headers(world.root, "PUT", bucket, key, {"Content-Type": "application/octet-stream"})
            try:
                r = session.put(object_url(world.endpoint, bucket, key), headers=headers,
                                data=SlowBody(data, 0.01 if slow else 0, progress, f"{name}:{key}"),
                                timeout=(5, 30))
            except Exception:  # the server died under this upload: not acknowledged
                continue
            finally:
                with lock:
                    in_flight.pop(name, None)
            if r.status_code == 200:
                with lock:
                    acked[key] = digest
                if r.headers.get("ETag") != quoted_etag(data):
                    failures.append(f"PUT {key}: ETag {r.headers.get('ETag')!r}, expected {quoted_etag(data)!r}")
            elif not stop.is_set():
                failures.append(f"PUT {key}: HTTP {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=worker, name=f"uploader-{i}", daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()

    def mid_body() -> list[str]:
        """Slow uploads that have sent some but not all of their body."""
        with lock:
            busy = list(in_flight.items())
        return [key for name, (key, size) in busy if 0 < progress.get(f"{name}:{key}", 0) < size]

    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        with lock:
            enough = len(acked) >= len(hot) + 20
        partial = mid_body()
        if enough and len(partial) >= 2:
            break
        time.sleep(0.02)
    else:
        stop.set()
        pytest.fail(f"never had 20 acknowledged uploads and 2 large ones mid-body "
                    f"(acked {len(acked) - len(hot)}, failures {failures[:3]})")
    own_server.kill()  # SIGKILL, no warning
    stop.set()
    for t in threads:
        t.join(timeout=40)
    assert not any(t.is_alive() for t in threads), "an upload thread hung after the kill"
    assert not failures, failures[:5]
    assert partial, "some uploads were mid-body when the server died"

    own_server.start()
    root = world.root_bucket(bucket)  # a new connection pool: the old one's sockets died with the server
    listed: dict[str, int] = {}
    marker = ""
    for _ in range(20):
        page = root.list_objects(max_keys=1000, marker=marker)
        listed.update({o.key: o.size for o in page.object_list})
        if not page.is_truncated:
            break
        marker = page.next_marker

    lost = [key for key in acked if key not in listed]
    assert not lost, f"acknowledged uploads missing after the crash: {lost[:5]}"
    strangers = [key for key in listed if key not in versions]
    assert not strangers, f"listed objects nobody uploaded: {strangers[:5]}"
    for key, size in listed.items():
        body = root.get_object(key).read()
        digest = hashlib.md5(body).hexdigest()
        assert digest in versions[key], (
            f"{key}: listed body ({len(body)} bytes) is not any complete upload of this key: partial object visible")
        assert size == len(body), f"{key}: listing says {size} bytes, body has {len(body)}"
        assert root.head_object(key).headers.get("ETag") == quoted_etag(body), key
        if key not in hot and key in acked:
            assert digest == acked[key], f"{key}: acknowledged body changed"

    # The server still works for the keys whose uploads it never finished.
    for key in partial:
        root.put_object(key, b"after the crash")
        assert root.get_object(key).read() == b"after the crash"

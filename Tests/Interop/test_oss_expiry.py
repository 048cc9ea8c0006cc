"""Expired STS credentials and clock skew on the object service.

The shortest STS session lasts 900 s, so instead of waiting this test runs its OWN `lanyard up`, takes a
900-second role session from it, then restarts that server on the same data directory with its wall clock
moved 20 minutes ahead (an LD_PRELOAD shim, oss_testkit.clock_shim). For that server the session has
expired; requests are signed with a Date 20 minutes ahead too, so skew is not what refuses them.

spec/oss.md §3: more than 15 minutes of skew → 403 RequestTimeTooSkewed (extra MaxAllowedSkewMilliseconds
900000, §8); §8: an expired token → 403 SecurityTokenExpired ("The security token you provided has
expired."); InvalidAccessKeyId is the STS-AccessKey variant (help page 0002-00000002).
"""
from __future__ import annotations

import email.utils
import os
import time

import oss2
import pytest

from lanyard_testkit import Lab, LanyardProcess, free_port, policy_doc, trust_account
from oss_testkit import (CLOCK_OFFSET_VARIABLE, Identity, OssFailure, OssWorld, clock_shim, full_access,
                         http_session)

SHIFT = 20 * 60  # seconds: past the 900 s session, past the 15-minute skew window


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


def start_shifted(proc: LanyardProcess, seconds: int) -> None:
    """Start proc with its wall clock `seconds` ahead (the child inherits these two variables only)."""
    saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", CLOCK_OFFSET_VARIABLE)}
    os.environ["LD_PRELOAD"] = clock_shim()
    os.environ[CLOCK_OFFSET_VARIABLE] = str(seconds)
    try:
        proc.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def server_clock(endpoint: str) -> float:
    r = http_session().get(endpoint + "/", timeout=30)
    return email.utils.parsedate_to_datetime(r.headers["Date"]).timestamp()


def refused(fn, status: int, codes: tuple[str, ...]) -> OssFailure:
    with pytest.raises(OssFailure) as info:
        fn()
    assert info.value.status == status and info.value.code in codes, f"expected {status} {codes}, got {info.value}"
    return info.value


def test_expired_sts_token_and_skewed_clock(own_server, monkeypatch):
    lab = Lab(own_server)
    world = OssWorld(own_server, lab)
    bucket = world.new_bucket("expiry")
    role = lab.create_role(trust_account(lab.account_id), documents=[policy_doc(full_access(bucket))])
    creds = lab.assume(lab.assumer(), role, DurationSeconds=900)
    session = Identity("sts", creds.access_key_id, creds.secret, creds.token)
    sts_client = world.client("oss2-v1", bucket, session)
    sts_client.put("before-expiry.txt", b"written while the session was valid")
    assert sts_client.get("before-expiry.txt").data == b"written while the session was valid"

    own_server.stop()
    start_shifted(own_server, SHIFT)
    ahead = server_clock(world.endpoint) - time.time()
    assert ahead > SHIFT - 120, f"the clock shim did not move the server's clock (server is {ahead:.0f}s ahead)"

    # A request dated by the real clock is now 20 minutes behind the server's: refused for skew.
    root = world.client("oss2-v1", bucket, world.root)
    err = refused(lambda: root.get("before-expiry.txt"), 403, ("RequestTimeTooSkewed",))
    assert err.details.get("MaxAllowedSkewMilliseconds") == "900000", err.details

    # Dated by the server's clock, root is fine again ...
    real_http_date = oss2.utils.http_date
    monkeypatch.setattr(oss2.utils, "http_date",
                        lambda timeval=None: real_http_date((timeval or time.time()) + SHIFT))
    assert root.get("before-expiry.txt").data == b"written while the session was valid"
    # ... but the session's token has expired.
    refused(lambda: sts_client.get("before-expiry.txt"), 403, ("SecurityTokenExpired", "InvalidAccessKeyId"))
    refused(lambda: sts_client.put("after-expiry.txt", b"x"), 403, ("SecurityTokenExpired", "InvalidAccessKeyId"))
    refused(lambda: sts_client.list_all(), 403, ("SecurityTokenExpired", "InvalidAccessKeyId"))
    assert root.exists("after-expiry.txt") is False

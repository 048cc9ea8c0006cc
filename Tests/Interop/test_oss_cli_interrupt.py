"""`lanyard oss cp` interrupted (SIGINT) in the middle of a multipart upload aborts that upload, so no parts are
left behind, and exits 130 with one line on stderr."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import oss2

from oss_testkit import OssWorld


def test_interrupted_multipart_cp_aborts_the_upload(lab, server, binary, tmp_path):
    world = OssWorld.of(server, lab)
    bucket = world.new_bucket("sigint")
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(512 << 20)  # sparse: cheap to make, 512 parts of 1 MiB sent one at a time
    env = {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": lab.root_ak, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": lab.root_secret,
           "HOME": str(tmp_path)}
    cp = subprocess.Popen(
        [binary, "oss", "cp", str(big), f"oss://{bucket}/big.bin", "--oss-endpoint", world.endpoint,
         "--part-size", str(1 << 20), "--jobs", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        root = world.root_bucket(bucket)
        deadline = time.monotonic() + 30
        while not list(oss2.MultipartUploadIterator(root)) and cp.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cp.poll() is None, "the upload ended before it could be interrupted"
        assert list(oss2.MultipartUploadIterator(root)), "no multipart upload appeared"
        cp.send_signal(signal.SIGINT)
        _, err = cp.communicate(timeout=30)
    finally:
        if cp.poll() is None:
            cp.kill()
            cp.wait()
    assert cp.returncode == 130, (cp.returncode, err)
    assert err.decode().strip().splitlines()[-1] == "lanyard: Interrupted: stopped by a signal", err
    assert list(oss2.MultipartUploadIterator(root)) == []
    assert not root.object_exists("big.bin")

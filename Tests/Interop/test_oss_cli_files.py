"""`lanyard oss` with the files and keys users actually have: symbolic links are uploaded as their targets
(whole, not cut at the link's own length; links to directories and dangling links are skipped, each named), downloads create missing parent directories, and `rm -r` removes keys that XML cannot carry (NUL and other control
characters) along with the rest. Checked with oss2, not with our own client."""
from __future__ import annotations

import os
import subprocess

import oss2

from oss_testkit import OssWorld


def cli_env(lab, tmp_path) -> dict:
    return {**os.environ, "ALIBABA_CLOUD_ACCESS_KEY_ID": lab.root_ak,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": lab.root_secret, "HOME": str(tmp_path)}


def oss(binary, world, lab, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "oss", *args, "--oss-endpoint", world.endpoint], env=cli_env(lab, tmp_path),
                          capture_output=True, timeout=120)


def test_symbolic_links_upload_their_targets(lab, server, binary, tmp_path):
    world = OssWorld.of(server, lab)
    bucket = world.new_bucket("links")
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    small, large = os.urandom(40_000), os.urandom(3 << 20)  # one PutObject; multipart with 1 MiB parts
    (tmp_path / "small.bin").write_bytes(small)
    (tmp_path / "large.bin").write_bytes(large)
    os.symlink("../small.bin", tree / "small-link")
    os.symlink(tmp_path / "large.bin", tree / "sub" / "large-link")
    os.symlink("missing-target", tree / "dangling")
    os.symlink(tree / "sub", tree / "loop")  # a link to a directory: never followed, so no loop

    one = oss(binary, world, lab, tmp_path, "cp", str(tree / "small-link"), f"oss://{bucket}/single")
    assert one.returncode == 0, one.stderr
    many = oss(binary, world, lab, tmp_path, "cp", "-r", str(tree), f"oss://{bucket}/dir/", "--part-size",
               str(1 << 20))
    assert many.returncode == 0, many.stderr
    said = many.stderr.decode()
    assert f"skipping {tree}/dangling: a dangling symbolic link" in said, said
    assert f"skipping {tree}/loop: a link to a directory (not followed)" in said, said
    os.symlink(tree, tmp_path / "tree-link")
    linked = oss(binary, world, lab, tmp_path, "cp", "-r", str(tmp_path / "tree-link"), f"oss://{bucket}/via-link/")
    assert linked.returncode == 0, linked.stderr
    assert "uploaded 2 of 2 files" in linked.stdout.decode(), linked.stdout

    root = world.root_bucket(bucket)
    assert root.get_object("single").read() == small
    assert root.get_object("dir/small-link").read() == small
    assert root.get_object("dir/sub/large-link").read() == large
    assert not root.object_exists("dir/dangling")
    assert root.get_object("via-link/sub/large-link").read() == large


def test_recursive_rm_removes_keys_xml_cannot_carry(lab, server, binary, tmp_path):
    world = OssWorld.of(server, lab)
    bucket = world.new_bucket("ctrlkeys")
    root = world.root_bucket(bucket)
    keys = ["d/nul\x00key", "d/bell\x07", "d/cr\rlf\n", "d/tab\tx", "d/plain", "keep"]
    for key in keys:
        root.put_object(key, key.encode())

    rm = oss(binary, world, lab, tmp_path, "rm", "-r", f"oss://{bucket}/d/")
    assert rm.returncode == 0, rm.stderr
    assert "removed 5 objects" in rm.stdout.decode(), rm.stdout
    assert [o.key for o in oss2.ObjectIteratorV2(root)] == ["keep"]


def test_download_creates_missing_directories(lab, server, binary, tmp_path):
    world = OssWorld.of(server, lab)
    bucket = world.new_bucket("dl")
    world.root_bucket(bucket).put_object("a/b.txt", b"payload")
    target = tmp_path / "new" / "nested" / "b.txt"
    got = oss(binary, world, lab, tmp_path, "cp", f"oss://{bucket}/a/b.txt", str(target))
    assert got.returncode == 0, got.stderr
    assert target.read_bytes() == b"payload"
    blocked = tmp_path / "file"
    blocked.write_bytes(b"")
    refused = oss(binary, world, lab, tmp_path, "cp", f"oss://{bucket}/a/b.txt", str(blocked / "x" / "b.txt"))
    assert refused.returncode != 0
    assert refused.stderr.decode().strip().startswith("lanyard: LocalWriteFailed: cannot create directory"), refused.stderr


def test_recursive_rm_aborts_unfinished_uploads_so_the_bucket_can_go(lab, server, binary, tmp_path):
    world = OssWorld.of(server, lab)
    bucket = world.new_bucket("uploads")
    root = world.root_bucket(bucket)
    for key in ("big/a.bin", "big/b.bin", "other.bin"):
        upload = root.init_multipart_upload(key).upload_id
        root.upload_part(key, upload, 1, b"x" * 1024)

    refused = oss(binary, world, lab, tmp_path, "rb", f"oss://{bucket}")
    assert refused.returncode == 1
    assert "unfinished multipart uploads" in refused.stderr.decode(), refused.stderr

    some = oss(binary, world, lab, tmp_path, "rm", "-r", f"oss://{bucket}/big")
    assert some.returncode == 0, some.stderr
    assert "removed 0 objects and aborted 2 multipart uploads" in some.stdout.decode(), some.stdout
    assert [u.key for u in oss2.MultipartUploadIterator(root)] == ["other.bin"]

    rest = oss(binary, world, lab, tmp_path, "rm", "-r", f"oss://{bucket}")
    assert rest.returncode == 0, rest.stderr
    gone = oss(binary, world, lab, tmp_path, "rb", f"oss://{bucket}")
    assert gone.returncode == 0, gone.stderr


def test_keys_with_dot_segments_are_stored_and_read_as_written(lab, server, binary, tmp_path):
    world = OssWorld.of(server, lab)
    bucket = world.new_bucket("dots")
    keys = ["a/../b", "a/./b", "..", ".", "x/.."]
    for number, key in enumerate(keys):
        source = tmp_path / f"f{number}"
        source.write_bytes(key.encode())
        put = oss(binary, world, lab, tmp_path, "cp", str(source), f"oss://{bucket}/{key}")
        assert put.returncode == 0, put.stderr
    assert sorted(o.key for o in oss2.ObjectIteratorV2(world.root_bucket(bucket))) == sorted(keys)
    for key in keys:
        got = oss(binary, world, lab, tmp_path, "cat", f"oss://{bucket}/{key}")
        assert got.returncode == 0, got.stderr
        assert got.stdout == key.encode()

"""`lanyard up` as a process (issue-2 §2, CONTRACTS.md): root credentials file, --help, clean shutdown on
SIGTERM/SIGINT, restart durability (entities and pre-restart STS tokens), one server per data directory,
and isolation between data directories."""
from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess

import pytest

from lanyard_testkit import (ApiError, LanyardProcess, ServerStartError, allow, expect_error, free_port, policy_doc,
                             trust_account, unique)


def test_root_credentials_file(lab):
    path = os.path.join(lab.server.data_dir, "root-credentials.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        root = json.load(f)
    assert set(root) >= {"AccountId", "AccessKeyId", "AccessKeySecret"}
    assert re.fullmatch(r"\d{16}", root["AccountId"]), root["AccountId"]
    assert root["AccessKeyId"] and len(root["AccessKeySecret"]) >= 20


def test_up_help_documents_every_flag(binary):
    out = subprocess.run([binary, "up", "--help"], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    for flag in ("--data", "--api", "--region"):  # issue-2 §2; --oss comes with the object service
        assert flag in text, flag


def test_second_server_on_same_data_dir_refuses(lab, binary, tmp_path):
    second = LanyardProcess(binary, lab.server.data_dir, free_port(), free_port(), str(tmp_path / "second.log"))
    with pytest.raises(ServerStartError) as info:
        second.start(ready_timeout=20)
    second.kill()
    assert "exited with" in str(info.value), f"the second server did not exit: {info.value}"
    assert second.proc.returncode != 0
    said = ("\n".join(second.stdout_lines) + second.stderr_tail()).lower()
    assert lab.server.data_dir.lower() in said or any(w in said for w in ("already", "lock", "in use", "running")), said
    lab.alive()


def test_restart_keeps_everything_and_old_tokens_verify(lab):
    # state before
    policy = lab.create_policy(policy_doc(allow("ram:ListUsers")))
    lab.admin.call("ram", "CreatePolicyVersion", {"PolicyName": policy, "SetAsDefault": True,
                                                  "PolicyDocument": policy_doc(allow(["ram:ListUsers", "ram:GetRole"]))})
    user = lab.create_user(["AliyunSTSAssumeRoleAccess", ("Custom", policy)])
    role = lab.create_role(trust_account(lab.account_id), [("Custom", policy)], max_session_duration=7200)
    creds = lab.assume(user, role, "before-restart", DurationSeconds=7200)
    root_before = lab.server.root_credentials()

    assert lab.server.restart() == 0, "SIGTERM must end the server cleanly (exit status 0)"

    assert lab.server.root_credentials() == root_before
    lab.alive()
    # the old STS token verifies and carries the role's (current) permissions
    session = lab.session_client("core-v1", creds)
    who = session.call("sts", "GetCallerIdentity")
    assert (who["RoleId"], who["PrincipalId"]) == (role.role_id, f"{role.role_id}:before-restart")
    assert session.call("ram", "GetRole", {"RoleName": role.name})["Role"]["MaxSessionDuration"] == 7200
    # the user's key, its policies and attachments
    uc = lab.user_client("tea-v3", user)
    assert uc.call("sts", "GetCallerIdentity")["UserId"] == user.user_id
    uc.call("ram", "ListUsers")
    expect_error(lambda: uc.call("ram", "ListRoles"), 403, "NoPermission")
    up = lab.admin.call("ram", "ListPoliciesForUser", {"UserName": user.name})["Policies"]["Policy"]
    assert sorted(p["PolicyName"] for p in up) == sorted(["AliyunSTSAssumeRoleAccess", policy])
    rp = lab.admin.call("ram", "ListPoliciesForRole", {"RoleName": role.name})["Policies"]["Policy"]
    assert [p["PolicyName"] for p in rp] == [policy]
    assert lab.admin.call("ram", "GetPolicy", {"PolicyName": policy, "PolicyType": "Custom"})["Policy"]["DefaultVersion"] == "v2"
    keys = lab.admin.call("ram", "ListAccessKeys", {"UserName": user.name})["AccessKeys"]["AccessKey"]
    assert [k["AccessKeyId"] for k in keys] == [user.access_key_id]
    # and new sessions are issued as before
    assert lab.assume(user, role).access_key_id.startswith("STS.")


def test_sigint_shuts_down_cleanly(lab):
    user = lab.create_user()
    assert lab.server.stop(sig=signal.SIGINT) == 0
    lab.server.start()
    assert lab.user_client("tea-v1", user).call("sts", "GetCallerIdentity")["UserId"] == user.user_id


def test_data_directories_are_isolated(lab, binary, tmp_path):
    other = LanyardProcess(binary, str(tmp_path / "other-data"), free_port(), free_port(), str(tmp_path / "other.log"))
    other.start()
    try:
        theirs = other.root_credentials()
        assert theirs["AccountId"] != lab.account_id and theirs["AccessKeyId"] != lab.root_ak
        role = lab.create_role(trust_account(lab.account_id))
        creds = lab.assume(lab.assumer(), role)
        from lanyard_testkit import make_client

        foreign_root = make_client("tea-v3", other.api_endpoint, lab.root_ak, lab.root_secret)
        expect_error(lambda: foreign_root.call("sts", "GetCallerIdentity"), 404, "InvalidAccessKeyId.NotFound")
        foreign_session = make_client("core-v1", other.api_endpoint, creds.access_key_id, creds.secret, creds.token)
        with pytest.raises(ApiError) as info:
            foreign_session.call("sts", "GetCallerIdentity")
        assert info.value.status in (400, 403, 404)
        assert info.value.code.startswith(("InvalidSecurityToken.", "InvalidAccessKeyId.")), info.value
    finally:
        assert other.stop() == 0
    lab.alive()

"""A role session dies with its role (review finding: a session outlived DeleteRole and, once a role of the
same name was created again, gained that new role's permissions).

Sessions are bound to the RoleId sealed in their token: after DeleteRole, every signed call with the old
credentials is refused, over RPC (403 InvalidSecurityToken, whichever SDK) and OSS (403 InvalidSecurityToken,
whichever client), and stays refused after a new role takes the old name (spec/sts-ram-policy.md §2.2 has no
code for this; spec/oss.md §8 lists 403 InvalidSecurityToken)."""
from __future__ import annotations

import pytest

from lanyard_testkit import expect_error, policy_doc, trust_account, unique
from oss_testkit import CLIENTS, Identity, OssFailure, OssWorld, full_access

RPC_FLAVOURS = ("core-v1", "tea-v1", "tea-v3")


@pytest.fixture(scope="module")
def world(server, _session_lab) -> OssWorld:
    return OssWorld.of(server, _session_lab)


def test_a_session_of_a_deleted_role_is_refused_even_after_the_name_is_reused(world, lab):
    bucket = world.new_bucket("roledel")
    world.root_bucket(bucket).put_object("k.txt", b"hello")
    name = unique("Tmp")
    trust = trust_account(lab.account_id)
    policy = lab.create_policy(policy_doc(full_access(bucket)))
    role = lab.create_role(trust, [("Custom", policy)], name=name)
    creds = lab.assume(world.assumer(), role)
    identity = Identity("sts", creds.access_key_id, creds.secret, creds.token)
    for flavour in RPC_FLAVOURS:
        assert lab.session_client(flavour, creds).call("sts", "GetCallerIdentity")["RoleId"] == role.role_id
    for flavour in CLIENTS:
        assert world.client(flavour, bucket, identity).get("k.txt").data == b"hello"

    lab.admin.call("ram", "DetachPolicyFromRole", {"RoleName": name, "PolicyType": "Custom", "PolicyName": policy})
    lab.admin.call("ram", "DeleteRole", {"RoleName": name})

    def refused_everywhere():
        for flavour in RPC_FLAVOURS:
            err = expect_error(lambda: lab.session_client(flavour, creds).call("sts", "GetCallerIdentity"),
                               403, "InvalidSecurityToken")
            assert "deleted" in err.message
        for flavour in CLIENTS:
            client = world.client(flavour, bucket, identity)
            with pytest.raises(OssFailure) as info:
                client.list_all()
            assert info.value.status == 403 and info.value.code == "InvalidSecurityToken", str(info.value)

    refused_everywhere()
    # Same name, new RoleId, same policy: the old session gains nothing.
    new_role = lab.create_role(trust, [("Custom", policy)], name=name)
    assert new_role.role_id != role.role_id
    refused_everywhere()
    fresh = lab.assume(world.assumer(), new_role)
    assert world.client("oss2-v4", bucket, Identity("sts", fresh.access_key_id, fresh.secret, fresh.token)) \
        .get("k.txt").data == b"hello"
    lab.alive()

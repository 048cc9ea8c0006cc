"""Runs INSIDE a pod as its containers run (pod_testkit.Pod.probe, through ExecContainerCommand: uid 65534, no
capabilities): gets credentials with Alibaba's alibabacloud_credentials ECS RAM role provider from
http://100.100.100.200, then optionally lists a bucket with oss2 through the region's internal endpoint, exactly
as a program in an ECI pod would. Prints one JSON line.

    inpod_probe.py provider|chain|config [--role NAME] [--bucket B] [--endpoint URL] [--sign v1|v4] [--sts HOST]

provider: EcsRamRoleCredentialsProvider() (role from --role, else ALIBABA_CLOUD_ECS_METADATA, else discovered;
          IMDSv1 per ALIBABA_CLOUD_IMDSV1_DISABLED); chain: the default chain, Client();
config:   Client(Config(type='ecs_ram_role', role_name=...)).
"""
from __future__ import annotations

import argparse
import json
import sys


def credentials(mode: str, role: str | None):
    if mode == "provider":
        from alibabacloud_credentials.provider import EcsRamRoleCredentialsProvider

        kwargs = {"role_name": role} if role else {}
        c = EcsRamRoleCredentialsProvider(async_update_enabled=False, **kwargs).get_credentials()
        return (c.get_access_key_id(), c.get_access_key_secret(), c.get_security_token(), c.get_provider_name(),
                c.get_expiration())
    from alibabacloud_credentials.client import Client

    if mode == "chain":
        client = Client()
    else:
        from alibabacloud_credentials.models import Config

        client = Client(Config(type="ecs_ram_role", role_name=role))
    m = client.get_credential()
    return m.access_key_id, m.access_key_secret, m.security_token, m.provider_name, None


def list_bucket(bucket: str, endpoint: str, ak: str, secret: str, token: str, sign: str) -> list[str]:
    import oss2
    from oss2.credentials import Credentials, CredentialsProvider

    class Fixed(CredentialsProvider):
        def get_credentials(self):
            return Credentials(ak, secret, token)

    if sign == "v4":
        auth = oss2.ProviderAuthV4(Fixed())
        b = oss2.Bucket(auth, endpoint, bucket, region="cn-hangzhou", connect_timeout=5)
    else:
        b = oss2.Bucket(oss2.StsAuth(ak, secret, token), endpoint, bucket, connect_timeout=5)
    return [o.key for o in oss2.ObjectIterator(b)]


def caller_identity(endpoint: str) -> dict:
    """The documented pattern: an STS client whose Config carries the credentials Client (default chain)."""
    from alibabacloud_credentials.client import Client as CredentialClient
    from alibabacloud_sts20150401.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    config = Config(credential=CredentialClient(), endpoint=endpoint, protocol="http", region_id="cn-hangzhou",
                    connect_timeout=5000, read_timeout=10000)
    return Client(config).get_caller_identity().body.to_map()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["provider", "chain", "config"])
    ap.add_argument("--role")
    ap.add_argument("--bucket")
    ap.add_argument("--endpoint", default="http://oss-cn-hangzhou-internal.aliyuncs.com")
    ap.add_argument("--sign", default="v4", choices=["v1", "v4"])
    ap.add_argument("--sts", help="also call STS GetCallerIdentity at this endpoint with the default chain")
    args = ap.parse_args()
    out: dict = {"ok": False}
    try:
        ak, secret, token, provider, expiration = credentials(args.mode, args.role)
    except Exception as e:  # noqa: BLE001 - reported to the test
        out.update(stage="credentials", error=f"{type(e).__name__}: {e}")
        print(json.dumps(out))
        return
    out.update(access_key_id=ak, has_secret=bool(secret), has_token=bool(token), provider=provider,
               expiration=expiration)
    if args.bucket:
        import oss2

        try:
            out["keys"] = list_bucket(args.bucket, args.endpoint, ak, secret, token, args.sign)
        except oss2.exceptions.OssError as e:
            out.update(stage="oss", status=e.status, code=e.code, error=e.message)
            print(json.dumps(out))
            return
        except Exception as e:  # noqa: BLE001
            out.update(stage="oss", error=f"{type(e).__name__}: {e}")
            print(json.dumps(out))
            return
    if args.sts:
        try:
            out["caller"] = caller_identity(args.sts)
        except Exception as e:  # noqa: BLE001
            out.update(stage="sts", error=f"{type(e).__name__}: {e}")
            print(json.dumps(out))
            return
    out["ok"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())

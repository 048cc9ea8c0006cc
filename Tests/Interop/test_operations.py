"""Operations (issue-2 §7): Prometheus metrics at /metrics, the audit trail in <data>/audit.jsonl, and JSON
logs on stderr that never carry a secret or a full token."""
from __future__ import annotations

import json
import os
import re
import time

import requests

from lanyard_testkit import CONNECT_TIMEOUT, READ_TIMEOUT, STS_VERSION, expect_error, trust_account, unique

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(lab) -> tuple[dict[str, str], list[tuple[str, dict[str, str], float]]]:
    r = requests.get(f"http://{lab.endpoint}/metrics", timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers.get("Content-Type")
    types: dict[str, str] = {}
    samples = []
    for line in r.text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


def family(name: str, types: dict[str, str]) -> tuple[str, str | None]:
    for suffix in ("_bucket", "_sum", "_count", ""):
        base = name[: -len(suffix)] if suffix and name.endswith(suffix) else name
        if base in types:
            return base, types[base]
    return name, None


def counter_total(types, samples, predicate) -> float:
    return sum(v for n, labels, v in samples if family(n, types)[1] == "counter" and predicate(n, labels))


def test_metrics_format(lab):
    lab.alive()
    types, samples = scrape(lab)
    assert "counter" in types.values(), types
    assert "histogram" in types.values(), "latency histograms are required"
    for name, kind in types.items():
        if kind != "histogram":
            continue
        buckets = [labels for n, labels, _ in samples if n == f"{name}_bucket"]
        assert any(b.get("le") == "+Inf" for b in buckets), f"{name} has no +Inf bucket"
        assert any(n == f"{name}_sum" for n, _, _ in samples) and any(n == f"{name}_count" for n, _, _ in samples)


def test_metrics_count_requests_by_action_and_code(lab):
    types, samples = scrape(lab)
    by_action = lambda n, labels: "GetCallerIdentity" in labels.values()  # noqa: E731
    by_code = lambda n, labels: "NoPermission" in labels.values()  # noqa: E731
    before_action, before_code = counter_total(types, samples, by_action), counter_total(types, samples, by_code)
    for _ in range(3):
        lab.alive()
    user = lab.create_user()
    expect_error(lambda: lab.user_client("tea-v3", user).call("ram", "ListUsers"), 403, "NoPermission")
    types, samples = scrape(lab)
    assert counter_total(types, samples, by_action) >= before_action + 3
    assert counter_total(types, samples, by_code) >= before_code + 1


def test_metrics_count_sessions_issued(lab):
    sessions = lambda n, labels: "session" in n.lower()  # noqa: E731
    types, samples = scrape(lab)
    before = counter_total(types, samples, sessions)
    role = lab.create_role(trust_account(lab.account_id))
    lab.assume(lab.assumer(), role)
    types, samples = scrape(lab)
    assert counter_total(types, samples, sessions) >= before + 1, "no counter of issued sessions moved"


# --- audit trail ------------------------------------------------------------------------------------------


def audit_entries(lab, needle: str, timeout: float = 5.0) -> list[dict]:
    path = os.path.join(lab.server.data_dir, "audit.jsonl")
    deadline = time.monotonic() + timeout
    while True:
        found = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if needle in line:
                        found.append(json.loads(line))
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def values(obj) -> list[str]:
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in values(v)] + [str(k) for k in obj]
    if isinstance(obj, list):
        return [s for v in obj for s in values(v)]
    return [str(obj)]


def audit_text(lab) -> str:
    with open(os.path.join(lab.server.data_dir, "audit.jsonl"), encoding="utf-8") as f:
        return f.read()


def test_audit_records_issued_credentials(lab):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    session = unique("audited")
    creds = lab.assume(user, role, session)
    entries = audit_entries(lab, session)
    assert entries, "no audit entry names the session"
    flat = " ".join(values(entries))
    assert user.name in flat or user.user_id in flat, "who asked"
    assert role.name in flat, "which role"
    assert creds.expiration[:19] in flat, "the expiry"
    assert "127.0.0.1" in flat, "the source"
    assert creds.access_key_id in flat, "which credentials were issued"
    text = audit_text(lab)
    for secret in (creds.secret, creds.token, user.secret, lab.root_secret):
        assert secret not in text


def test_audit_records_refusals(lab):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.create_user()  # no sts:AssumeRole
    session = unique("refused")
    expect_error(lambda: lab.assume(user, role, session), 403, "NoPermission")
    entries = audit_entries(lab, session)
    assert entries, "the refused AssumeRole is not in the audit trail"
    flat = " ".join(values(entries))
    assert "NoPermission" in flat and role.name in flat and (user.name in flat or user.user_id in flat)

    expect_error(lambda: lab.user_client("core-v1", user).call("ram", "ListUsers"), 403, "NoPermission")
    assert any("ListUsers" in " ".join(values(e)) for e in audit_entries(lab, user.access_key_id)), \
        "the refused RAM call is not in the audit trail"

    r = lab.raw.v1("GetCallerIdentity", None, user.access_key_id, "wrong-secret", version=STS_VERSION)
    assert r.status == 400
    assert any("SignatureDoesNotMatch" in " ".join(values(e)) for e in audit_entries(lab, user.access_key_id, 2)), \
        "the refused signature is not in the audit trail"
    assert user.secret not in audit_text(lab)


# --- logs -------------------------------------------------------------------------------------------------


def test_stderr_logs_are_json_without_secrets(lab):
    role = lab.create_role(trust_account(lab.account_id))
    user = lab.assumer()
    creds = lab.assume(user, role)
    lab.session_client("core-v1", creds).call("sts", "GetCallerIdentity")
    lab.raw.v1("GetCallerIdentity", None, user.access_key_id, "bad", version=STS_VERSION)  # a refusal logs too
    time.sleep(0.3)
    with open(lab.server.log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("--- start ")]
    assert lines, "the server logs nothing on stderr"
    for ln in lines:
        try:
            obj = json.loads(ln)
        except ValueError:
            obj = None
        assert isinstance(obj, dict), f"stderr line is not a JSON object: {ln!r}"
    for secret in (creds.secret, creds.token, user.secret, lab.root_secret):
        assert secret not in text
    assert creds.token[: len(creds.token) // 2] not in text, "logs carry most of a token"

"""The decisions of Benchmarks/policy/cases.json made by Cedar (cedarpy), as a reference for Lanyard's policy
engine: policies and entities parsed once, requests pre-built, then evaluated in batches for a fixed time on
the calling thread. Prints one JSON object: decisionsPerSecond and the allow/deny answer of each case."""

import argparse
import json
import time
from datetime import datetime
from pathlib import Path

import cedarpy


def cedar_request(case: dict) -> dict:
    """The Cedar form of one RAM request: action and resource names and the condition keys in the context."""
    ram = {key.lower(): values[0] for key, values in case["context"].items()}
    context = {
        "action": case["action"],
        "resource": case["resource"],
        "sourceIp": {"__extn": {"fn": "ip", "arg": ram["acs:sourceip"]}},
        "secureTransport": ram["acs:securetransport"] == "true",
        "now": int(datetime.fromisoformat(ram["acs:currenttime"].replace("Z", "+00:00")).timestamp()),
    }
    if "oss:prefix" in ram:
        context["prefix"] = ram["oss:prefix"]
    if "sts:externalid" in ram:
        context["externalId"] = ram["sts:externalid"]
    return {"principal": 'User::"bench"', "action": 'Action::"call"', "resource": 'Resource::"any"',
            "context": context}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", required=True)
    parser.add_argument("--seconds", type=float, default=5)
    arguments = parser.parse_args()
    cases = json.loads(Path(arguments.cases).read_text())["requests"]
    policies = cedarpy.PolicySet.from_str((Path(arguments.cases).parent / "policy.cedar").read_text())
    entities = cedarpy.Entities.from_json_str("[]")
    requests = [cedar_request(case) for case in cases]
    allowed = [result.allowed for result in cedarpy.is_authorized_batch(requests, policies, entities)]
    expected = [case["expect"] == "allow" for case in cases]
    if allowed != expected:
        raise SystemExit(f"cedar decisions {allowed} differ from the expected {expected}")
    batch = requests * 50
    decisions = 0
    started = time.perf_counter()
    while time.perf_counter() - started < arguments.seconds:
        cedarpy.is_authorized_batch(batch, policies, entities)
        decisions += len(batch)
    elapsed = time.perf_counter() - started
    print(json.dumps({"decisionsPerSecond": decisions / elapsed, "decisions": decisions, "seconds": elapsed,
                      "allowed": allowed}))


if __name__ == "__main__":
    main()

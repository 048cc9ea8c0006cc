#!/usr/bin/env bash
# `make run`: the seed scenario (shared/seed/eci-ram-role.txt) end to end on this machine.
# A RAM role trusted by ECS gets an OSS policy; a RAM user allowed to pass that role applies the guide's
# Deployment; inside the pod the guide's curl shows the role's STS credentials, and the Swift port of the
# guide's Go example lists the bucket with them. A user without ram:PassRole is refused. Everything this
# script starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

bold=$'\033[1m' plain=$'\033[0m'
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '$ %s\n' "$*"; "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

if [ "$(id -u)" != 0 ]; then
    echo "make run needs root: each pod runs in its own namespaces (try: sudo make run)" >&2
    exit 1
fi

step "Build lanyard and the ListObjects example (release)"
swift build -c release --product lanyard
swift build -c release --product list-objects
bin=$PWD/.build/release
lanyard=$bin/lanyard

# Not under /tmp: a pod has its own /tmp, so the check below that the pod cannot read the data directory
# would prove nothing there.
data=$(mktemp -d /var/tmp/lanyard-seed.XXXXXX)
server=""
copy=""
cleanup() {
    set +e
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        "$lanyard" delete deployment test >/dev/null 2>&1
        kill -TERM "$server" && wait "$server"
    fi
    rm -rf "$data"
    if [ -n "$copy" ]; then rm -rf "$copy"; fi
}
trap cleanup EXIT

# A pod's containers run as uid 65534 on a read-only view of the host's filesystem with a /tmp of their own:
# the example runs there if that user can run it (every directory on its path searchable by others) and it is
# not under /tmp. Otherwise (a checkout under /root or /tmp) it runs from a copy in a directory that is.
# (Without --bucket it exits 2 with a usage message; 126/127 when it cannot be run at all.)
runs_in_pods() {
    case "$(readlink -f "$1")" in /tmp | /tmp/*) return 1 ;; esac
    local status=0
    # The inner setpriv runs the example unprivileged (the outer one keeps its capabilities up to its execve).
    setpriv --reuid=65534 --regid=65534 --clear-groups -- setpriv -- "$1" >/dev/null 2>&1 || status=$?
    [ "$status" = 2 ]
}
list_objects=$bin/list-objects
if ! runs_in_pods "$list_objects"; then
    copy=$(mktemp -d /var/tmp/lanyard-seed-bin.XXXXXX)
    chmod 755 "$copy"
    install -m 755 "$list_objects" "$copy/list-objects"
    list_objects=$copy/list-objects
    echo "(pods cannot run $bin/list-objects as uid 65534: using a copy, $list_objects)"
    runs_in_pods "$list_objects" || {
        echo "uid 65534 cannot run $list_objects either (is the Swift runtime it links to readable by others?)" >&2
        exit 1
    }
fi

step "Start lanyard up with a fresh data directory ($data)"
"$lanyard" up --data "$data" --api 127.0.0.1:0 --oss 127.0.0.1:0 >"$data/up.out" 2>"$data/up.log" &
server=$!
for _ in $(seq 1 100); do
    grep -q '^lanyard: ready$' "$data/up.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$data/up.out" "$data/up.log" >&2; exit 1; }
    sleep 0.1
done
grep -q '^lanyard: ready$' "$data/up.out" || { echo "lanyard up did not become ready" >&2; exit 1; }
cat "$data/up.out"
api=$(sed -n 's|^lanyard: RAM/STS/ECI API *http://||p' "$data/up.out")
oss=$(sed -n 's|^lanyard: OSS *http://||p' "$data/up.out")
# Every command below reaches this server; with no credentials given they use its local root key.
export LANYARD_DATA=$data LANYARD_ENDPOINT=$api LANYARD_OSS_ENDPOINT=$oss
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN

step "Create the custom OSS policy and the role ECIRamRoleTest, trusted by Elastic Compute Service"
show "$lanyard" ram CreatePolicy --PolicyName SeedBucketRead --PolicyDocument "$(cat Examples/Seed/oss-read-policy.json)"
show "$lanyard" ram CreateRole --RoleName ECIRamRoleTest \
    --AssumeRolePolicyDocument "$(cat Examples/Seed/trust-policy-ecs.json)"
show "$lanyard" ram AttachPolicyToRole --RoleName ECIRamRoleTest --PolicyType Custom --PolicyName SeedBucketRead

step "Create a RAM user allowed to pass the role (the guide's PassRole policy) and to use ECI, with an AccessKey"
show "$lanyard" ram CreateUser --UserName deployer
show "$lanyard" ram CreatePolicy --PolicyName PassECIRamRoleTest \
    --PolicyDocument "$(cat Examples/Seed/passrole-policy.json)"
show "$lanyard" ram AttachPolicyToUser --UserName deployer --PolicyType Custom --PolicyName PassECIRamRoleTest
show "$lanyard" ram AttachPolicyToUser --UserName deployer --PolicyType System --PolicyName AliyunECIFullAccess
key=$("$lanyard" ram CreateAccessKey --UserName deployer)
deployer_id=$(json '["AccessKey"]["AccessKeyId"]' <<<"$key")
deployer_secret=$(json '["AccessKey"]["AccessKeySecret"]' <<<"$key")
echo "deployer's AccessKeyId: $deployer_id"

step "Create the bucket seed-bucket with 120 objects (more than one page of 100)"
objects=$data/objects
mkdir -p "$objects/reports/2026"
for i in $(seq -w 1 120); do echo "object $i" >"$objects/reports/2026/day-$i.txt"; done
show "$lanyard" oss mb oss://seed-bucket
show "$lanyard" oss cp -r "$objects/" oss://seed-bucket/

step "Apply the guide's Deployment as the RAM user (its own AccessKey signs CreateContainerGroup)"
as_deployer=(env ALIBABA_CLOUD_ACCESS_KEY_ID="$deployer_id" ALIBABA_CLOUD_ACCESS_KEY_SECRET="$deployer_secret")
show "${as_deployer[@]}" "$lanyard" apply -f Examples/Seed/deployment.yaml

step "Wait for the pod"
for _ in $(seq 1 100); do
    "$lanyard" get pods | grep -q ' Running ' && break
    sleep 0.1
done
show "$lanyard" get pods -o wide

step "Inside the pod: the guide's verification curl"
show "$lanyard" exec deploy/test -- curl -s http://100.100.100.200/latest/meta-data/ram/security-credentials/
echo
show "$lanyard" exec deploy/test -- curl -s http://100.100.100.200/latest/meta-data/ram/security-credentials/ECIRamRoleTest
echo

step "Inside the pod: list the bucket with the guide's example, in Swift (credentials from the metadata service)"
show "$lanyard" exec deploy/test -- "$list_objects" --bucket seed-bucket

step "Inside the pod: neither the server's root AccessKey nor the host's files (uid 65534, host read-only)"
show "$lanyard" exec deploy/test -- id
for attempt in "cat $data/root-credentials.json" "touch /var/tmp/lanyard-seed-escape"; do
    printf '$ lanyard exec deploy/test -- %s\n' "$attempt"
    # shellcheck disable=SC2086 # the attempt is split into its words on purpose
    if "$lanyard" exec deploy/test -- $attempt; then
        echo "unexpected: the pod could $attempt" >&2
        exit 1
    fi
done
echo "refused, as it should be"

step "Refusal: a user without ram:PassRole cannot create the pod"
show "$lanyard" ram CreateUser --UserName intruder
show "$lanyard" ram AttachPolicyToUser --UserName intruder --PolicyType System --PolicyName AliyunECIFullAccess
key=$("$lanyard" ram CreateAccessKey --UserName intruder)
as_intruder=(env ALIBABA_CLOUD_ACCESS_KEY_ID="$(json '["AccessKey"]["AccessKeyId"]' <<<"$key")"
    ALIBABA_CLOUD_ACCESS_KEY_SECRET="$(json '["AccessKey"]["AccessKeySecret"]' <<<"$key")")
sed 's/name: test$/name: intruder/' Examples/Seed/deployment.yaml >"$data/intruder.yaml"
if "${as_intruder[@]}" "$lanyard" apply -f "$data/intruder.yaml"; then
    echo "unexpected: the pod was created without ram:PassRole" >&2
    exit 1
fi
echo "refused, as it should be"

step "Done: stopping everything this run started"

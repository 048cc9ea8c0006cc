#!/usr/bin/env bash
# Profiles one of Lanyard's hot paths with valgrind's callgrind and prints the functions that execute the
# most instructions. Usage: scripts/bench-profile.sh policy|sts|put|get|metadata [REQUESTS]
#
# policy runs lanyard-bench-policy under callgrind. The server targets run `lanyard up` under callgrind on
# loopback with a fresh data directory, send it REQUESTS requests (default 2000) with lanyard-bench (or wrk
# from inside a pod for `metadata`), stop it, and annotate. Profiles are kept in Benchmarks/profiles/.
# Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: scripts/bench-profile.sh policy|sts|put|get|metadata [REQUESTS]}
requests=${2:-2000}
scripts/bench-deps.sh
swift build -c release --product lanyard --product lanyard-bench --product lanyard-bench-policy >/dev/null 2>&1 \
    || swift build -c release --product lanyard >/dev/null
bin=$(swift build -c release --show-bin-path)
mkdir -p Benchmarks/profiles
out=$PWD/Benchmarks/profiles/callgrind.$target.out

work=$(mktemp -d /tmp/lanyard-profile.XXXXXX)
server=""
cleanup() {
    status=$?
    if [ -n "$server" ]; then
        LANYARD_DATA=$work/data LANYARD_ENDPOINT=$api LANYARD_CONFIG_FILE=$work/none.json \
            "$bin/lanyard" delete pod profile-meta >/dev/null 2>&1 || true
        kill -TERM -- "-$server" 2>/dev/null || true
        sleep 2
        kill -KILL -- "-$server" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

callgrind=(valgrind --tool=callgrind --callgrind-out-file="$out" --separate-threads=no)

annotate() {
    callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '1,60p' | cut -c1-220
}

if [ "$target" = policy ]; then
    "${callgrind[@]}" "$bin/lanyard-bench-policy" --cases Benchmarks/policy/cases.json --seconds 2
    annotate
    exit 0
fi

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api=127.0.0.1:$(port)
oss=127.0.0.1:$(port)
up=(up --data "$work/data" --api "$api")
"$bin/lanyard" up --help 2>&1 | grep -q -- --oss && up+=(--oss "$oss")
setsid "${callgrind[@]}" "$bin/lanyard" "${up[@]}" >"$work/up.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "lanyard: ready" "$work/up.log" && break; sleep 0.2; done
grep -q "lanyard: ready" "$work/up.log" || { echo "lanyard up did not start:"; tail "$work/up.log"; exit 1; }
root=$work/data/root-credentials.json
account=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccountId"])' "$root")
rpc() { "$bin/lanyard-bench" rpc --endpoint "$api" --credentials "$root" "$@" >/dev/null; }
trust="{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":[\"acs:ram::$account:root\"],\"Service\":[\"ecs.aliyuncs.com\"]}}]}"
rpc Action=CreateRole Version=2015-05-01 RoleName=bench-role "AssumeRolePolicyDocument=$trust"
load=(--connections 4 --seconds 600 --max-requests "$requests")

case $target in
sts)
    rpc Action=CreateUser Version=2015-05-01 UserName=bench-user
    rpc Action=AttachPolicyToUser Version=2015-05-01 PolicyType=System PolicyName=AliyunSTSAssumeRoleAccess UserName=bench-user
    "$bin/lanyard-bench" rpc --endpoint "$api" --credentials "$root" Action=CreateAccessKey Version=2015-05-01 UserName=bench-user \
        | python3 -c 'import json,sys; k=json.loads(json.load(sys.stdin)["body"])["AccessKey"]; print(json.dumps({"AccessKeyId":k["AccessKeyId"],"AccessKeySecret":k["AccessKeySecret"]}))' \
        >"$work/user.json"
    "$bin/lanyard-bench" assume-role --endpoint "$api" --credentials "$work/user.json" \
        --role-arn "acs:ram::$account:role/bench-role" "${load[@]}"
    ;;
put)
    "$bin/lanyard-bench" request --endpoint "$oss" --credentials "$root" PUT /profile >/dev/null
    "$bin/lanyard-bench" put --endpoint "$oss" --credentials "$root" --bucket profile --size 4096 "${load[@]}"
    ;;
get)
    head -c $((64 << 20)) /dev/urandom >"$work/object.bin"
    "$bin/lanyard-bench" request --endpoint "$oss" --credentials "$root" PUT /profile >/dev/null
    "$bin/lanyard-bench" request --endpoint "$oss" --credentials "$root" PUT /profile/object.bin \
        --body-file "$work/object.bin" >/dev/null
    "$bin/lanyard-bench" get --flavor lanyard --endpoint "$oss" --credentials "$root" --bucket profile \
        --key object.bin --connections 1 --seconds 600 --max-requests "$(( requests < 20 ? requests : 20 ))"
    ;;
metadata)
    export LANYARD_DATA=$work/data LANYARD_ENDPOINT=$api LANYARD_CONFIG_FILE=$work/none.json
    printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: profile-meta\n  annotations:\n    k8s.aliyun.com/eci-ram-role-name: bench-role\nspec:\n  containers:\n  - name: main\n    image: host\n    command: ["/bin/sleep", "3600"]\n' \
        | "$bin/lanyard" apply -f -
    url=http://100.100.100.200/latest/meta-data/ram/security-credentials/bench-role
    for _ in $(seq 300); do "$bin/lanyard" exec profile-meta -- /usr/bin/curl -sf -o /dev/null "$url" && break; sleep 0.2; done
    "$bin/lanyard" exec profile-meta -- /usr/bin/wrk -t1 -c4 -d20s "$url"
    ;;
*)
    echo "unknown target $target" >&2
    exit 2
    ;;
esac

[ "$target" = metadata ] && "$bin/lanyard" delete pod profile-meta >/dev/null 2>&1
kill -TERM -- "-$server"
for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
server=""
annotate

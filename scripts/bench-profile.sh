#!/usr/bin/env bash
# Profiles one of Lanyard's hot paths and prints where the time goes.
# Usage: scripts/bench-profile.sh policy|sts|put|get|metadata [REQUESTS]
#
# policy runs lanyard-bench-policy under valgrind's callgrind (instructions per function). The server targets
# run `lanyard up` on loopback with a fresh data directory and sample it with `perf record -e cpu-clock`
# (a software clock: this VM exposes no hardware counters, and Debian 12's valgrind 3.19 dies with an internal
# SIGSEGV in libdispatch's signal thread under `lanyard up`) while lanyard-bench sends REQUESTS requests
# (default 20000), or wrk runs from inside a pod for `metadata`. Profiles are kept in Benchmarks/profiles/.
# Everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: scripts/bench-profile.sh policy|sts|put|get|metadata [REQUESTS]}
requests=${2:-20000}
scripts/bench-deps.sh
swift build -c release --product lanyard --product lanyard-bench --product lanyard-bench-policy >/dev/null 2>&1 \
    || swift build -c release --product lanyard >/dev/null
bin=$(swift build -c release --show-bin-path)
mkdir -p Benchmarks/profiles
out=$PWD/Benchmarks/profiles/callgrind.$target.out

work=$(mktemp -d /tmp/lanyard-profile.XXXXXX)
server=""
pod=""
cleanup() {
    status=$?
    if [ -n "$server" ]; then
        if [ -n "$pod" ]; then
            "$bin/lanyard-bench" rpc --endpoint "$api" --credentials "$work/data/root-credentials.json" \
                Action=DeleteContainerGroup Version=2018-08-08 "ContainerGroupId=$pod" >/dev/null 2>&1 || true
        fi
        kill -TERM -- "-$server" 2>/dev/null || true
        sleep 2
        kill -KILL -- "-$server" 2>/dev/null || true
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$target" = policy ]; then
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin/lanyard-bench-policy" \
        --cases Benchmarks/policy/cases.json --seconds 2
    callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '1,60p' | cut -c1-220 || true
    exit 0
fi
command -v perf >/dev/null || { echo "server targets need perf (Debian: linux-perf)" >&2; exit 1; }
out=$PWD/Benchmarks/profiles/perf.$target.data

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api=127.0.0.1:$(port)
oss=127.0.0.1:$(port)
up=(up --data "$work/data" --api "$api")
"$bin/lanyard" up --help 2>&1 | grep -q -- --oss && up+=(--oss "$oss")
setsid "$bin/lanyard" "${up[@]}" >"$work/up.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "lanyard: ready" "$work/up.log" && break; sleep 0.2; done
grep -q "lanyard: ready" "$work/up.log" || { echo "lanyard up did not start:"; tail "$work/up.log"; exit 1; }
root=$work/data/root-credentials.json
account=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["AccountId"])' "$root")
rpc() { "$bin/lanyard-bench" rpc --endpoint "$api" --credentials "$root" "$@" >/dev/null; }
trust="{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":[\"acs:ram::$account:root\"],\"Service\":[\"ecs.aliyuncs.com\"]}}]}"
rpc Action=CreateRole Version=2015-05-01 RoleName=bench-role "AssumeRolePolicyDocument=$trust"
load=(--connections 4 --seconds 60 --max-requests "$requests")
perf record -q -e cpu-clock -F 999 -g -p "$server" -o "$out" 2>/dev/null &
recorder=$!

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
    # The pod sees neither this work directory nor the host's /tmp: wrk's report goes to the container log.
    url=http://100.100.100.200/latest/meta-data/ram/security-credentials/bench-role
    script="until /usr/bin/curl -sf -o /dev/null $url; do sleep 0.01; done; /usr/bin/wrk -t2 -c32 -d20s --latency $url; echo profile: wrk done; exec sleep 3600"
    pod=$("$bin/lanyard-bench" rpc --endpoint "$api" --credentials "$root" Action=CreateContainerGroup Version=2018-08-08 \
        ContainerGroupName=profile-meta RamRoleName=bench-role Container.1.Name=main Container.1.Image=host \
        Container.1.Command.1=/bin/sh Container.1.Command.2=-c "Container.1.Command.3=$script" \
        | python3 -c 'import json,sys; print(json.loads(json.load(sys.stdin)["body"])["ContainerGroupId"])')
    log=$work/data/pods/$pod/logs/main.log
    for _ in $(seq 600); do grep -q "^profile: wrk done" "$log" 2>/dev/null && break; sleep 0.1; done
    cat "$log"
    rpc Action=DeleteContainerGroup Version=2018-08-08 "ContainerGroupId=$pod"
    ;;
*)
    echo "unknown target $target" >&2
    exit 2
    ;;
esac

kill -INT "$recorder"
wait "$recorder" || true
perf report -i "$out" --stdio --no-children --sort symbol 2>/dev/null | grep -v '^#' | grep -v '^$' | grep '%' | head -40 | cut -c1-200 || true

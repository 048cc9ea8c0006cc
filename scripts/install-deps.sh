#!/usr/bin/env bash
# Installs what building and testing Lanyard needs on Debian 12, and only what is missing:
# the C libraries' -dev packages, the tools the pod sandboxes use, golang-go with Debian's Go OSS
# SDK (an interop client), and a Python venv with the
# vendors' SDKs pinned in Tests/Interop/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libsqlite3-dev libssl-dev libmicrohttpd-dev libyaml-dev pkg-config iproute2 util-linux curl
          golang-go golang-github-aliyun-aliyun-oss-go-sdk-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=.venv
stamp=$venv/.requirements
if ! cmp -s Tests/Interop/requirements.txt "$stamp" 2>/dev/null; then
    echo "installing the vendors' Python SDKs into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Interop/requirements.txt
    cp Tests/Interop/requirements.txt "$stamp"
fi

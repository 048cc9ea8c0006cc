#!/usr/bin/env bash
# Installs what `make bench` needs, and only what is missing: Debian's nginx, wrk, valgrind, iproute2,
# util-linux and curl, and a separate venv .venv-bench with the PyPI packages pinned in
# Benchmarks/requirements.txt (moto's server and cedarpy).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
command -v nginx >/dev/null || installed nginx-light || installed nginx || missing+=(nginx-light)
for p in wrk valgrind iproute2 util-linux curl python3-venv; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # nginx-light is a transitional package on newer Debian; fall back to nginx.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || apt-get install -y -qq --no-install-recommends "${missing[@]/nginx-light/nginx}" >/dev/null
fi

venv=.venv-bench
stamp=$venv/.requirements
if ! cmp -s Benchmarks/requirements.txt "$stamp" 2>/dev/null; then
    echo "bench: installing moto and cedarpy into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Benchmarks/requirements.txt
    cp Benchmarks/requirements.txt "$stamp"
fi

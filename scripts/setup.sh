#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of grin-sync on Debian 12.
# Idempotent, and quiet when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  # toolchain
  cmake ninja-build clang-14 ccache pkg-config clang-format-14 libclang-rt-14-dev
  # libraries (DESIGN section 3; Boost 1.81 explicitly: libboost-dev is 1.74 and conflicts)
  libboost1.81-dev libboost-system1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libsqlitecpp-dev nlohmann-json3-dev libcli11-dev
  zlib1g-dev libbz2-dev libarchive-dev libxml2-dev libpugixml-dev librnp-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev gnupg sqlite3 openssl curl time bc util-linux
  rclone jq strace # bench: s3_upload's peer; JSON; status_export counts database opens
)
# Node (for s3rver): any node+npm will do; Debian's npm package conflicts with
# NodeSource's nodejs, which already bundles npm.
command -v npm >/dev/null 2>&1 || apt_packages+=(nodejs npm)

missing=()
for package in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# Python side of the S3 tests: moto's server and boto3 as an independent client, for
# python3.11 (the tests run python3.11 when it exists, else python3; the image ships both
# modules for python3.11). Not pip-installed here: the S3 tests skip without them (and
# fail under CI=true).
s3_python=python3.11
command -v "$s3_python" >/dev/null 2>&1 || s3_python=python3
# (find_spec, not import: importing moto takes seconds.)
if ! "$s3_python" -c 'import importlib.util as u, sys
sys.exit(not all(u.find_spec(m) for m in ("moto", "boto3", "flask", "flask_cors")))' 2>/dev/null; then
  echo "setup: note: $s3_python lacks moto (with flask, flask_cors) or boto3; the S3" \
    "integration tests (tests/integration/sync_s3) will be skipped, and fail under CI=true" >&2
fi

# s3rver from npm (package.json pins it), installed inside the repo (node_modules is
# git-ignored); only when missing, so a second run does nothing.
if [[ -f package.json ]] && [[ ! -f node_modules/s3rver/bin/s3rver.js ]]; then
  echo "setup: installing npm packages (s3rver)"
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  else
    npm install --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi

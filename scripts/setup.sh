#!/usr/bin/env bash
# Installs the Debian packages the tests need: for the sandbox tier bubblewrap (bwrap), the interpreters it runs
# (python3, nodejs) and python3-seccomp (compiles the seccomp filter); for the web console's browser test chromium
# and chromium-driver. Idempotent: packages already installed are skipped, and apt-get runs only when something is
# missing. Needs root (or sudo). .ci/run calls it before the tests.
set -euo pipefail

packages=(bubblewrap python3 python3-seccomp nodejs chromium chromium-driver)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "scripts/setup.sh: all test packages are installed (${packages[*]})"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "scripts/setup.sh: missing packages ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "scripts/setup.sh: missing packages ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi

echo "scripts/setup.sh: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "scripts/setup.sh: installed ${missing[*]}"

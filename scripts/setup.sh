#!/usr/bin/env bash
# Installs what the tests need beyond the JDK: for the sandbox tier bubblewrap (bwrap), the interpreters it runs
# (python3, nodejs) and python3-seccomp (compiles the seccomp filter); for the web console's browser test chromium
# and chromium-driver; for the other-language client examples (examples/python, examples/node) Python's Kafka and
# Avro libraries (python3-confluent-kafka, python3-avro) and, by `npm ci` in examples/node, kafkajs and avsc.
# Idempotent: packages already installed are skipped, apt-get runs only when something is missing, and npm ci only
# when examples/node/node_modules is missing or older than its lockfile. Needs root (or sudo) for apt-get.
# .ci/run calls it before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(bubblewrap python3 python3-seccomp nodejs chromium chromium-driver python3-confluent-kafka python3-avro)

# Installs the Debian packages named that are not installed yet.
install_packages() {
  local missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "scripts/setup.sh: all test packages are installed ($*)"
    return 0
  fi

  local as_root
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
}

install_packages "${packages[@]}"

# Debian ships npm apart from nodejs; other builds of nodejs (NodeSource's) bring it along and conflict with it.
if ! command -v npm >/dev/null 2>&1; then
  install_packages npm
fi

# The Node.js example's dependencies, exactly as its lockfile pins them.
node_example=examples/node
if [ ! -d "$node_example/node_modules" ] || [ "$node_example/package-lock.json" -nt "$node_example/node_modules" ]; then
  echo "scripts/setup.sh: npm ci in $node_example"
  if ! (cd "$node_example" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "scripts/setup.sh: npm ci in $node_example failed: the npm registry must be reachable" >&2
    exit 1
  fi
else
  echo "scripts/setup.sh: $node_example/node_modules is up to date"
fi

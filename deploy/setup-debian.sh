#!/usr/bin/env bash
# Installs everything lampi-fleet needs to build, run and test on Debian 12.
# Idempotent and non-interactive: CI, the README and new users all run this.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libmosquitto-dev mosquitto mosquitto-clients
  libboost-dev nlohmann-json3-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev prometheus-cpp-dev
  doctest-dev libcli11-dev libssl-dev openssl
  prometheus python3 python3-yaml  # python3-yaml: the deploy manifests test
  clang libclang-rt-14-dev  # the tests' libFuzzer run over the payload code
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "Installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Services are left as they are. Debian starts mosquitto and prometheus when it installs
# them, and a machine's own broker may well be the one under test: stopping it would cut
# the user off. lampi-fleet and its tests start their own on free loopback ports, so they
# never need the system's stopped.

#!/usr/bin/env bash
# Installs, from Debian 12's archive only, whatever sipim needs and is missing.
# Idempotent: a package already present is not touched, and apt is not called
# at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  ns3 libns3-dev libgsl-dev            # all three, or find_package(ns3) fails
  libboost-program-options-dev
  libbenchmark-dev libgtest-dev libgmock-dev
  libssl-dev openssl
  libosip2-dev libsofia-sip-ua-dev     # peer parsers, for the comparison only
  clang libclang-rt-14-dev             # libFuzzer and sanitizers
  tshark                               # external dissection of our pcaps
  valgrind                             # instruction counts (bench/security/count_instructions.sh)
  python3-matplotlib                   # charts (optional)
  xz-utils unzip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

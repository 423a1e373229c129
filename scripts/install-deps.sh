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
  sip-tester                           # SIPp: a real SIP peer for the interop tests
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

# Packages whose older versions have known faults in code sipim runs: the
# OpenSSL of Debian 12 before 3.0.22-1~deb12u2 has, among others,
# CVE-2026-34182 (CMS AuthEnvelopedData may accept forged messages),
# CVE-2026-34180 (heap over-read in ASN.1 content parsing), CVE-2026-45447
# (heap use-after-free in PKCS7_verify) and CVE-2026-63072 (heap overflow in
# CMS key unwrapping), all on S/MIME receive paths. An older one installed is
# upgraded (from bookworm-security).
minimum=(
  "libssl3 3.0.22-1~deb12u2"
  "libssl-dev 3.0.22-1~deb12u2"
  "openssl 3.0.22-1~deb12u2"
)
too_old() {  # package minimum: true if installed below minimum
  local have
  have=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) || return 1
  dpkg --compare-versions "$have" lt "$2"
}
for entry in "${minimum[@]}"; do
  read -r p min <<< "$entry"
  if too_old "$p" "$min"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing or upgrading ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
for entry in "${minimum[@]}"; do
  read -r p min <<< "$entry"
  if too_old "$p" "$min"; then
    echo "install-deps: $p is $(dpkg-query -W -f='${Version}' "$p") after the install; sipim needs $min or later" \
         "(Debian's bookworm-security suite: is it in the apt sources?)" >&2
    exit 1
  fi
done

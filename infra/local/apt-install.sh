#!/usr/bin/env bash
# Install Debian packages the tests use (postgresql, chromium, maven) where they are missing, with a single
# `apt-get update`. Where that is impossible (not root, no apt-get, no mirror) it says why and exits 0:
# the tests that need the package then skip with the reason.
set -uo pipefail

say() { echo "apt-install: $*" >&2; }

missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "cannot install ${missing[*]} (needs root and apt-get); the tests that use them will skip"
  exit 0
fi
say "installing ${missing[*]}"
if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null); then
  say "apt-get could not install ${missing[*]}; the tests that use them will skip"
fi
exit 0

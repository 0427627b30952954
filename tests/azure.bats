#!/usr/bin/env bats
# The Azure Blob driver (azb://, container/path with CLOUD_PROVIDER=azure)
# against azurite (tests/lib/azurite.bash): round trips with every identity
# (account key from the environment, a KEY=VALUE credentials file, a
# connection string, SAS tokens over HTTP; workload and managed identity
# over HTTPS with the test CA and the loopback token authority), what we
# write read back byte-identical by @azure/storage-blob and a set it uploads
# in the neo4j-helm layout restored, Put Block List for large sets, Copy
# Blob for -latest, nothing committed by a killed upload, and the failures
# users meet (wrong key, read-only SAS, missing container), never printing a
# key, a SAS signature or a token.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/azurite
  azurite_isolate_env
  # Plain HTTP: Shared Key and SAS (with --oauth, azurite answers a bad key
  # with 400 instead of 403).
  azurite_start http
  export HTTP_PID=$AZURITE_PID HTTP_ENDPOINT=$AZURE_STORAGE_BLOB_ENDPOINT HTTP_LOG=$AZURITE_LOG
  azurite_make_container backups
  # The fault proxy (tests/emulators/faultproxy.py) in front of it.
  azurite_proxy_start
  # HTTPS with the test CA and --oauth basic, for bearer tokens.
  azurite_start https
  export HTTPS_PID=$AZURITE_PID HTTPS_ENDPOINT=$AZURE_STORAGE_BLOB_ENDPOINT HTTPS_LOG=$AZURITE_LOG
  azurite_make_container backups
  azure_identity_start
  export SAVED_FEDERATED_TOKEN_FILE=$AZURE_FEDERATED_TOKEN_FILE SAVED_CLIENT_ID=$AZURE_CLIENT_ID \
    SAVED_TENANT_ID=$AZURE_TENANT_ID SAVED_AUTHORITY=$AZURE_AUTHORITY_HOST \
    SAVED_IMDS=$AZURE_IMDS_ENDPOINT TEST_CA=$AZURE_TEST_CA
}

teardown_file() {
  load helpers
  load lib/azurite
  azure_identity_stop
  _azure_stop_pid "${HTTPS_PID:-}"
  _azure_stop_pid "${HTTP_PID:-}"
  _azure_stop_pid "${AZURITE_PROXY_PID:-}"
}

setup() {
  load helpers
  load lib/azurite
  setup_workspace
  azurite_isolate_env
  unset AZURE_BLOCK_SIZE AZURE_MAX_BLOCKS AZURE_LIST_PAGE_SIZE
  P=t$BATS_TEST_NUMBER
  export BUCKET="azb://backups/$P"
  use_http
  make_live_db "$W/live" neo4j 256
}

# ---- helpers ----

# use_http: azurite over HTTP (Shared Key, SAS); no identity chosen yet.
use_http() {
  export AZURE_STORAGE_BLOB_ENDPOINT=$HTTP_ENDPOINT AZURITE_LOG=$HTTP_LOG
  unset CA_BUNDLE NODE_EXTRA_CA_CERTS
}

# use_https: azurite over HTTPS with OAuth, the test CA trusted.
use_https() {
  export AZURE_STORAGE_BLOB_ENDPOINT=$HTTPS_ENDPOINT AZURITE_LOG=$HTTPS_LOG \
    CA_BUNDLE=$TEST_CA NODE_EXTRA_CA_CERTS=$TEST_CA AZURE_TEST_CA=$TEST_CA
}

use_workload_identity() {
  use_https
  export AZURE_FEDERATED_TOKEN_FILE=$SAVED_FEDERATED_TOKEN_FILE AZURE_CLIENT_ID=$SAVED_CLIENT_ID \
    AZURE_TENANT_ID=$SAVED_TENANT_ID AZURE_AUTHORITY_HOST=$SAVED_AUTHORITY
}

use_managed_identity() {
  use_https
  export AZURE_IMDS_ENDPOINT=$SAVED_IMDS AZURE_CLIENT_ID=$AZURE_MI_CLIENT_ID
}

# sdk ARGS: @azure/storage-blob with azurite's key, on the current endpoint.
sdk() {
  AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT AZURE_STORAGE_ACCOUNT_KEY=$AZURITE_ACCOUNT_KEY \
    azure_blob --auth key "$@"
}

# no_secret_in_output [EXTRA...]: neither the account key, a SAS signature, a
# bearer token (JWT) nor the federated token is in $output.
no_secret_in_output() {
  [[ $output != *"$AZURITE_ACCOUNT_KEY"* ]] || fail "the account key was printed"
  [[ $output != *"${AZURITE_ACCOUNT_KEY:0:20}"* ]] || fail "part of the account key was printed"
  [[ $output != *"sig="* ]] || fail "a SAS signature was printed"
  [[ $output != *"eyJ"* ]] || fail "a token (JWT) was printed"
  local s
  for s in "$@"; do
    [[ -z $s || $output != *"$s"* ]] || fail "a secret was printed: ${s:0:4}..."
  done
}

backup_ok() {
  run neo4j-backup "$@"
  echo "$output"
  assert_success
  no_secret_in_output
}

restore_ok() {
  run neo4j-restore "$@"
  echo "$output"
  assert_success
  no_secret_in_output
  restored_equals_live neo4j
}

# round_trip [STAMP]: backup (stamped STAMP when given) and restore.
round_trip() {
  backup_ok ${1:+--timestamp "$1"}
  restore_ok
}

# archive_of DB: the name of the newest timestamped archive of DB under $P.
archive_of() {
  sdk list backups "$P/$1/" | grep -E "/$1-[0-9]{4}-[0-9:-]+\.tar\.[a-z]+$" | sort | tail -n1
}

# ---- round trips, one per identity ----

@test "account key from the environment: round trip, -latest by Copy Blob, archive uploaded once" {
  azurite_use_key
  round_trip
  run sdk list backups "$P/neo4j/"
  echo "$output"
  assert_line --regexp "^$P/neo4j/neo4j-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}\.tar\.gz$"
  assert_line --regexp "^$P/neo4j/neo4j-[0-9-]+:[0-9:]+\.manifest\.json$"
  assert_line "$P/neo4j/neo4j-latest.tar.gz"
  assert_line "$P/neo4j/neo4j-latest.manifest.json"
  # the -latest objects are Copy Blobs (202), the archive went up once
  azurite_wait_requests "\"PUT /devstoreaccount1/backups/$P/neo4j/neo4j-latest\.tar\.gz HTTP/1\.1\" 202"
  azurite_wait_requests "\"PUT /devstoreaccount1/backups/$P/neo4j/neo4j-latest\.manifest\.json HTTP/1\.1\" 202"
  [ "$(azurite_requests "\"PUT /devstoreaccount1/backups/$P/neo4j/neo4j-latest\.tar\.gz[ ?].* 201" | wc -l)" -eq 0 ]
  azurite_wait_requests "\"PUT /devstoreaccount1/backups/$P/neo4j/neo4j-[0-9][^ ]*\.tar\.gz HTTP/1\.1\" 201" || { tail -30 "$AZURITE_LOG"; false; }
  run azurite_requests "\"PUT /devstoreaccount1/backups/$P/neo4j/neo4j-[0-9][^ ]*\.tar\.gz"
  echo "$output"
  [ "${#lines[@]}" -eq 1 ] || { cat "$AZURITE_LOG" | tail -30; false; }
  run sdk stat "backups/$P/neo4j/neo4j-latest.tar.gz"
  assert_output --partial '"copyStatus":"success"'
}

@test "@azure/storage-blob reads what we wrote byte-identical; the manifest's sha256 matches" {
  azurite_use_key
  backup_ok
  archive=$(archive_of neo4j)
  [ -n "$archive" ]
  sdk get "backups/$archive" "$W/sdk.tar.gz"
  sdk get "backups/$P/neo4j/neo4j-latest.tar.gz" "$W/sdk-latest.tar.gz"
  sdk get "backups/${archive%.tar.gz}.manifest.json" "$W/manifest.json"
  cmp "$W/sdk.tar.gz" "$W/sdk-latest.tar.gz"
  want=$(json_get "$W/manifest.json" 'd["archive"]["sha256"]')
  [ "$(sha256sum <"$W/sdk.tar.gz" | cut -d' ' -f1)" = "$want" ]
  [ "$(json_get "$W/manifest.json" 'd["archive"]["bytes"]')" -eq "$(stat -c %s "$W/sdk.tar.gz")" ]
  # and it holds the live database
  tar -tzf "$W/sdk.tar.gz" | grep -q '^backups/neo4j/neo4j-.*\.backup$'
}

@test "a set @azure/storage-blob uploads in the neo4j-helm layout (DB/DB-latest.tar.gz, backups/DB/) restores" {
  export STANDIN_VERSION=4.4.10
  azurite_use_key
  mkdir -p "$W/old/backups"
  cp -a "$W/live/neo4j" "$W/old/backups/neo4j"
  tar -C "$W/old" -czf "$W/old.tar.gz" backups/neo4j
  sdk put "backups/$P/neo4j/neo4j-latest.tar.gz" "$W/old.tar.gz"
  # as the older tools were configured: container/path and CLOUD_PROVIDER=azure
  export BUCKET="backups/$P" CLOUD_PROVIDER=azure
  restore_ok
  assert_output --partial "no manifest beside"
}

@test "credentials file: export KEY=VALUE lines, parsed and never executed" {
  cat >"$W/creds" <<EOF
# the file the neo4j-helm tools sourced
export ACCOUNT_NAME=$AZURITE_ACCOUNT
export ACCOUNT_KEY="$AZURITE_ACCOUNT_KEY"
UNUSED=\$(touch $W/canary)
OTHER=\`touch $W/canary2\`
EOF
  export CREDENTIALS_FILE=$W/creds
  round_trip
  [ ! -e "$W/canary" ] && [ ! -e "$W/canary2" ]
  # the same without export, and the AZURE_STORAGE_* names
  printf 'AZURE_STORAGE_ACCOUNT_NAME=%s\nAZURE_STORAGE_ACCOUNT_KEY=%s\n' "$AZURITE_ACCOUNT" \
    "$AZURITE_ACCOUNT_KEY" >"$W/creds"
  backup_ok --timestamp 2026-01-02-00:00:00
}

@test "connection string with BlobEndpoint, in the credentials file and in the environment" {
  cs="DefaultEndpointsProtocol=http;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_ACCOUNT_KEY;BlobEndpoint=$HTTP_ENDPOINT;"
  # the endpoint comes from the connection string alone
  unset AZURE_STORAGE_BLOB_ENDPOINT
  printf 'AZURE_STORAGE_CONNECTION_STRING="%s"\n' "$cs" >"$W/creds"
  CREDENTIALS_FILE=$W/creds round_trip 2026-01-01-00:00:00
  export AZURE_STORAGE_CONNECTION_STRING=$cs
  round_trip 2026-01-02-00:00:00
}

@test "SAS tokens: a container SAS from the environment and an account SAS in the credentials file" {
  sas=$(azurite_sas backups racwdl 600)
  export AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT AZURE_STORAGE_SAS_TOKEN="?$sas"
  round_trip 2026-01-01-00:00:00
  no_secret_in_output "${sas##*sig=}"
  # the Copy Blob of -latest carried the SAS for its source too
  azurite_wait_requests "\"PUT /devstoreaccount1/backups/$P/neo4j/neo4j-latest\.tar\.gz\?.*sig=.* 202"
  unset AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_ACCOUNT_NAME
  asas=$(azurite_account_sas racwdl 600)
  printf 'AZURE_STORAGE_SAS_TOKEN=%s\n' "$asas" >"$W/creds"
  export CREDENTIALS_FILE=$W/creds
  round_trip 2026-01-02-00:00:00
  no_secret_in_output "${asas##*sig=}"
}

@test "workload identity over HTTPS (CA_BUNDLE): federated token exchanged at the authority" {
  use_workload_identity
  azure_identity_ctl DELETE requests >/dev/null
  round_trip
  no_secret_in_output "$(cat "$AZURE_FEDERATED_TOKEN_FILE")"
  [ "$(azure_identity_count token)" -ge 2 ] # one per program run
  [ "$(azure_identity_count imds)" -eq 0 ]
  azure_identity_ctl 'requests?route=token' | grep -q "\"client_id\": \"$AZURE_CLIENT_ID\""
}

@test "workload identity: a refused federated token exits 4 naming the identity, not the token" {
  use_workload_identity
  azure_rotate_federated_token
  good=$(cat "$AZURE_FEDERATED_TOKEN_FILE")
  echo "not-the-current-token" >"$W/stale"
  export AZURE_FEDERATED_TOKEN_FILE=$W/stale
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --partial "workload identity $AZURE_CLIENT_ID"
  assert_output --partial "AADSTS700213"
  no_secret_in_output not-the-current-token "$good"
}

@test "managed identity through IMDS (AZURE_IMDS_ENDPOINT, user-assigned AZURE_CLIENT_ID)" {
  use_managed_identity
  azure_identity_ctl DELETE requests >/dev/null
  round_trip
  [ "$(azure_identity_count imds)" -ge 2 ]
  [ "$(azure_identity_count token)" -eq 0 ]
}

@test "bearer tokens never go over plain HTTP" {
  use_managed_identity
  export AZURE_STORAGE_BLOB_ENDPOINT=$HTTP_ENDPOINT
  run neo4j-backup
  echo "$output"
  assert_failure 2
  assert_output --partial "only over HTTPS"
}

@test "without CA_BUNDLE the test CA is not trusted: exit 4" {
  use_workload_identity
  unset CA_BUNDLE
  run neo4j-backup
  echo "$output"
  assert_failure 4
  no_secret_in_output
}

# ---- large sets ----

@test "a 30 MB set goes up as Put Block + Put Block List and restores; the SDK reads it identical" {
  azurite_use_key
  big_live_db 30000000
  export AZURE_BLOCK_SIZE=1048576
  round_trip
  archive=$(archive_of neo4j)
  esc=${archive//:/%3A}
  azurite_wait_requests "\"PUT /devstoreaccount1/backups/$esc\?comp=blocklist HTTP/1\.1\" 201"
  blocks=$(azurite_requests "\"PUT /devstoreaccount1/backups/$esc\?comp=block&blockid=[A-Za-z0-9]{20} HTTP/1\.1\" 201" | wc -l)
  echo "blocks: $blocks"
  [ "$blocks" -ge 28 ]
  run sdk blocks "backups/$archive"
  echo "$output" | head -c 300
  [ "$(echo "$output" | json_get /dev/stdin 'len(d["committed"])')" -eq "$blocks" ]
  [ "$(echo "$output" | json_get /dev/stdin 'len(d["uncommitted"])')" -eq 0 ]
  sdk get "backups/$archive" "$W/sdk.tar.gz"
  sdk get "backups/${archive%.tar.gz}.manifest.json" "$W/manifest.json"
  [ "$(sha256sum <"$W/sdk.tar.gz" | cut -d' ' -f1)" = "$(json_get "$W/manifest.json" 'd["archive"]["sha256"]')" ]
  # the copy of a block blob is a Copy Blob too, and identical
  sdk get "backups/$P/neo4j/neo4j-latest.tar.gz" - | cmp - "$W/sdk.tar.gz"
}

@test "200 MB through Put Block List both ways: restore peak RSS under 32 MiB with one stream, 64 MiB with 4; backup under 64 MiB" {
  azurite_use_key
  big_live_db $((200 * 1024 * 1024))
  export COMPRESSION=gzip COMPRESSION_LEVEL=1
  run /usr/bin/time -f 'peak-rss-kb %M' neo4j-backup
  echo "$output" | tail -4
  assert_success
  backup_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  archive=$(archive_of neo4j)
  esc=${archive//:/%3A}
  azurite_wait_requests "\"PUT /devstoreaccount1/backups/$esc\?comp=blocklist HTTP/1\.1\" 201"
  [ "$(azurite_requests "\"PUT /devstoreaccount1/backups/$esc\?comp=block&" | wc -l)" -ge 20 ]
  PARALLEL_READS=1 run /usr/bin/time -f 'peak-rss-kb %M' neo4j-restore
  echo "$output" | tail -4
  assert_success
  restore_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  restored_equals_live neo4j
  # the default: 4 concurrent ranged GETs through the reorder window
  FORCE_OVERWRITE=true run /usr/bin/time -f 'peak-rss-kb %M' neo4j-restore
  echo "$output" | tail -4
  assert_success
  parallel_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  restored_equals_live neo4j
  echo "peak RSS: backup ${backup_rss} KiB, restore ${restore_rss} KiB (1 stream), ${parallel_rss} KiB (4)"
  if ! ldd "$BIN_DIR/neo4j-restore" | grep -q libasan; then
    [ "$restore_rss" -lt 32768 ]
    [ "$parallel_rss" -lt 65536 ]
    # 4 blocks of 4 MiB in flight and one filling, and the compressor
    [ "$backup_rss" -lt 65536 ]
  fi
}

@test "a killed upload leaves no committed blob under the final name" {
  azurite_use_key
  big_live_db 40000000
  export AZURE_BLOCK_SIZE=1048576 COMPRESSION=zstd COMPRESSION_LEVEL=1
  neo4j-backup >"$W/backup.log" 2>&1 3>&- &
  pid=$!
  azurite_wait_requests "\"PUT /devstoreaccount1/backups/$P/neo4j/[^ ]*\?comp=block&blockid=.* 201" 3
  kill -9 "$pid"
  wait "$pid" || true
  run sdk list backups "$P/"
  echo "$output"
  refute_output --partial ".tar"
  [ "$(azurite_requests "\"PUT /devstoreaccount1/backups/$P/[^ ]*comp=blocklist" | wc -l)" -eq 0 ]
}

@test "List Blobs pages with a marker: a missing timestamp names the sets there" {
  azurite_use_key
  backup_ok --timestamp 2026-01-01-00:00:00
  backup_ok --timestamp 2026-01-02-00:00:00
  export AZURE_LIST_PAGE_SIZE=1
  run neo4j-restore --timestamp 2025-01-01-00:00:00
  echo "$output"
  assert_failure 3
  assert_output --partial "the sets there are: 2026-01-01-00:00:00, 2026-01-02-00:00:00"
  azurite_wait_requests "comp=list&maxresults=1&prefix=$P%2Fneo4j%2Fneo4j-&marker=" 3
}

# ---- operating the backups on azb:// ----

@test "list, verify and prune on azb://: the sets, a flipped byte found (exit 5), retention applied" {
  azurite_use_key
  for stamp in 2026-01-01-00:00:00 2026-01-02-00:00:00 2026-01-03-00:00:00; do
    backup_ok --timestamp "$stamp"
  done
  run --separate-stderr neo4j-backup list --output=json
  echo "$output"
  assert_success
  "$SYS_PYTHON" - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])["databases"]["neo4j"]
assert d["latest"] == "2026-01-03-00:00:00", d
assert [s["timestamp"] for s in d["sets"]] == ["2026-01-03-00:00:00", "2026-01-02-00:00:00", "2026-01-01-00:00:00"], d
PY
  run neo4j-backup verify --timestamp=all
  echo "$output"
  assert_success
  # a flipped byte in the oldest set, written by @azure/storage-blob
  key="$P/neo4j/neo4j-2026-01-01-00:00:00.tar.gz"
  sdk get "backups/$key" "$W/a.tar.gz"
  printf 'X' | dd of="$W/a.tar.gz" bs=1 seek=5000 conv=notrunc status=none
  sdk put "backups/$key" "$W/a.tar.gz"
  run -5 neo4j-backup verify --timestamp=all
  echo "$output"
  assert_output --partial "2026-01-01-00:00:00"
  # keep the newest one: the two older sets go (Delete Blob), latest stays
  KEEP_LAST=1 run neo4j-backup prune
  echo "$output"
  assert_success
  no_secret_in_output
  run sdk list backups "$P/neo4j/"
  echo "$output"
  refute_output --partial "2026-01-01-00:00:00"
  refute_output --partial "2026-01-02-00:00:00"
  assert_output --partial "neo4j-2026-01-03-00:00:00.tar.gz"
  assert_output --partial "neo4j-latest.manifest.json"
  restore_ok
}

@test "PARALLEL_UPLOADS and PARALLEL_READS: blocks side by side, the set byte-identical" {
  azurite_use_key
  big_live_db $((12 * 1024 * 1024))
  export AZURE_BLOCK_SIZE=1048576 PARALLEL_UPLOADS=4 PARALLEL_READS=4
  round_trip
  archive=$(archive_of neo4j)
  sdk get "backups/$archive" "$W/sdk.tar.gz"
  sdk get "backups/${archive%.tar.gz}.manifest.json" "$W/manifest.json"
  [ "$(sha256sum <"$W/sdk.tar.gz" | cut -d' ' -f1)" = "$(json_get "$W/manifest.json" 'd["archive"]["sha256"]')" ]
  export PARALLEL_UPLOADS=1 PARALLEL_READS=1
  round_trip 2026-01-01-00:00:00
}

# ---- races (STORAGE_WRITE_EXCLUSIVE: If-None-Match: *) ----

# set_intact STAMP: the manifest matches the archive the SDK reads, and it restores.
set_intact() {
  local key="$P/neo4j/neo4j-$1"
  sdk get "backups/$key.manifest.json" "$W/m.json"
  sdk get "backups/$key.tar.gz" "$W/a.tar.gz"
  [ "$(json_get "$W/m.json" 'd["archive"]["sha256"]')" = "$(sha256sum "$W/a.tar.gz" | cut -d' ' -f1)" ]
  rm -rf "$DATA_DIR/databases" "$DATA_DIR/transactions"
  run neo4j-restore --timestamp="$1"
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "two backups with one stamp (Put Blob, If-None-Match): one wins, the other exits 2, the set intact" {
  azurite_use_key
  for i in 1 2 3; do
    stamp=2026-01-01-00:03:0$i
    race_backups "$stamp"
    set_intact "$stamp"
  done
}

@test "two backups with one stamp (Put Block List): one wins with its own blocks, the set intact" {
  azurite_use_key
  big_live_db $((6 * 1024 * 1024))
  export AZURE_BLOCK_SIZE=1048576
  for i in 1 2; do
    stamp=2026-01-01-00:04:0$i
    race_backups "$stamp"
    set_intact "$stamp"
  done
}

# ---- faults (through the fault proxy) ----

@test "503 ServerBusy bursts and a dropped Put Block are retried; a cut download resumes pinned by If-Match" {
  azurite_use_key
  big_live_db $((6 * 1024 * 1024))
  export AZURE_BLOCK_SIZE=1048576 AZURE_STORAGE_BLOB_ENDPOINT=$AZURITE_PROXY_ENDPOINT
  azurite_proxy_reset
  azurite_proxy_fault '{"action": "status", "status": 503, "code": "ServerBusy", "message": "injected", "headers": {"x-ms-error-code": "ServerBusy"}, "method": "PUT", "query": "comp=block&", "times": 2}'
  azurite_proxy_fault '{"action": "drop", "method": "PUT", "query": "comp=block&", "skip": 3}'
  azurite_proxy_fault '{"action": "status", "status": 503, "code": "ServerBusy", "message": "injected", "headers": {"x-ms-error-code": "ServerBusy"}, "method": "PUT", "query": "comp=blocklist"}'
  backup_ok
  assert_output --partial "HTTP 503"
  azurite_proxy_fault '{"action": "reset", "after": 1048576, "method": "GET", "path": "\\.tar\\.gz$"}'
  azurite_proxy_fault '{"action": "reset", "after": 1048576, "method": "GET", "path": "\\.tar\\.gz$", "range": true}'
  restore_ok
  assert_output --partial "resuming the download at byte"
  run azurite_proxy_log --json
  "$SYS_PYTHON" - "$output" <<'PY'
import json, sys
log = json.loads(sys.argv[1])
faults = [e["fault"]["action"] for e in log if e["fault"]]
assert faults.count("status") == 3 and "drop" in faults and faults.count("reset") == 2, faults
gets = [e for e in log if e["method"] == "GET" and e["path"].endswith(".tar.gz")]
# after the first answer, every GET (resumed or a parallel chunk) is a range
# pinned to that answer's ETag
assert len(gets) >= 3, gets
assert all(e["range"] and e["if_match"] for e in gets[1:]), gets
PY
}

@test "a Copy Blob that stays pending is polled until success; one that fails fails the backup clearly" {
  azurite_use_key
  export AZURE_STORAGE_BLOB_ENDPOINT=$AZURITE_PROXY_ENDPOINT
  azurite_proxy_reset
  azurite_proxy_fault '{"action": "headers", "method": "PUT", "path": "/neo4j-latest\\.tar\\.gz$", "set": {"x-ms-copy-status": "pending"}}'
  azurite_proxy_fault '{"action": "headers", "method": "HEAD", "path": "/neo4j-latest\\.tar\\.gz$", "set": {"x-ms-copy-status": "pending"}, "times": 3}'
  backup_ok --timestamp 2026-01-01-00:00:00
  [ "$(azurite_proxy_log | awk -F'\t' '$1 == "HEAD" && $2 ~ /neo4j-latest\.tar\.gz$/' | wc -l)" -ge 4 ]
  restore_ok
  azurite_proxy_reset
  azurite_proxy_fault '{"action": "headers", "method": "PUT", "path": "/neo4j-latest\\.tar\\.gz$", "set": {"x-ms-copy-status": "pending"}}'
  azurite_proxy_fault '{"action": "headers", "method": "HEAD", "path": "/neo4j-latest\\.tar\\.gz$", "set": {"x-ms-copy-status": "failed", "x-ms-copy-status-description": "500 InternalError injected"}}'
  run neo4j-backup --timestamp 2026-01-02-00:00:00
  echo "$output"
  assert_failure 4
  assert_output --partial "the Copy Blob ended 'failed' (500 InternalError injected)"
  no_secret_in_output
}

# ---- failures ----

@test "a wrong account key exits 4 naming the account, printing no key" {
  wrong=$(head -c 64 /dev/urandom | base64 -w0)
  export AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT AZURE_STORAGE_ACCOUNT_KEY=$wrong
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --partial "storage account $AZURITE_ACCOUNT"
  assert_output --partial "azb://backups"
  no_secret_in_output "$wrong" "${wrong:0:16}"
  run neo4j-restore
  assert_failure 4
  no_secret_in_output "$wrong" "${wrong:0:16}"
}

@test "a key that is not base64 is a usage error (2) that does not quote it" {
  export AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT AZURE_STORAGE_ACCOUNT_KEY='not*base64*secret'
  run neo4j-backup
  echo "$output"
  assert_failure 2
  no_secret_in_output 'not*base64*secret'
}

@test "a SAS without write permission exits 4 naming the permission and the container" {
  sas=$(azurite_sas backups rl 600)
  export AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT AZURE_STORAGE_SAS_TOKEN=$sas
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --partial "write (w)"
  assert_output --partial "container 'backups'"
  no_secret_in_output "${sas##*sig=}"
  run sdk list backups "$P/"
  refute_output --partial "$P/"
}

@test "an expired SAS exits 4 printing no signature" {
  sas=$(azurite_sas backups racwdl -120)
  export AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT AZURE_STORAGE_SAS_TOKEN=$sas
  run neo4j-restore
  echo "$output"
  assert_failure 4
  assert_output --partial "SAS token"
  no_secret_in_output "${sas##*sig=}"
}

@test "a missing container exits 4 naming it and the account" {
  azurite_use_key
  export BUCKET=azb://no-such-container/x
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --partial "no-such-container"
  assert_output --partial "does not exist"
  assert_output --partial "$AZURITE_ACCOUNT"
  run neo4j-restore
  assert_failure 4
  assert_output --partial "no-such-container"
}

@test "no backup in the container: restore exits 3" {
  azurite_use_key
  run neo4j-restore
  echo "$output"
  assert_failure 3
}

@test "no account anywhere: a usage error that says how to name one" {
  export AZURE_STORAGE_SAS_TOKEN=$(azurite_sas backups racwdl 600)
  unset AZURE_STORAGE_BLOB_ENDPOINT
  run neo4j-backup
  echo "$output"
  assert_failure 2
  assert_output --partial "AZURE_STORAGE_ACCOUNT_NAME"
  no_secret_in_output
}

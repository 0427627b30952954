#!/usr/bin/env bats
# The GCS driver (gs://) against the emulator (tests/emulators/gcs): round
# trips with a key file and with the metadata server, recovery from 503s, a
# 429, cut downloads, failed resumable chunks and expiring tokens, the
# failures users meet (wrong key, another project's bucket, no bucket), the
# private key never in any output, and 300 MB both ways in bounded memory.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/gcs
  gcs_start "$BATS_FILE_TMPDIR/gcs"
  gcs_make_bucket backups test
  gcs_make_bucket elsewhere other
  SA_KEY=$BATS_FILE_TMPDIR/sa.json
  SA_EMAIL=$(gcs_make_key "$SA_KEY" test)
  # a line from the middle of the private key: it must never be printed
  KEY_LINE=$("$SYS_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key"].splitlines()[5])' "$SA_KEY")
  export SA_KEY SA_EMAIL KEY_LINE
}

teardown_file() {
  gcs_stop
}

setup() {
  load helpers
  load lib/gcs
  setup_workspace
  gcs_ctl POST reset '{}' >/dev/null
  export BUCKET="gs://backups/t$BATS_TEST_NUMBER" CREDENTIALS_FILE=$SA_KEY
  unset GCS_CHUNK_SIZE
  make_live_db "$W/live" neo4j 256
}

# ---- helpers ----

# reqs [ROUTE [PATH_REGEX]]: the logged requests, one per line:
#   METHOD ROUTE STATUS RANGE CONTENT_RANGE BYTES_OUT TARGET NOTE
# (RANGE/CONTENT_RANGE/NOTE "-" when absent, spaces in them as "_").
reqs() {
  gcs_ctl requests | "$SYS_PYTHON" -c '
import json, re, sys
route = sys.argv[1] if len(sys.argv) > 1 else ""
rx = re.compile(sys.argv[2]) if len(sys.argv) > 2 else None
for r in json.load(sys.stdin)["requests"]:
    if route and r["route"] != route:
        continue
    if rx and not rx.search(r["target"]):
        continue
    f = lambda k: str(r.get(k) or "-").replace(" ", "_")
    print(r["method"], r["route"], r["status"], f("range"), f("content_range"), r["bytes_out"],
          r["target"], f("note"))' "$@"
}

# req_count [ROUTE [PATH_REGEX]]: how many logged requests match.
req_count() {
  reqs "$@" | wc -l
}

# status_count STATUS: how many logged requests were answered STATUS.
status_count() {
  reqs | awk -v s="$1" '$3 == s' | wc -l
}

# objects PREFIX: names of the objects under PREFIX in the bucket "backups".
objects() {
  local token
  token=$(gcs_token "$SA_KEY") || return 1
  curl -fsS -H "Authorization: Bearer $token" \
    "$GCS_EMULATOR_URL/storage/v1/b/backups/o?prefix=$1" |
    "$SYS_PYTHON" -c 'import json,sys; [print(i["name"]) for i in json.load(sys.stdin).get("items", [])]'
}

no_private_key_in_output() {
  [[ $output != *"$KEY_LINE"* ]] || fail "a line of the private key was printed"
  [[ $output != *"PRIVATE KEY"* ]] || fail "the private key was printed"
}

backup_ok() {
  run neo4j-backup "$@"
  echo "$output"
  assert_success
  no_private_key_in_output
}

restore_ok() {
  run neo4j-restore "$@"
  echo "$output"
  assert_success
  no_private_key_in_output
  restored_equals_live neo4j
}

# ---- round trips ----

@test "key file: backup and restore through gs://, latest made by rewrite, not uploaded twice" {
  backup_ok
  # one token for the whole run
  [ "$(req_count oauth.token)" -eq 1 ]
  run objects "t$BATS_TEST_NUMBER/neo4j/"
  echo "$output"
  assert_line --regexp '^t[0-9]+/neo4j/neo4j-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}\.tar\.gz$'
  assert_line --regexp '^t[0-9]+/neo4j/neo4j-[0-9-]+:[0-9:]+\.manifest\.json$'
  assert_line "t$BATS_TEST_NUMBER/neo4j/neo4j-latest.tar.gz"
  assert_line "t$BATS_TEST_NUMBER/neo4j/neo4j-latest.manifest.json"
  # the archive went up once; the latest copies are server-side rewrites
  [ "$(req_count objects.rewrite 'rewriteTo/b/backups/o/t[0-9]+%2Fneo4j%2Fneo4j-latest\.')" -eq 2 ]
  [ "$(req_count '' '^/upload/.*name=[^&]*latest')" -eq 0 ]
  [ "$(req_count '' '^/upload/.*name=[^&]*\.tar\.gz')" -eq 1 ]
  restore_ok
}

@test "metadata server (workload identity): round trip without a key file" {
  unset CREDENTIALS_FILE
  backup_ok
  restore_ok
  [ "$(req_count oauth.token)" -eq 0 ]
  [ "$(req_count metadata)" -ge 2 ]
  gcs_ctl 'requests?route=objects.media' | grep -q '"identity": "emulator-default@test.iam.gserviceaccount.com"'
}

@test "STORAGE_EMULATOR_HOST without a scheme, and a trailing slash on BUCKET" {
  export STORAGE_EMULATOR_HOST=127.0.0.1:$GCS_EMULATOR_PORT BUCKET="$BUCKET/"
  backup_ok
  restore_ok
}

@test "no backup under the prefix: a missing object is 'not found' (exit 3), not a storage error" {
  run neo4j-restore
  echo "$output"
  assert_failure 3
}

@test "driver: missing objects, ranged and byte-wise reads, chunked writes, abort, rewrite, paging" {
  # the unit-test build beside the binaries under test (bin -> build/unit,
  # build/asan/bin -> build/asan/unit)
  local unit=$PROJECT_ROOT/build/unit/test_gcs_storage
  [ "$BIN_DIR" = "$PROJECT_ROOT/bin" ] || unit=${BIN_DIR%/bin}/unit/test_gcs_storage
  [ -x "$unit" ] || skip "$unit is not built (make unit-test builds it)"
  # copies take several rewrite calls
  gcs_ctl POST config '{"rewrite_bytes_per_call":1048576}' >/dev/null
  GCS_TEST_BUCKET=$BUCKET GCS_TEST_KEY=$SA_KEY run "$unit"
  echo "$output"
  assert_success
  assert_output --regexp "test_gcs_storage: [1-9][0-9]* passed, 0 failed"
  [ "$(reqs objects.rewrite | grep -c 'rewriteToken=')" -ge 1 ]
  [ "$(reqs objects.list | grep -c 'pageToken=')" -ge 2 ]
}

# ---- transient failures ----

@test "restore through 503s, a 429 with Retry-After and a connection cut mid-download" {
  big_live_db 3000000
  backup_ok
  gcs_ctl POST faults '{"faults":[
    {"kind":"status","status":503,"count":2,"path":"\\.tar\\.gz\\?alt=media"},
    {"kind":"status","status":429,"retry_after":1,"count":1,"path":"\\.tar\\.gz\\?alt=media"},
    {"kind":"cut_download","after_bytes":1000000,"count":1,"path":"\\.tar\\.gz\\?alt=media"}]}' >/dev/null
  restore_ok
  assert_output --partial "HTTP 503; retry 1 of"
  assert_output --partial "HTTP 429; retry 3 of 8 in 1.0 s (Retry-After)"
  assert_output --partial "resuming the download at byte 1000000"
  archive_bytes=$(grep -o 'names neo4j-[0-9:-]*\.tar\.gz ([0-9]* bytes' <<<"$output" | grep -o '([0-9]*' | tr -d '(')
  run reqs objects.media '\.tar\.gz'
  echo "$output"
  # the resumed request asks for the rest, pinned to the object's generation
  assert_line --regexp "^GET objects.media 206 bytes=1000000-[0-9]+ - [0-9]+ .*\.tar\.gz\?alt=media&generation=[0-9]+ -$"
  # every byte crossed the wire once: 1000000 + the rest = the archive
  sent=$(awk '$3 == 200 || $3 == 206 {n += $6} END {print n}' <<<"$output")
  echo "archive $archive_bytes bytes, sent $sent"
  [ "$sent" -eq "$archive_bytes" ]
}

@test "backup through a dropped resumable chunk and a 503: the session is asked, the rest resent" {
  big_live_db 2000000
  export GCS_CHUNK_SIZE=256K
  gcs_ctl POST faults '{"faults":[
    {"kind":"fail_chunk","status":0,"store_bytes":100000,"count":1},
    {"kind":"fail_chunk","status":503,"store_bytes":0,"count":1}]}' >/dev/null
  backup_ok
  assert_output --partial "the upload session holds"
  [ "$(req_count upload.status)" -ge 1 ]
  run reqs upload.chunk
  echo "$output"
  # every non-final chunk is a multiple of 256 KiB
  "$SYS_PYTHON" - <<<"$output" <<'PY'
import re, sys
for line in sys.stdin:
    m = re.search(r"bytes_(\d+)-(\d+)/\*", line)
    if m:
        n = int(m.group(2)) - int(m.group(1)) + 1
        assert n % 262144 == 0, line
PY
  restore_ok
}

@test "a failed upload leaves nothing under the name and cancels its session" {
  big_live_db 1000000
  export GCS_CHUNK_SIZE=256K
  gcs_ctl POST faults '{"kind":"status","status":400,"method":"PUT","path":"upload_id=","count":1}' >/dev/null
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --regexp "unable to write 'gs://backups/t[0-9]+/neo4j/neo4j-[0-9:-]+\.tar\.gz': HTTP 400"
  [ "$(req_count upload.cancel)" -eq 1 ]
  run objects "t$BATS_TEST_NUMBER/"
  assert_output ""
}

# ---- tokens ----

@test "a short-lived token is renewed before it expires, also between chunks of one upload" {
  big_live_db 1500000
  export GCS_CHUNK_SIZE=256K
  gcs_ctl POST config '{"token_lifetime":2,"session_auth":"required"}' >/dev/null
  # a pause of 2 s in the middle of the upload and of the download
  gcs_ctl POST faults '{"faults":[
    {"kind":"status","status":429,"retry_after":2,"method":"PUT","path":"upload_id=","count":1},
    {"kind":"status","status":429,"retry_after":2,"path":"\\.tar\\.gz\\?alt=media","count":1}]}' >/dev/null
  backup_ok
  restore_ok
  # renewed ahead of time: no request was refused
  [ "$(status_count 401)" -eq 0 ]
  [ "$(req_count oauth.token)" -ge 3 ]
  assert_output --partial "fetching a new access token for $SA_EMAIL"
}

@test "a token revoked mid-upload: one 401, a new token, and the upload goes on" {
  big_live_db 16000000
  export GCS_CHUNK_SIZE=256K
  gcs_ctl POST config '{"session_auth":"required"}' >/dev/null
  # expire every token as soon as the first chunk arrived
  (
    for _ in $(seq 1 1500); do
      if [ "$(req_count upload.chunk)" -gt 0 ]; then
        gcs_ctl POST tokens/expire '{"after":0}' >/dev/null
        exit 0
      fi
      sleep 0.01
    done
  ) 3>&- &
  poller=$!
  run neo4j-backup
  wait "$poller"
  echo "$output"
  assert_success
  no_private_key_in_output
  [ "$(status_count 401)" -ge 1 ]
  [ "$(req_count oauth.token)" -ge 2 ]
  assert_output --partial "HTTP 401"
  restore_ok
}

# ---- failures users meet ----

@test "a revoked key: exit 4 naming client_email and the bucket, the key never printed" {
  bad_key=$BATS_TEST_TMPDIR/revoked.json
  email=$(gcs_make_key "$bad_key" test)
  kid=$("$SYS_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key_id"])' "$bad_key")
  gcs_ctl DELETE "keys/$kid" >/dev/null
  export CREDENTIALS_FILE=$bad_key
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --partial "$email"
  assert_output --partial "gs://backups"
  assert_output --partial "invalid_grant"
  KEY_LINE=$("$SYS_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["private_key"].splitlines()[5])' "$bad_key")
  no_private_key_in_output
  run neo4j-restore
  assert_failure 4
  assert_output --partial "$email"
  no_private_key_in_output
}

@test "a key of another project on its bucket: 403, exit 4 naming the identity and the bucket" {
  export BUCKET=gs://elsewhere/x
  run neo4j-backup
  echo "$output"
  assert_failure 4
  assert_output --partial "permission denied to $SA_EMAIL"
  assert_output --partial "gs://elsewhere"
  no_private_key_in_output
  run neo4j-restore
  assert_failure 4
  assert_output --partial "permission denied to $SA_EMAIL"
}

@test "an unknown bucket: exit 4, 'does not exist'" {
  export BUCKET=gs://no-such-bucket/x
  run neo4j-restore
  echo "$output"
  assert_failure 4
  assert_output --partial "the bucket gs://no-such-bucket does not exist"
  run neo4j-backup
  assert_failure 4
  assert_output --partial "the bucket gs://no-such-bucket does not exist"
}

@test "a credentials file that is not a service-account key: usage error, contents not quoted" {
  printf '{"private_key": "%s", oops\n' "$KEY_LINE" >"$BATS_TEST_TMPDIR/broken.json"
  export CREDENTIALS_FILE=$BATS_TEST_TMPDIR/broken.json
  run neo4j-restore
  echo "$output"
  assert_failure 2
  assert_output --partial "is not a JSON service-account key"
  no_private_key_in_output
}

@test "no key and no metadata server: exit 4 saying what to configure" {
  unset CREDENTIALS_FILE
  export GCE_METADATA_HOST=127.0.0.1:$(free_port)
  run neo4j-restore
  echo "$output"
  assert_failure 4
  assert_output --partial "no credentials file was given and the metadata server"
  assert_output --partial "workload identity"
}

@test "the private key is not printed, even at debug level through retries" {
  export LOG_LEVEL=debug GCS_CHUNK_SIZE=256K
  big_live_db 600000
  gcs_ctl POST faults '{"faults":[{"kind":"status","status":503,"count":2}]}' >/dev/null
  backup_ok
  restore_ok
  [[ $output != *"Bearer"* ]] || fail "a bearer token was printed"
}

# ---- size ----

@test "300 MB streamed both ways through gs:// with peak memory under 64 MiB" {
  rm -rf "$W/live/neo4j"
  make_live_db "$W/live" neo4j 64
  rand_file "$W/live/neo4j/neostore.propertystore.db" $((300 * 1024 * 1024)) big
  # gzip: the zstd path's own memory is not the driver's (see the report)
  export COMPRESSION=gzip COMPRESSION_LEVEL=1
  run /usr/bin/time -f 'peak-rss-kb %M' neo4j-backup
  echo "$output" | tail -4
  assert_success
  backup_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  run /usr/bin/time -f 'peak-rss-kb %M' neo4j-restore
  echo "$output" | tail -4
  assert_success
  restore_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  restored_equals_live neo4j
  echo "peak RSS: backup ${backup_rss} KiB, restore ${restore_rss} KiB"
  # the chunked upload: 8 MiB chunks, no single request with everything
  [ "$(req_count upload.chunk)" -ge 38 ]
  if [ -z "${SANITIZED:-}" ] && ! ldd "$BIN_DIR/neo4j-restore" | grep -q libasan; then
    [ "$backup_rss" -lt 65536 ]
    [ "$restore_rss" -lt 65536 ]
  fi
}

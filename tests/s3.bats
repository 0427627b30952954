#!/usr/bin/env bats
# The S3 driver (s3://) against a real S3 server: Ceph's RADOS Gateway,
# which checks SigV4 for real (tests/lib/rgw.bash). Round trips with every
# AWS identity (keys in a file or the environment, IRSA through STS, EKS
# Pod Identity, IMDSv2), boto3 as an independent client, faults injected
# by a proxy (503 SlowDown, resets, a failing part), the failures users
# meet (wrong secret, another user's bucket, no bucket), and 200 MB
# through multipart in bounded memory.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/rgw
  rgw_start "$BATS_FILE_TMPDIR/rgw"
  rgw_make_bucket backups
  rgw_make_bucket elsewhere --user other
  rgw_identity_start --lifetime 3600
  rgw_proxy_start
}

teardown_file() {
  load helpers
  load lib/rgw
  rgw_load_env "$BATS_FILE_TMPDIR/rgw" 2>/dev/null || true
  rgw_stop
}

setup() {
  load helpers
  load lib/rgw
  setup_workspace
  rgw_load_env "$BATS_FILE_TMPDIR/rgw"
  rgw_env_for_tools
  rgw_proxy_reset
  rgw_identity_ctl POST config '{"lifetime": 3600}' >/dev/null
  export BUCKET="s3://backups/t$BATS_TEST_NUMBER"
  make_live_db "$W/live" neo4j 256
}

# ---- helpers ----

no_secret_in_output() {
  [[ $output != *"$RGW_SECRET_KEY"* ]] || fail "the secret access key was printed"
  [[ $output != *"$RGW_OTHER_SECRET_KEY"* ]] || fail "a secret access key was printed"
  [[ -z ${AWS_SESSION_TOKEN:-} || $output != *"$AWS_SESSION_TOKEN"* ]] || fail "the session token was printed"
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

# the archive of this test's newest set, as "KEY SIZE ETAG"
archive_line() {
  rgw_s3 ls backups "t$BATS_TEST_NUMBER/neo4j/" | grep -E 'neo4j-[0-9-]+:[0-9:]+\.tar\.gz '
}

# ---- round trips ----

@test "keys in the environment: multipart backup, latest by server-side copy, boto3 reads it byte-identical" {
  big_live_db $((12 * 1024 * 1024))
  backup_ok
  run rgw_s3 ls backups "t$BATS_TEST_NUMBER/neo4j/"
  echo "$output"
  assert_line --regexp "^t$BATS_TEST_NUMBER/neo4j/neo4j-[0-9-]+:[0-9:]+\.manifest\.json "
  assert_line --regexp "^t$BATS_TEST_NUMBER/neo4j/neo4j-latest\.tar\.gz "
  assert_line --regexp "^t$BATS_TEST_NUMBER/neo4j/neo4j-latest\.manifest\.json "
  # more than one 8 MiB part: a multipart ETag ("...-N")
  archive_line | grep -Eq -- '-[0-9]+"?$'
  # boto3 reads what we wrote; its SHA-256 is the manifest's
  key=$(archive_line | awk '{print $1}')
  rgw_s3 get backups "$key" "$W/boto3.tar.gz"
  rgw_s3 get backups "t$BATS_TEST_NUMBER/neo4j/neo4j-latest.manifest.json" "$W/m.json"
  want=$("$SYS_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["archive"]["sha256"])' "$W/m.json")
  [ "$(sha256sum "$W/boto3.tar.gz" | cut -d' ' -f1)" = "$want" ]
  tar -tzf "$W/boto3.tar.gz" | grep -q '^backups/neo4j/'
  # -latest is a server-side copy: copy_obj with no body received
  rgw_ops_log_wait "^copy_obj	200	0	.*PUT /backups/t$BATS_TEST_NUMBER/neo4j/neo4j-latest\.tar\.gz"
  run rgw_ops_log
  refute_line --regexp "^put_obj	.*neo4j-latest\.tar\.gz"
  restore_ok
}

@test "credentials file (INI, AWS_PROFILE) and its region; path-style addressing to the endpoint" {
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION
  cat >"$W/credentials" <<EOF2
[default]
aws_access_key_id = NOT-THIS-ONE
aws_secret_access_key = nope

[profile backups]
aws_access_key_id = $RGW_ACCESS_KEY
aws_secret_access_key = $RGW_SECRET_KEY
region = us-east-1
EOF2
  export CREDENTIALS_FILE=$W/credentials AWS_PROFILE=backups
  backup_ok
  restore_ok
  run rgw_ops_log
  assert_line --regexp "	$RGW_ACCESS_KEY	GET /backups/\?list-type=2"
}

@test "IRSA: web identity exchanged at STS, temporary credentials sign every request" {
  rgw_env_for_tools --no-keys
  rgw_irsa_env "$W/token"
  backup_ok
  restore_ok
  run rgw_ops_log
  # the session's key, not the test user's, did the work
  refute_line --regexp "	$RGW_ACCESS_KEY	PUT /backups/t$BATS_TEST_NUMBER/"
}

@test "IRSA: a token the issuer did not sign is refused, exit 4 saying what to check" {
  rgw_env_for_tools --no-keys
  rgw_irsa_env "$W/token"
  rgw_make_web_identity_token "$W/token" "$RGW_WEB_IDENTITY_SUB" 3600 key=other
  run -4 neo4j-backup
  echo "$output"
  assert_output --partial "STS refused the web identity for role $RGW_ROLE_ARN"
  assert_output --partial "trust policy"
  [[ $output != *"$(cat "$W/token")"* ]] || fail "the web identity token was printed"
}

@test "EKS Pod Identity: container credentials with the authorization token file" {
  rgw_env_for_tools --no-keys
  rgw_identity_env_pod
  backup_ok
  restore_ok
  [ "$(rgw_identity_count pod_credentials)" -ge 1 ]
  [ "$(rgw_identity_count pod_unauthorized)" -eq 0 ]
}

@test "instance profile through IMDSv2: a session token first, then the role's credentials" {
  rgw_env_for_tools --no-keys
  rgw_identity_env_imds
  backup_ok
  restore_ok
  [ "$(rgw_identity_count imds_token)" -ge 1 ]
  [ "$(rgw_identity_count imds_credentials)" -ge 1 ]
  [ "$(rgw_identity_count imds_unauthorized)" -eq 0 ]
}

@test "short-lived credentials are renewed before they expire, also in the middle of one upload" {
  rgw_env_for_tools --no-keys
  rgw_identity_env_pod
  rgw_identity_ctl POST config '{"lifetime": 8}' >/dev/null
  big_live_db $((24 * 1024 * 1024))
  rgw_env_for_tools --no-keys --endpoint "$RGW_PROXY_ENDPOINT"
  rgw_identity_env_pod
  # one part at a time at 2 MB/s: about 12 s, past the 6 s renewal point
  export PARALLEL_UPLOADS=1
  rgw_proxy_rate 0 2000000
  backup_ok
  assert_output --partial "fetching a new access token for"
  [ "$(rgw_identity_count pod_credentials)" -ge 2 ]
  rgw_proxy_rate 0 0
  restore_ok
}

@test "TLS with a private CA (AWS_CA_BUNDLE, CA_BUNDLE) and virtual-hosted addressing" {
  rgw_env_for_tools --endpoint "$RGW_HTTPS_ENDPOINT"
  # the store's CA is not trusted yet: a TLS failure, exit 4
  run -4 neo4j-backup
  echo "$output"
  assert_output --regexp "certificate|SSL"
  export AWS_CA_BUNDLE=$RGW_CA_BUNDLE
  backup_ok
  unset AWS_CA_BUNDLE
  export CA_BUNDLE=$RGW_CA_BUNDLE
  # virtual-hosted: https://backups.s3.localhost:PORT/key
  export AWS_ENDPOINT_URL_S3="https://s3.localhost:$RGW_HTTPS_PORT" S3_ADDRESSING_STYLE=virtual
  restore_ok
  rgw_ops_log_wait "get_obj	20[06]	.*GET /t$BATS_TEST_NUMBER/neo4j/neo4j-latest\.manifest\.json"
}

@test "no credentials anywhere: exit 4 naming every source, nothing sent to AWS" {
  rgw_env_for_tools --no-keys
  run -4 neo4j-restore
  echo "$output"
  assert_output --partial "no AWS credentials"
  assert_output --partial "AWS_WEB_IDENTITY_TOKEN_FILE"
  assert_output --partial "AWS_EC2_METADATA_DISABLED"
}

@test "a set boto3 uploaded in the neo4j-helm layout (no manifest) restores" {
  mkdir -p "$W/old/backups"
  cp -r "$W/live/neo4j" "$W/old/backups/neo4j"
  tar -C "$W/old" -czf "$W/old.tar.gz" backups/neo4j
  rgw_s3 put backups "t$BATS_TEST_NUMBER/neo4j/neo4j-latest.tar.gz" "$W/old.tar.gz"
  export NEO4J_ADMIN_DIALECT=4.4 STANDIN_VERSION=4.4.10
  run neo4j-restore
  echo "$output"
  assert_success
  assert_output --partial "no manifest"
  [ -d "$DATA_DIR/databases/neo4j" ]
}

# ---- faults ----

@test "restore through 503 SlowDown bursts and resets mid-body: byte-identical, resumed by Range with If-Match" {
  big_live_db $((6 * 1024 * 1024))
  backup_ok
  rgw_env_for_tools --endpoint "$RGW_PROXY_ENDPOINT"
  rgw_proxy_fault '{"action": "slowdown", "method": "GET", "path": "\\.tar\\.gz$", "times": 2}'
  rgw_proxy_fault '{"action": "reset", "after": 1048576, "method": "GET", "path": "\\.tar\\.gz$"}'
  rgw_proxy_fault '{"action": "reset", "after": 2097152, "method": "GET", "path": "\\.tar\\.gz$", "range": true}'
  restore_ok
  assert_output --partial "HTTP 503"
  assert_output --partial "resuming the download at byte"
  run rgw_proxy_log --json
  # every resumed GET carried a Range and the first answer's ETag
  "$SYS_PYTHON" - "$output" <<'PY'
import json, sys
log = [e for e in json.loads(sys.argv[1]) if e["method"] == "GET" and e["path"].endswith(".tar.gz")]
log.sort(key=lambda e: e["n"])
# the opening request learns the ETag; every later one carries it
later = [e for e in log if e["status"] != 503][1:]
assert len([e for e in later if e["range"]]) >= 2, log
assert all(e["if_match"] for e in later), later
PY
}

@test "backup through SlowDown on parts and a reset upload: completes, nothing lost" {
  big_live_db $((12 * 1024 * 1024))
  rgw_env_for_tools --endpoint "$RGW_PROXY_ENDPOINT"
  rgw_proxy_fault '{"action": "slowdown", "method": "PUT", "query": "partNumber=1", "times": 2}'
  rgw_proxy_fault '{"action": "drop", "method": "PUT", "query": "partNumber=2"}'
  backup_ok
  assert_output --regexp "\(part 1, bytes 0-[0-9]+\): HTTP 503; retry 2"
  rgw_proxy_log
  rgw_proxy_log | awk -F'\t' '$6 == "drop"' | grep -q 'partNumber=2'
  rgw_env_for_tools
  restore_ok
  run rgw_s3 uploads backups
  refute_output --partial "t$BATS_TEST_NUMBER/"
}

@test "a part that keeps failing: exit 4, the multipart upload aborted, nothing under a final name" {
  big_live_db $((12 * 1024 * 1024))
  rgw_env_for_tools --endpoint "$RGW_PROXY_ENDPOINT"
  rgw_proxy_fault '{"action": "status", "status": 400, "code": "InvalidPart", "message": "injected", "method": "PUT", "query": "partNumber=2", "times": -1}'
  run -4 neo4j-backup
  echo "$output"
  assert_output --partial "InvalidPart"
  run rgw_s3 ls backups "t$BATS_TEST_NUMBER/"
  assert_output ""
  run rgw_s3 uploads backups
  refute_output --partial "t$BATS_TEST_NUMBER/"
}

# ---- operating the backups on s3:// ----

@test "list, verify and prune on s3://: the sets, a flipped byte found (exit 5), retention applied" {
  for stamp in 2026-01-01-00:00:00 2026-01-02-00:00:00 2026-01-03-00:00:00; do
    BACKUP_TIMESTAMP=$stamp backup_ok
  done
  run --separate-stderr neo4j-backup list --output=json
  echo "$output"
  assert_success
  "$SYS_PYTHON" - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])["databases"]["neo4j"]
assert d["latest"] == "2026-01-03-00:00:00", d
assert [s["timestamp"] for s in d["sets"]] == ["2026-01-03-00:00:00", "2026-01-02-00:00:00", "2026-01-01-00:00:00"], d
assert not any(s["legacy"] for s in d["sets"])
PY
  run neo4j-backup verify --timestamp=all
  echo "$output"
  assert_success
  # a flipped byte in the oldest set, written by boto3
  key="t$BATS_TEST_NUMBER/neo4j/neo4j-2026-01-01-00:00:00.tar.gz"
  rgw_s3 get backups "$key" "$W/a.tar.gz"
  printf 'X' | dd of="$W/a.tar.gz" bs=1 seek=5000 conv=notrunc status=none
  rgw_s3 put backups "$key" "$W/a.tar.gz"
  run -5 neo4j-backup verify --timestamp=all
  echo "$output"
  assert_output --partial "2026-01-01-00:00:00"
  # keep the newest one: the two older sets go, latest stays
  KEEP_LAST=1 run neo4j-backup prune
  echo "$output"
  assert_success
  run rgw_s3 ls backups "t$BATS_TEST_NUMBER/neo4j/"
  echo "$output"
  refute_output --partial "2026-01-01-00:00:00"
  refute_output --partial "2026-01-02-00:00:00"
  assert_output --partial "neo4j-2026-01-03-00:00:00.tar.gz"
  assert_output --partial "neo4j-latest.manifest.json"
  restore_ok
}

# ---- races ----

# set_intact STAMP: the manifest matches the archive boto3 reads, and it restores.
set_intact() {
  local key="t$BATS_TEST_NUMBER/neo4j/neo4j-$1"
  rgw_s3 get backups "$key.manifest.json" "$W/m.json"
  rgw_s3 get backups "$key.tar.gz" "$W/a.tar.gz"
  [ "$(json_get "$W/m.json" 'd["archive"]["sha256"]')" = "$(sha256sum "$W/a.tar.gz" | cut -d' ' -f1)" ]
  rm -rf "$DATA_DIR/databases" "$DATA_DIR/transactions"
  run neo4j-restore --timestamp="$1"
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "two backups with one stamp on s3:// (single PUT, If-None-Match): one wins, the other exits 2, the set intact" {
  for i in 1 2 3; do
    stamp=2026-01-01-00:03:0$i
    race_backups "$stamp"
    set_intact "$stamp"
  done
}

@test "two backups with one stamp on s3:// (multipart): one wins, the other exits 2, the set intact" {
  big_live_db $((10 * 1024 * 1024))
  for i in 1 2; do
    stamp=2026-01-01-00:04:0$i
    race_backups "$stamp"
    set_intact "$stamp"
  done
  run rgw_s3 uploads backups
  refute_output --partial "t$BATS_TEST_NUMBER/"
}

# ---- what users get wrong ----

@test "a wrong secret: exit 4 naming the key id and SignatureDoesNotMatch before any work, the secret never printed" {
  export AWS_SECRET_ACCESS_KEY="${RGW_SECRET_KEY}X"
  run -4 neo4j-backup
  echo "$output"
  assert_output --partial "access key $RGW_ACCESS_KEY"
  assert_output --partial "SignatureDoesNotMatch"
  refute_output --partial "neo4j-admin database backup"
  [[ $output != *"$AWS_SECRET_ACCESS_KEY"* ]] || fail "the secret was printed"
  no_secret_in_output
}

@test "another user's bucket: exit 4 naming the key id, the bucket and the refused action" {
  export BUCKET=s3://elsewhere/x
  run -4 neo4j-restore
  echo "$output"
  assert_output --partial "access key $RGW_ACCESS_KEY"
  assert_output --partial "s3:ListBucket"
  assert_output --partial "s3://elsewhere"
  no_secret_in_output
}

@test "a bucket that does not exist: exit 4, 'does not exist', before any work" {
  export BUCKET=s3://no-such-bucket/x
  run -4 neo4j-backup
  echo "$output"
  assert_output --partial "does not exist"
  [ ! -e "$W/admin.log" ] || ! grep -q "backup" "$W/admin.log"
}

@test "bad S3 settings are usage errors naming the setting" {
  S3_SSE=des run -2 neo4j-restore
  assert_output --partial "S3_SSE"
  S3_ADDRESSING_STYLE=sideways run -2 neo4j-restore
  assert_output --partial "S3_ADDRESSING_STYLE"
  S3_MAX_PARTS=0 run -2 neo4j-restore
  assert_output --partial "S3_MAX_PARTS"
  AWS_ENDPOINT_URL_S3=ftp://x run -2 neo4j-restore
  assert_output --partial "AWS_ENDPOINT_URL_S3"
  PARALLEL_READS=0 run -2 neo4j-restore
  assert_output --partial "PARALLEL_READS"
  PARALLEL_UPLOADS=many run -2 neo4j-backup
  assert_output --partial "PARALLEL_UPLOADS"
}

@test "S3_STORAGE_CLASS reaches the store; an S3_SSE the store refuses fails closed" {
  export S3_STORAGE_CLASS=STANDARD
  backup_ok
  restore_ok
  # RGW 16 serves no SSE-S3 over plain HTTP: the request carried the
  # header, the refusal is reported, and nothing is left under a name
  export S3_SSE=AES256 BUCKET=s3://backups/sse$BATS_TEST_NUMBER
  run -4 neo4j-backup
  echo "$output"
  assert_output --partial "InvalidRequest"
  run rgw_s3 ls backups "sse$BATS_TEST_NUMBER/"
  assert_output ""
}

# ---- size ----

@test "200 MB through multipart both ways: byte-identical; restore peak RSS under 32 MiB with one stream, 64 MiB with 4" {
  big_live_db $((200 * 1024 * 1024))
  export COMPRESSION=gzip COMPRESSION_LEVEL=1
  run /usr/bin/time -f 'peak-rss-kb %M' neo4j-backup
  echo "$output" | tail -4
  assert_success
  backup_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  archive_line | grep -Eq -- '-[0-9]+"?$'
  PARALLEL_READS=1 run /usr/bin/time -f 'peak-rss-kb %M' neo4j-restore
  echo "$output" | tail -4
  assert_success
  restore_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  restored_equals_live neo4j
  # the default: 4 concurrent ranged GETs through the reorder window
  rgw_env_for_tools --endpoint "$RGW_PROXY_ENDPOINT"
  FORCE_OVERWRITE=true run /usr/bin/time -f 'peak-rss-kb %M' neo4j-restore
  echo "$output" | tail -4
  assert_success
  parallel_rss=$(awk '/^peak-rss-kb/ {print $2}' <<<"$output")
  restored_equals_live neo4j
  [ "$(rgw_proxy_log | awk -F'\t' '$1 == "GET" && $3 != "-" && $2 ~ /\.tar\.gz$/' | wc -l)" -ge 10 ]
  echo "peak RSS: backup ${backup_rss} KiB, restore ${restore_rss} KiB (1 stream), ${parallel_rss} KiB (4)"
  if ! ldd "$BIN_DIR/neo4j-restore" | grep -q libasan; then
    [ "$restore_rss" -lt 32768 ]
    [ "$parallel_rss" -lt 65536 ]
    [ "$backup_rss" -lt 65536 ]
  fi
}

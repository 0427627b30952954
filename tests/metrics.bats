#!/usr/bin/env bats
# Logs and metrics (DESIGN section 12): LOG_FORMAT=json lines parsed one by
# one for every program and command; METRICS_FILE checked by a strict
# Prometheus text-format parser (tests/lib/promtext.py); pushes received by
# a loopback Pushgateway stand-in; a down or failing Pushgateway leaves the
# backup green.

bats_require_minimum_version 1.5.0

setup() {
  load helpers
  load lib/ops
  setup_workspace
  make_live_db "$W/live" neo4j 256
  make_live_db "$W/live" system 64
  export DATABASE=neo4j,system POD_NAME=backup-pod-1
}

teardown() {
  pushgateway_stop
}

BACKUP_METRICS="neo4j_backup_archive_bytes neo4j_backup_content_bytes neo4j_backup_duration_seconds neo4j_backup_exit_code neo4j_backup_last_run_timestamp_seconds neo4j_backup_last_success_timestamp_seconds neo4j_backup_success"
RESTORE_METRICS="neo4j_restore_bytes neo4j_restore_duration_seconds neo4j_restore_exit_code neo4j_restore_last_run_timestamp_seconds neo4j_restore_success"

# metric FILE NAME DB: the value of NAME{database="DB"} in FILE.
metric() {
  "$SYS_PYTHON" "$PROMTEXT" "$1" | "$SYS_PYTHON" -c '
import json, sys
fams = json.load(sys.stdin)
for s in fams[sys.argv[1]]["samples"]:
    if s["labels"] == {"database": sys.argv[2]}:
        v = s["value"]
        print(int(v) if v == int(v) else v)' "$2" "$3"
}

# families FILE: the metric names in FILE, sorted, space-separated; every
# family a gauge whose samples carry exactly the label database.
families() {
  "$SYS_PYTHON" "$PROMTEXT" "$1" | "$SYS_PYTHON" -c '
import json, sys
fams = json.load(sys.stdin)
for name, f in fams.items():
    assert f["type"] == "gauge", name
    assert f["help"], name
    for s in f["samples"]:
        assert set(s["labels"]) == {"database"}, s
print(" ".join(sorted(fams)))'
}

@test "METRICS_FILE: the backup's figures, strict text format, exact names, values from the manifests" {
  export METRICS_FILE=$W/metrics/neo4j-backup.prom
  mkdir -p "$W/metrics"
  before=$(date +%s)
  run neo4j-backup
  assert_success
  after=$(date +%s)
  assert_equal "$(families "$METRICS_FILE")" "$BACKUP_METRICS"
  for db in neo4j system; do
    m=$(ls "$W/bucket/$db/$db"-2*.manifest.json)
    assert_equal "$(metric "$METRICS_FILE" neo4j_backup_success $db)" 1
    assert_equal "$(metric "$METRICS_FILE" neo4j_backup_exit_code $db)" 0
    assert_equal "$(metric "$METRICS_FILE" neo4j_backup_archive_bytes $db)" "$(json_get "$m" 'd["archive"]["bytes"]')"
    assert_equal "$(metric "$METRICS_FILE" neo4j_backup_content_bytes $db)" "$(json_get "$m" 'd["content"]["bytes"]')"
    ts=$(metric "$METRICS_FILE" neo4j_backup_last_success_timestamp_seconds $db)
    [ "$ts" -ge "$before" ] && [ "$ts" -le "$after" ]
  done
  # written atomically: no temp file left beside it
  assert_equal "$(ls -A "$W/metrics")" "neo4j-backup.prom"
}

@test "METRICS_FILE after a failed backup: success 0 and its exit code, the run's exit unchanged" {
  export METRICS_FILE=$W/backup.prom
  rm -rf "$W/live/system"
  run neo4j-backup
  assert_failure 6
  assert_equal "$(metric "$METRICS_FILE" neo4j_backup_success neo4j)" 1
  assert_equal "$(metric "$METRICS_FILE" neo4j_backup_success system)" 0
  assert_equal "$(metric "$METRICS_FILE" neo4j_backup_exit_code system)" 6
  # no success figures for the failed one
  "$SYS_PYTHON" "$PROMTEXT" "$METRICS_FILE" | "$SYS_PYTHON" -c '
import json, sys
fams = json.load(sys.stdin)
for name in ("neo4j_backup_archive_bytes", "neo4j_backup_last_success_timestamp_seconds"):
    assert [s["labels"]["database"] for s in fams[name]["samples"]] == ["neo4j"], fams[name]'
}

@test "METRICS_FILE for neo4j-restore: exact names and the bytes it downloaded" {
  run neo4j-backup
  assert_success
  export METRICS_FILE=$W/restore.prom
  run neo4j-restore
  assert_success
  assert_equal "$(families "$METRICS_FILE")" "$RESTORE_METRICS"
  for db in neo4j system; do
    m=$(ls "$W/bucket/$db/$db"-2*.manifest.json)
    assert_equal "$(metric "$METRICS_FILE" neo4j_restore_success $db)" 1
    assert_equal "$(metric "$METRICS_FILE" neo4j_restore_bytes $db)" "$(json_get "$m" 'd["archive"]["bytes"]')"
  done
}

@test "PUSHGATEWAY_URL: PUT to /metrics/job/JOB/instance/POD_NAME, the same samples as the file" {
  pushgateway_start
  export PUSHGATEWAY_URL=http://127.0.0.1:$PUSHGATEWAY_PORT/ METRICS_FILE=$W/b.prom
  run neo4j-backup
  assert_success
  "$SYS_PYTHON" - "$PUSHGATEWAY_LOG" "$W/b.prom" <<'PY'
import json, sys
pushes = [json.loads(l) for l in open(sys.argv[1])]
assert len(pushes) == 1, pushes
p = pushes[0]
assert p["method"] == "PUT" and p["path"] == "/metrics/job/neo4j-backup/instance/backup-pod-1", p
assert p["status"] == 200 and p["grouping"] == {"job": "neo4j-backup", "instance": "backup-pod-1"}
assert p["content_type"].startswith("text/plain; version=0.0.4"), p
assert p["body"] == open(sys.argv[2]).read()
PY
  export METRICS_FILE=$W/r.prom
  unset POD_NAME
  run neo4j-restore
  assert_success
  last=$(tail -1 "$PUSHGATEWAY_LOG")
  assert_equal "$(echo "$last" | "$SYS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["path"])')" "/metrics/job/neo4j-restore/instance/$(hostname)"
  assert_equal "$(echo "$last" | "$SYS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["body"], end="")')" "$(cat "$W/r.prom")"
}

@test "a down or failing Pushgateway is a warning: the backup stays green" {
  export PUSHGATEWAY_URL=http://127.0.0.1:$(free_port)
  run neo4j-backup
  assert_success
  assert_output --partial "unable to push the metrics to the Pushgateway"
  pushgateway_start --fail-status 500
  export PUSHGATEWAY_URL=http://127.0.0.1:$PUSHGATEWAY_PORT
  BACKUP_TIMESTAMP=2026-01-01-00:00:00 run neo4j-backup
  assert_success
  assert_output --partial "warn: the Pushgateway refused the metrics"
  # an unwritable METRICS_FILE is a warning too
  unset PUSHGATEWAY_URL
  METRICS_FILE=/nonexistent/dir/m.prom BACKUP_TIMESTAMP=2026-01-02-00:00:00 run neo4j-backup
  assert_success
  assert_output --partial "unable to write the metrics file"
}

@test "verify publishes its own figures (job neo4j-verify) for drill alerts" {
  run neo4j-backup
  assert_success
  pushgateway_start
  PUSHGATEWAY_URL=http://127.0.0.1:$PUSHGATEWAY_PORT METRICS_FILE=$W/v.prom run neo4j-backup verify --deep
  assert_success
  assert_equal "$(metric "$W/v.prom" neo4j_verify_success neo4j)" 1
  assert_equal "$(metric "$W/v.prom" neo4j_verify_deep neo4j)" 1
  grep -q '"/metrics/job/neo4j-verify/instance/backup-pod-1"' "$PUSHGATEWAY_LOG"
}

@test "LOG_FORMAT=json: every line of every program and command is one JSON object" {
  export LOG_FORMAT=json PROGRESS_INTERVAL=0 KEEP_LAST=5
  neo4j-backup 2>"$W/backup.jsonl"
  json_lines "$W/backup.jsonl"
  neo4j-restore 2>"$W/restore.jsonl"
  json_lines "$W/restore.jsonl"
  neo4j-backup list >/dev/null 2>"$W/list.jsonl" || true
  neo4j-backup verify --deep >/dev/null 2>"$W/verify.jsonl"
  json_lines "$W/verify.jsonl"
  neo4j-backup prune 2>"$W/prune.jsonl"
  json_lines "$W/prune.jsonl"
  run neo4j-backup list --output=bogus
  assert_failure 2
  echo "$output" >"$W/usage.jsonl"
  json_lines "$W/usage.jsonl"
  "$SYS_PYTHON" - "$W/backup.jsonl" "$W/restore.jsonl" <<'PY'
import json, sys
b = [json.loads(l) for l in open(sys.argv[1])]
r = [json.loads(l) for l in open(sys.argv[2])]
# summaries: database and an integer exit_code
for lines, prog in ((b, "neo4j-backup"), (r, "neo4j-restore")):
    s = [o for o in lines if o["msg"].startswith("summary:")]
    assert sorted(o["database"] for o in s) == ["neo4j", "system"], s
    assert all(o["exit_code"] == 0 and o["program"] == prog for o in s), s
# progress lines: object, bytes and rate
prog = [o for o in b if o["msg"].startswith("uploading ") and "bytes" in o]
assert prog and all(isinstance(o["rate"], (int, float)) and o["object"].startswith("file://") for o in prog), prog
prog = [o for o in r if o["msg"].startswith("downloading ") and "rate" in o]
assert prog, r
# "[db] msg" lines carry the database in its own field, not in msg
tagged = [o for o in b if o.get("database") and not o["msg"].startswith("summary:")]
assert tagged and not any(o["msg"].startswith("[") for o in tagged), tagged
# neo4j-admin's own output is wrapped too
assert any(o["msg"].startswith("neo4j-admin: ") for o in b)
PY
  # an unknown LOG_FORMAT is a usage error
  LOG_FORMAT=xml run neo4j-backup
  assert_failure 2
  assert_output --partial "LOG_FORMAT 'xml' is unknown"
  LOG_FORMAT=xml run neo4j-restore
  assert_failure 2
}

@test "the test's Prometheus parser is strict: it refuses what Prometheus refuses" {
  bad() {
    printf '%b' "$1" >"$W/bad.prom"
    run "$SYS_PYTHON" "$PROMTEXT" "$W/bad.prom"
    assert_failure 1
  }
  printf '# HELP a x\n# TYPE a gauge\na{database="n"} 1\n' >"$W/good.prom"
  run "$SYS_PYTHON" "$PROMTEXT" "$W/good.prom"
  assert_success
  bad '# TYPE a gauge\na{database="n"} 1'                         # no final newline
  bad '# TYPE a gauge\na{database="n"} one\n'                     # not a float
  bad '# TYPE a gauge\na{database=n} 1\n'                         # unquoted label value
  bad '# TYPE a gauge\na{database="\\q"} 1\n'                     # bad escape
  bad '# TYPE a gauge\na{database="n"} 1\n# TYPE a gauge\n'       # TYPE twice
  bad 'a{database="n"} 1\n# TYPE a gauge\n'                       # TYPE after samples
  bad '# TYPE a gauge\na{database="n"} 1\na{database="n"} 2\n'    # duplicate series
  bad '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="y"} 2\n'    # family not contiguous
  bad '# TYPE a nonsense\na 1\n'                                  # unknown type
  bad '# TYPE 1a gauge\n'                                         # bad name
  bad 'a 1 1.5\n'                                                 # timestamp not an integer
}

#!/usr/bin/env bats
# neo4j-backup list (DESIGN section 11): every set per database, newest
# first, latest and legacy sets marked, sets being pruned hidden, objects
# the tools did not write ignored; text and JSON, local bucket and GCS.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/gcs
  gcs_start_with_bucket
}

teardown_file() {
  gcs_stop
}

setup() {
  load helpers
  load lib/gcs
  load lib/ops
  setup_workspace
  unset DATABASE # the commands' default: every database in the bucket
  make_live_db "$W/live" neo4j 64
  make_live_db "$W/live" system 32
}

# A history: three good sets of neo4j, a newest one whose check failed
# (latest stays), a legacy archive, a set being pruned, a stray object, and
# two sets of system.
make_history() {
  make_set 2026-09-01-00:00:00
  make_set 2026-10-01-00:00:00
  make_set 2026-11-01-12:00:00
  STANDIN_INCONSISTENT=neo4j make_set 2026-11-02-12:00:00 || true
  make_set 2026-10-01-00:00:00 system
  make_set 2026-11-01-12:00:00 system
  if [[ $BUCKET == file://* ]]; then
    make_legacy 2025-06-01-00:00:00
    echo marker >"$W/bucket/neo4j/neo4j-2026-09-01-00:00:00.pruning"
    echo hello >"$W/bucket/neo4j/notes.txt"
  fi
}

@test "list: text, newest first, latest and legacy marked, pruned sets and stray objects hidden" {
  make_history
  run neo4j-backup list
  assert_success
  echo "$output"
  neo4j_block=$(echo "$output" | sed -n '/^neo4j /,/^$/p')
  assert_equal "$(echo "$neo4j_block" | head -1)" "neo4j (latest: 2026-11-01-12:00:00)"
  # order and notes
  assert_equal "$(echo "$neo4j_block" | awk 'NR>2 && NF {print $1}' | tr '\n' ' ')" \
    "2026-11-02-12:00:00 2026-11-01-12:00:00 2026-10-01-00:00:00 2025-06-01-00:00:00 "
  echo "$neo4j_block" | grep -E '^  2026-11-02-12:00:00 .* failed$'
  echo "$neo4j_block" | grep -E '^  2026-11-01-12:00:00 .* passed +latest$'
  echo "$neo4j_block" | grep -E '^  2025-06-01-00:00:00 .* legacy \(no manifest\)$'
  refute_output --partial 2026-09-01
  refute_output --partial notes.txt
  echo "$output" | grep -x "system (latest: 2026-11-01-12:00:00)"
  # list reads manifests only: the admin tool never ran, nothing was written
  [ ! -e "$W/backups/verify"* ]
}

@test "list --output=json: the document of DESIGN section 11, checked by a JSON parser" {
  make_history
  run --separate-stderr neo4j-backup list --output=json
  assert_success
  echo "$output" >"$W/list.json"
  "$SYS_PYTHON" - "$W/list.json" "$W/bucket" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1]))
bucket = sys.argv[2]
assert set(doc) == {"databases"}, doc.keys()
dbs = doc["databases"]
assert set(dbs) == {"neo4j", "system"}, dbs.keys()
n = dbs["neo4j"]
assert n["latest"] == "2026-11-01-12:00:00"
stamps = [s["timestamp"] for s in n["sets"]]
assert stamps == ["2026-11-02-12:00:00", "2026-11-01-12:00:00", "2026-10-01-00:00:00",
                  "2025-06-01-00:00:00"], stamps
keys = {"timestamp", "archive", "bytes", "content_bytes", "compression", "consistency", "sha256", "legacy"}
for s in n["sets"]:
    assert set(s) == keys, s
    path = os.path.join(bucket, "neo4j", s["archive"])
    assert os.path.getsize(path) == s["bytes"], s
    if s["legacy"]:
        assert s["sha256"] is None and s["content_bytes"] is None and s["consistency"] is None
        continue
    m = json.load(open(os.path.join(bucket, "neo4j", "neo4j-%s.manifest.json" % s["timestamp"])))
    assert s["archive"] == m["archive"]["name"]
    assert s["bytes"] == m["archive"]["bytes"]
    assert s["sha256"] == m["archive"]["sha256"]
    assert s["compression"] == m["archive"]["compression"] == "gzip"
    assert s["content_bytes"] == m["content"]["bytes"]
    assert s["consistency"] == m["neo4j"]["consistency"]
    assert isinstance(s["bytes"], int) and isinstance(s["content_bytes"], int)
assert [s["legacy"] for s in n["sets"]] == [False, False, False, True]
assert [s["consistency"] for s in n["sets"]][:2] == ["failed", "passed"]
assert [s["timestamp"] for s in dbs["system"]["sets"]] == ["2026-11-01-12:00:00", "2026-10-01-00:00:00"]
PY
}

@test "list --database limits the listing; an empty bucket lists nothing, exit 0" {
  run neo4j-backup list
  assert_success
  assert_output "no backups"
  run neo4j-backup list --output=json
  assert_success
  assert_equal "$(echo "$output" | "$SYS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin))')" "{'databases': {}}"
  make_set 2026-11-01-12:00:00
  make_set 2026-11-01-12:00:00 system
  run neo4j-backup list --database=system --output=json
  assert_success
  assert_equal "$(echo "$output" | "$SYS_PYTHON" -c 'import json,sys; print(sorted(json.load(sys.stdin)["databases"]))')" "['system']"
  # DATABASE from the environment works as for every command
  DATABASE=neo4j run neo4j-backup list
  assert_success
  refute_output --partial system
}

@test "list on GCS (emulator) gives the same document as on the local bucket" {
  make_history
  run --separate-stderr neo4j-backup list --output=json
  assert_success
  local_doc=$output
  export BUCKET=gs://backups/list CREDENTIALS_FILE=$SA_KEY
  make_history
  run --separate-stderr neo4j-backup list --output=json
  assert_success
  # the GCS history has no legacy/marker/stray objects: compare the rest
  "$SYS_PYTHON" - "$local_doc" "$output" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for db in a["databases"]:
    a["databases"][db]["sets"] = [s for s in a["databases"][db]["sets"] if not s["legacy"]]
    b["databases"][db]["sets"] = [s for s in b["databases"][db]["sets"] if s["timestamp"] != "2026-09-01-00:00:00"]
strip = lambda d: {db: {"latest": v["latest"], "sets": [(s["timestamp"], s["compression"], s["consistency"], s["legacy"]) for s in v["sets"]]} for db, v in d["databases"].items()}
assert strip(a) == strip(b), (strip(a), strip(b))
PY
}

@test "commands: --help for each, unknown command or option exits 2 naming it" {
  for c in list verify prune; do
    run neo4j-backup "$c" --help
    assert_success
    assert_output --partial "Usage: neo4j-backup $c [OPTION]..."
  done
  run neo4j-backup --help
  assert_success
  assert_output --partial "neo4j-backup verify"
  run neo4j-backup lsit
  assert_failure 2
  assert_output --partial "unknown command 'lsit'"
  run neo4j-backup list --frobnicate
  assert_failure 2
  assert_output --partial "unknown option '--frobnicate'"
  run neo4j-backup list --output=yaml
  assert_failure 2
  assert_output --partial "--output 'yaml' is unknown"
  run neo4j-backup verify --timestamp=yesterday
  assert_failure 2
  assert_output --partial "--timestamp 'yesterday'"
}

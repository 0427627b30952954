#!/usr/bin/env bats
# neo4j-backup prune (DESIGN section 11): restic-style retention computed
# independently (tests/lib/retention_model.py) and compared set by set on
# a fabricated history of months; never latest, legacy sets or foreign
# objects; refusal without a rule; dry runs; interrupted prunes (every
# state a kill leaves, and real kill -9s) finished by the next one; restore
# never picks a set being pruned; backup runs prune after a good backup.

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
  unset DATABASE
  export STANDIN_VERSION=4.4.10
  make_live_db "$W/live" neo4j 32
  MODEL="$PROJECT_ROOT/tests/lib/retention_model.py"
}

# history N: N stamps over about eight months (seeded, several a day at
# times), oldest first, into $W/stamps.
history() {
  "$SYS_PYTHON" - "$1" >"$W/stamps" <<'PY'
import datetime, random, sys
rnd = random.Random(11)
t = datetime.datetime(2026, 3, 30, 22, 15, 0)
out = []
for i in range(int(sys.argv[1])):
    t += datetime.timedelta(hours=rnd.choice([1, 2, 7, 20, 26, 49, 100, 170, 300]), minutes=rnd.randrange(60))
    out.append(t.strftime("%Y-%m-%d-%H:%M:%S"))
print("\n".join(out))
PY
}

# the history as real backups; the newest fails its consistency check, so
# latest names the one before.
make_history() {
  local s last
  last=$(tail -1 "$W/stamps")
  while read -r s; do
    if [ "$s" = "$last" ]; then
      STANDIN_INCONSISTENT=neo4j make_set "$s" || true
    else
      make_set "$s"
    fi
  done <"$W/stamps"
}

# expect RULES_JSON: the stamps the model keeps, plus what latest names.
expect() {
  { "$SYS_PYTHON" "$MODEL" "$1" <"$W/stamps"; sed -n 'x;$p' "$W/stamps"; } | sort -u
}

# stamps_in_bucket: stamps that still have a manifest or an archive.
stamps_in_bucket() {
  set_objects neo4j | sed -n 's/^neo4j-\([0-9-]*-[0-9:]*\)\.\(manifest\.json\|tar\.gz\)$/\1/p' | sort -u
}

# consistent_bucket: every manifest names an archive that exists.
consistent_bucket() {
  local m a
  for m in "$W"/bucket/neo4j/neo4j-2*.manifest.json; do
    [ -e "$m" ] || continue
    a=$(json_get "$m" 'd["archive"]["name"]')
    [ -f "$W/bucket/neo4j/$a" ] || { echo "$m names missing $a"; return 1; }
  done
}

@test "prune: dozens of sets over months, every rule, compared set by set with an independent model" {
  history 48
  make_history
  make_legacy 2025-01-01-00:00:00
  echo keep-me >"$W/bucket/neo4j/neo4j-notes.txt"
  echo keep-me >"$W/bucket/neo4j/README"
  cp -a "$W/bucket" "$W/original"
  local rules
  for rules in '{"last": 1}' \
    '{"daily": 5}' '{"weekly": 6}' '{"monthly": 4}' '{"yearly": 2}' '{"hourly": 3}' \
    '{"within": "10d"}' '{"within": "1m"}' \
    '{"last": 2, "daily": 3, "weekly": 3, "monthly": 3, "yearly": 1, "within": "36h"}'; do
    rm -rf "$W/bucket" && cp -a "$W/original" "$W/bucket"
    env_rules=$("$SYS_PYTHON" -c 'import json,sys; print(" ".join("KEEP_%s=%s" % (k.upper(), v) for k, v in json.loads(sys.argv[1]).items()))' "$rules")
    echo "== $env_rules"
    run env $env_rules neo4j-backup prune
    assert_success
    expected=$(expect "$rules")
    got=$(stamps_in_bucket | grep -v '^2025-01-01')
    diff <(echo "$expected") <(echo "$got")
    # set by set: kept sets whole, removed ones without any object
    while read -r s; do
      if echo "$expected" | grep -qx "$s"; then
        [ -f "$W/bucket/neo4j/neo4j-$s.manifest.json" ] && [ -f "$W/bucket/neo4j/neo4j-$s.tar.gz" ]
      else
        [ -z "$(ls "$W/bucket/neo4j/" | grep -F "neo4j-$s")" ]
      fi
    done <"$W/stamps"
    # never removed: the legacy set, foreign objects, latest
    [ -f "$W/bucket/neo4j/neo4j-2025-01-01-00:00:00.tar.gz" ]
    [ -f "$W/bucket/neo4j/neo4j-notes.txt" ] && [ -f "$W/bucket/neo4j/README" ]
    [ -f "$W/bucket/neo4j/neo4j-latest.manifest.json" ] && [ -f "$W/bucket/neo4j/neo4j-latest.tar.gz" ]
    consistent_bucket
    [ -z "$(ls "$W/bucket/neo4j/" | grep '\.pruning$')" ]
  done
}

@test "prune: latest is never removed, also when no rule keeps it; --dry-run changes nothing" {
  history 6
  make_history
  latest=$(sed -n 'x;$p' "$W/stamps")
  newest=$(tail -1 "$W/stamps")
  before=$(snapshot "$W/bucket")
  run env KEEP_LAST=1 neo4j-backup prune --dry-run
  assert_success
  assert_output --partial "keep $newest (last)"
  assert_output --partial "keep $latest (latest names it)"
  assert_output --partial "would remove"
  assert_equal "$(snapshot "$W/bucket")" "$before"
  KEEP_LAST=1 run neo4j-backup prune
  assert_success
  assert_equal "$(stamps_in_bucket | tr '\n' ' ')" "$latest $newest "
  # restore still finds latest
  DATABASE=neo4j run neo4j-restore
  assert_success
}

@test "prune: refuses without a rule (exit 2), and bad KEEP_* values exit 2 before anything changes" {
  history 3
  make_history
  before=$(snapshot "$W/bucket")
  run neo4j-backup prune
  assert_failure 2
  assert_output --partial "no retention rule is set"
  for bad in KEEP_LAST=x KEEP_DAILY=-1 KEEP_WITHIN=3 KEEP_WITHIN=10x KEEP_WEEKLY=1.5; do
    run env "$bad" neo4j-backup prune
    assert_failure 2
    assert_output --partial "${bad%%=*}"
  done
  assert_equal "$(snapshot "$W/bucket")" "$before"
  # a backup run validates them before neo4j-admin runs or anything is written
  : >"$W/admin.log"
  KEEP_DAILY=often run neo4j-backup
  assert_failure 2
  assert_output --partial "KEEP_DAILY"
  assert_equal "$(cat "$W/admin.log")" ""
  assert_equal "$(snapshot "$W/bucket")" "$before"
}

# leave_state SET STEP: the objects a prune killed after STEP steps of
# removing SET leaves (1: marker written, 2: manifest removed, 3: archive
# removed, 4: report removed).
leave_state() {
  local s=$1 step=$2 d=$W/bucket/neo4j
  echo "neo4j-backup prune is removing this set" >"$d/neo4j-$s.pruning"
  [ "$step" -lt 2 ] || rm -f "$d/neo4j-$s.manifest.json"
  [ "$step" -lt 3 ] || rm -f "$d/neo4j-$s.tar.gz"
  [ "$step" -lt 4 ] || rm -f "$d/neo4j-$s.report.tar.gz"
}

@test "prune killed at each step: list hides the set, restore refuses it, the next prune finishes it" {
  history 5
  make_history
  victim=$(head -1 "$W/stamps")
  cp -a "$W/bucket" "$W/original"
  for step in 1 2 3 4; do
    rm -rf "$W/bucket" && cp -a "$W/original" "$W/bucket"
    leave_state "$victim" "$step"
    consistent_bucket
    run neo4j-backup list
    assert_success
    refute_output --partial "$victim"
    rm -rf "$W/data" && mkdir "$W/data"
    TIMESTAMP=$victim run neo4j-restore
    assert_failure 3
    assert_output --partial "being removed by neo4j-backup prune"
    # a prune whose rules keep everything still finishes the removal
    KEEP_LAST=100 run neo4j-backup prune
    assert_success
    assert_output --partial "finishing the removal of $victim"
    assert_equal "$(ls "$W/bucket/neo4j" | grep -cF "$victim")" 0
    assert_equal "$(stamps_in_bucket | wc -l)" 4
  done
}

@test "prune kill -9 mid-run at several moments, then rerun: same result as an uninterrupted prune" {
  # 300 sets fabricated from one real set (same archive bytes under each name)
  make_set 2026-01-01-00:00:00
  "$SYS_PYTHON" - "$W/bucket/neo4j" <<'PY'
import datetime, json, os, shutil, sys
d = sys.argv[1]
src = "neo4j-2026-01-01-00:00:00"
m = json.load(open(os.path.join(d, src + ".manifest.json")))
t = datetime.datetime(2026, 1, 1)
for i in range(300):
    t += datetime.timedelta(hours=5)
    s = t.strftime("%Y-%m-%d-%H:%M:%S")
    shutil.copyfile(os.path.join(d, src + ".tar.gz"), os.path.join(d, "neo4j-%s.tar.gz" % s))
    m["timestamp"], m["archive"]["name"] = s, "neo4j-%s.tar.gz" % s
    json.dump(m, open(os.path.join(d, "neo4j-%s.manifest.json" % s), "w"))
PY
  cp -a "$W/bucket" "$W/original"
  KEEP_DAILY=7 run neo4j-backup prune
  assert_success
  expected=$(stamps_in_bucket)
  for moment in 1 40 150; do
    rm -rf "$W/bucket" && cp -a "$W/original" "$W/bucket"
    # kill -9 once `moment` manifests are gone (busy polling, bounded)
    run "$SYS_PYTHON" - "$W/bucket/neo4j" "$moment" <<'PY'
import os, signal, subprocess, sys, time
d, moment = sys.argv[1], int(sys.argv[2])
start = len([n for n in os.listdir(d) if n.endswith(".manifest.json")])
p = subprocess.Popen(["neo4j-backup", "prune"], env=dict(os.environ, KEEP_DAILY="7"),
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and p.poll() is None:
    gone = start - len([n for n in os.listdir(d) if n.endswith(".manifest.json")])
    if gone >= moment:
        p.send_signal(signal.SIGKILL)
        break
p.wait()
print("returncode", p.returncode, "gone", start - len([n for n in os.listdir(d) if n.endswith(".manifest.json")]))
sys.exit(0 if p.returncode == -signal.SIGKILL else 1)
PY
    echo "$output"
    assert_success
    consistent_bucket
    [ "$(ls "$W/bucket/neo4j" | grep -c '\.pruning$')" -le 1 ]
    run neo4j-backup list --output=json
    assert_success
    KEEP_DAILY=7 run neo4j-backup prune
    assert_success
    assert_equal "$(stamps_in_bucket)" "$expected"
    assert_equal "$(ls "$W/bucket/neo4j" | grep -c '\.pruning$')" 0
  done
}

@test "a backup run prunes each database whose backup succeeded, after latest moved" {
  make_live_db "$W/live" system 16
  for s in 2026-11-01-00:00:00 2026-11-02-00:00:00 2026-11-03-00:00:00; do
    make_set "$s" neo4j,system
  done
  KEEP_LAST=2 BACKUP_TIMESTAMP=2026-11-04-00:00:00 DATABASE=neo4j,system run neo4j-backup
  assert_success
  assert_equal "$(stamps_in_bucket | tr '\n' ' ')" "2026-11-03-00:00:00 2026-11-04-00:00:00 "
  assert_equal "$(json_get "$W/bucket/neo4j/neo4j-latest.manifest.json" 'd["timestamp"]')" 2026-11-04-00:00:00
  [ ! -e "$W/bucket/system/system-2026-11-02-00:00:00.manifest.json" ]
  # a failed backup of one database prunes only the other
  rm -rf "$W/live/system"
  KEEP_LAST=1 BACKUP_TIMESTAMP=2026-11-05-00:00:00 DATABASE=neo4j,system run neo4j-backup
  assert_failure 6
  assert_equal "$(stamps_in_bucket | tr '\n' ' ')" "2026-11-05-00:00:00 "
  [ -e "$W/bucket/system/system-2026-11-03-00:00:00.manifest.json" ]
}

@test "prune on GCS (emulator): the same decisions as on the local bucket" {
  history 12
  make_history
  rules='{"daily": 3, "monthly": 2}'
  KEEP_DAILY=3 KEEP_MONTHLY=2 run neo4j-backup prune
  assert_success
  local_kept=$(stamps_in_bucket)
  diff <(expect "$rules") <(echo "$local_kept")
  export BUCKET=gs://backups/prune CREDENTIALS_FILE=$SA_KEY
  make_history
  KEEP_DAILY=3 KEEP_MONTHLY=2 run neo4j-backup prune
  assert_success
  run --separate-stderr neo4j-backup list --output=json
  assert_success
  gcs_kept=$(echo "$output" | "$SYS_PYTHON" -c 'import json,sys; print("\n".join(sorted(s["timestamp"] for s in json.load(sys.stdin)["databases"]["neo4j"]["sets"])))')
  assert_equal "$gcs_kept" "$local_kept"
}

@test "prune on GCS (emulator) killed with -9 mid-run, then rerun: no manifest without its archive, same result" {
  export BUCKET=gs://backups/kill CREDENTIALS_FILE=$SA_KEY
  make_set 2026-01-01-00:00:00
  token=$(gcs_token "$SA_KEY")
  # 200 more sets: the real set's bytes under each name (uploaded directly)
  "$SYS_PYTHON" - "$GCS_EMULATOR_URL" "$token" <<'PY'
import datetime, json, sys, urllib.parse, urllib.request
url, token = sys.argv[1], sys.argv[2]
def get(name):
    r = urllib.request.Request("%s/storage/v1/b/backups/o/%s?alt=media" % (url, urllib.parse.quote("kill/" + name, safe="")),
                               headers={"Authorization": "Bearer " + token})
    return urllib.request.urlopen(r).read()
def put(name, data):
    r = urllib.request.Request("%s/upload/storage/v1/b/backups/o?uploadType=media&name=%s" % (url, urllib.parse.quote("kill/" + name, safe="")),
                               data=data, method="POST", headers={"Authorization": "Bearer " + token, "Content-Type": "application/octet-stream"})
    urllib.request.urlopen(r).read()
src = "neo4j/neo4j-2026-01-01-00:00:00"
archive = get(src + ".tar.gz")
m = json.loads(get(src + ".manifest.json"))
t = datetime.datetime(2026, 1, 1)
for i in range(200):
    t += datetime.timedelta(hours=5)
    s = t.strftime("%Y-%m-%d-%H:%M:%S")
    put("neo4j/neo4j-%s.tar.gz" % s, archive)
    m["timestamp"], m["archive"]["name"] = s, "neo4j-%s.tar.gz" % s
    put("neo4j/neo4j-%s.manifest.json" % s, json.dumps(m).encode())
PY
  gcs_ctl DELETE requests >/dev/null
  # kill -9 after the 60th DELETE the emulator served (busy polling, bounded)
  run "$SYS_PYTHON" - "$GCS_EMULATOR_URL" <<'PY'
import json, os, signal, subprocess, sys, time, urllib.request
url = sys.argv[1]
p = subprocess.Popen(["neo4j-backup", "prune"], env=dict(os.environ, KEEP_DAILY="7"),
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.monotonic() + 120
deletes = 0
while time.monotonic() < deadline and p.poll() is None:
    reqs = json.load(urllib.request.urlopen(url + "/_emulator/requests?method=DELETE"))
    deletes = reqs["count"]
    if deletes >= 60:
        p.send_signal(signal.SIGKILL)
        break
p.wait()
print("returncode", p.returncode, "deletes", deletes)
sys.exit(0 if p.returncode == -signal.SIGKILL else 1)
PY
  echo "$output"
  assert_success
  # every manifest still names an archive that exists
  run --separate-stderr neo4j-backup list --output=json
  assert_success
  listed=$(echo "$output" | "$SYS_PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)["databases"]["neo4j"]["sets"]))')
  [ "$listed" -lt 201 ]
  run neo4j-backup verify --timestamp=all
  assert_success
  KEEP_DAILY=7 run neo4j-backup prune
  assert_success
  run --separate-stderr neo4j-backup list --output=json
  assert_success
  kept=$(echo "$output" | "$SYS_PYTHON" -c 'import json,sys; print(" ".join(s["timestamp"] for s in json.load(sys.stdin)["databases"]["neo4j"]["sets"]))')
  # the newest set of each of the last 7 days, as the model says, and the
  # first set, which latest names
  expected=$("$SYS_PYTHON" -c '
import datetime
t = datetime.datetime(2026, 1, 1); s = ["2026-01-01-00:00:00"]
for i in range(200):
    t += datetime.timedelta(hours=5); s.append(t.strftime("%Y-%m-%d-%H:%M:%S"))
print("\n".join(s))' | "$SYS_PYTHON" "$MODEL" '{"daily": 7}' | sort -r | tr '\n' ' ')2026-01-01-00:00:00 
  assert_equal "$kept" "$expected"
}

# Helpers for the suites of neo4j-backup's commands (list, verify, prune)
# and of logs and metrics. Load after helpers.bash.
# shellcheck shell=bash

PROMTEXT="$PROJECT_ROOT/tests/lib/promtext.py"
PUSHGATEWAY="$PROJECT_ROOT/tests/emulators/pushgateway/pushgateway.py"

# make_set STAMP [DB]: one backup of DB (default neo4j) stamped STAMP.
make_set() {
  BACKUP_TIMESTAMP=$1 DATABASE=${2:-neo4j} neo4j-backup >"$W/backup-$1.log" 2>&1
}

# set_objects DB: the bucket's objects of DB, names only, sorted.
set_objects() {
  (cd "$W/bucket/$1" && find . -type f | sed 's|^\./||' | sort)
}

# make_legacy STAMP [DB]: an archive without manifest, as older tools wrote
# (a copy of the newest archive under the old name).
make_legacy() {
  local db=${2:-neo4j}
  cp "$(ls "$W/bucket/$db/$db"-2*.tar.gz | head -1)" "$W/bucket/$db/$db-$1.tar.gz"
}

# readonly_run TINY CMD...: runs CMD in a private mount namespace where the
# whole file system is read-only but TINY, a fresh 256 KiB tmpfs (BACKUP_DIR,
# HOME and TMPDIR point there). Prints "tiny-contents:" and what TINY holds
# afterwards; returns CMD's status.
readonly_run() {
  local tiny=$1
  shift
  mkdir -p "$tiny"
  BACKUP_DIR=$tiny HOME=$tiny TMPDIR=$tiny unshare -m --propagation private sh -c '
    tiny=$1; shift
    mount --bind / / && mount -o remount,bind,ro / || exit 99
    mount -o remount,bind,ro /dev/shm 2>/dev/null
    mount -t tmpfs -o size=256k tmpfs "$tiny" || exit 99
    cd "$tiny" || exit 99
    "$@"; rc=$?
    echo "tiny-contents:"; find "$tiny" -mindepth 1
    exit $rc' sh "$tiny" "$@"
}

# pushgateway_start [ARGS...]: the Pushgateway stand-in on a free loopback
# port; exports PUSHGATEWAY_PORT, PUSHGATEWAY_PID, PUSHGATEWAY_LOG.
pushgateway_start() {
  local dir=$BATS_TEST_TMPDIR/pgw
  mkdir -p "$dir"
  PUSHGATEWAY_LOG=$dir/pushes.jsonl
  : >"$PUSHGATEWAY_LOG"
  "$SYS_PYTHON" "$PUSHGATEWAY" --port 0 --port-file "$dir/port" --log "$PUSHGATEWAY_LOG" "$@" \
    >"$dir/out.log" 2>&1 3>&- &
  PUSHGATEWAY_PID=$!
  wait_for_file "$dir/port" || return 1
  PUSHGATEWAY_PORT=$(<"$dir/port")
  wait_for_port "$PUSHGATEWAY_PORT" || return 1
  export PUSHGATEWAY_PORT PUSHGATEWAY_PID PUSHGATEWAY_LOG
}

pushgateway_stop() {
  [ -n "${PUSHGATEWAY_PID:-}" ] || return 0
  kill "$PUSHGATEWAY_PID" 2>/dev/null || true
  wait "$PUSHGATEWAY_PID" 2>/dev/null || true
  unset PUSHGATEWAY_PID
}

# json_lines FILE: every line of FILE is one JSON object with the fields of
# DESIGN section 12 (time RFC 3339 UTC, level, program, msg; database,
# object strings, bytes and exit_code integers, rate a number when present).
json_lines() {
  "$SYS_PYTHON" - "$1" <<'PY'
import datetime, json, sys
n = 0
for i, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    assert isinstance(o, dict), "line %d is not an object" % i
    for k in ("time", "level", "program", "msg"):
        assert isinstance(o.get(k), str), "line %d: %s missing or not a string: %s" % (i, k, line)
    datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert o["level"] in ("debug", "info", "warn", "error"), line
    assert o["program"] in ("neo4j-backup", "neo4j-restore"), line
    for k in ("database", "object"):
        assert k not in o or isinstance(o[k], str), line
    for k in ("bytes", "exit_code"):
        assert k not in o or (isinstance(o[k], int) and not isinstance(o[k], bool)), line
    assert "rate" not in o or isinstance(o["rate"], (int, float)), line
    extra = set(o) - {"time", "level", "program", "msg", "database", "object", "bytes", "rate", "exit_code"}
    assert not extra, "line %d: unknown fields %s" % (i, extra)
    n += 1
assert n > 0, "no lines"
print(n)
PY
}

#!/bin/bash
# make bench: our backup and restore pipelines side by side with the limits
# of this machine (GNU tar extracting the same archive, the bare fetch) and
# with the neo4j-helm pipeline (fetch to a file, tar -zxvf, move), on
# generated databases of several sizes. See README.md, "Performance".
#
# Settings (environment):
#   BENCH_SIZES   sizes to generate, e.g. "64M 256M" (default "256M 1G 2G")
#   BENCH_REPEAT  runs of every case (default 3): median, min and max
#   BENCH_CASES   extended regex on "SET/CASE" names (e.g. "4.4-gzip/restore",
#                 "5-gzip/backup"): run only those. Default: all but the 5.x
#                 restore cases (the stand-in's Python unpack of the artifact
#                 dominates them, and they add minutes) but the capped-link
#                 S3 ones on the 5-zstd set; "." runs everything
#   BENCH_GCS     0 to leave the GCS emulator cases out
#   BENCH_S3      0 to leave the S3 cases (a throwaway Ceph RGW, see
#                 tests/emulators/rgw/README.md) out
#   BENCH_S3_CAP  the capped link: bytes/s per connection (each way) of the
#                 fault proxy in front of RGW (default 50000000, 50 MB/s)
#   BENCH_OUT     results folder (default bench/out): results.md,
#                 results.json, bench.png, raw.jsonl, logs/
#   BENCH_WORK    scratch (default $BENCH_OUT/work); generated databases
#                 are kept in $BENCH_WORK/cache and reused (delete it to
#                 free the space), everything else is removed at the end
#
# Method: every case runs on a fresh tmpfs mounted as its DATA_DIR /
# BACKUP_DIR (the kernel's count of its used blocks, sampled every 20 ms,
# is the case's peak disk); buckets, the emulator's objects and the
# generated databases live on the machine's disk. Page cache is warm and
# never dropped: the inputs of each case are read right before it,
# untimed (a VM may page cold cache out on its own), so cases compare
# pipelines, not the disk; so is the memory a case will write (fresh_vol).
# Cases run one at a time, repeats interleaved (all cases of run 1, then
# of run 2, ...).
#
# Stores: the local bucket (file://), the GCS emulator, and S3: a throwaway
# Ceph RGW (tests/lib/rgw.bash; objects in its OSD's memory) started once,
# its fault proxy in front of it as the capped link (BENCH_S3_CAP per
# connection each way; its request log kept as logs/s3-proxy.log). Azure is
# not in it until its driver is merged (AZURE_NOTE below).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
OUT=${BENCH_OUT:-$BENCH/out}
WORK=${BENCH_WORK:-$OUT/work}
SIZES=${BENCH_SIZES:-256M 1G 2G}
REPEAT=${BENCH_REPEAT:-3}
CASES=${BENCH_CASES:-^((4\.4-[a-z]+|5-[a-z]+/backup)(/|$)|5-zstd/(backup|restore) s3 capped )}
USE_GCS=${BENCH_GCS:-1}
USE_S3=${BENCH_S3:-1}
S3_CAP=${BENCH_S3_CAP:-50000000}
S3_PAR=4 # the parallel side of the capped cases: PARALLEL_READS/UPLOADS's default
PY=/usr/bin/python3
DB=neo4j
STAMP=2026-01-01-00:00:00

export LC_ALL=C SYS_PYTHON=$PY
export PATH="$ROOT/tests/bin:$ROOT/bin:$PATH"
# Nothing from the caller's environment reaches the tools but what we set.
for v in BUCKET DATABASE CLOUD_PROVIDER TIMESTAMP FORCE_OVERWRITE PURGE_ON_COMPLETE BACKUP_SET_DIR \
  MISSING_BACKUP DATA_DIR UNBIND NEO4J_ADDR HEAP_SIZE PAGE_CACHE FALLBACK_TO_FULL CHECK_CONSISTENCY \
  REMOVE_EXISTING_FILES REMOVE_BACKUP_FILES BACKUP_DIR COMPRESSION COMPRESSION_LEVEL \
  COMPRESSION_THREADS CREDENTIALS_FILE GOOGLE_APPLICATION_CREDENTIALS NEO4J_ADMIN \
  NEO4J_ADMIN_DIALECT BACKUP_TIMESTAMP NEO4J_OWNER STORAGE_EMULATOR_HOST GCE_METADATA_HOST \
  GCS_CHUNK_SIZE STANDIN_EXIT STANDIN_INCONSISTENT STANDIN_HANG STANDIN_LOG PARALLEL_READS \
  PARALLEL_UPLOADS CA_BUNDLE; do
  unset "$v"
done

VOL=$WORK/vol       # the per-case tmpfs
SETS=$WORK/sets     # restore buckets, one per set, made by run 1's backups
RAW=$OUT/raw.jsonl
LOGS=$OUT/logs
ADMIN_LOG=$WORK/admin.log
GCS_NOTE=""         # why the GCS cases were left out, when they were
S3_NOTE=""          # the same for S3
# Azure (azurite) is not in this bench yet: its driver is not on main.
AZURE_NOTE="not in this run: the Azure driver (branch azure-driver) is not merged yet"
VOL_MOUNTS=1        # 0: no tmpfs (not root): a folder, sampled with a walk

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---- setup and teardown ----

check_tools() {
  local t
  for t in "$ROOT/bin/neo4j-backup" "$ROOT/bin/neo4j-restore" /usr/bin/time "$PY"; do
    [[ -x $t ]] || die "$t is missing: run 'make bench' (it builds and installs what is needed)"
  done
  for t in gnuplot zstd gzip tar curl igzip pigz; do
    command -v "$t" >/dev/null || die "$t is missing: run 'make deps'"
  done
  [[ $S3_CAP =~ ^[1-9][0-9]*$ ]] || die "BENCH_S3_CAP must be bytes per second, like 50000000, not '$S3_CAP'"
  [[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a positive number, not '$REPEAT'"
  local size
  for size in $SIZES; do
    [[ $size =~ ^[0-9]+(\.[0-9]+)?[KMG]$ ]] || die "BENCH_SIZES: '$size' is not a size like 64M or 1G"
  done
  ((REPEAT >= 3)) || log "BENCH_REPEAT=$REPEAT: fewer than 3 runs, the median is not robust"
}

cleanup() {
  unmount_vol
  if [[ -n ${GCS_EMULATOR_PID:-} ]]; then gcs_stop; fi
  if [[ -n ${RGW_DIR:-} ]]; then rgw_stop; fi
  rm -rf "$SETS" "$WORK/bucket" "$WORK/gcs" "$WORK/rgw" "$VOL" "$ADMIN_LOG" "$WORK/m.json"
}

unmount_vol() {
  if mountpoint -q "$VOL" 2>/dev/null; then umount "$VOL"; fi
}

# fresh_vol BYTES TOUCH_MIB: an empty tmpfs of BYTES at $VOL (a plain
# folder when mounting is not allowed) with data/ and backups/ inside.
#
# Memory a VM has not touched for a while may have gone back to its
# hypervisor (free page reporting), and touching it again is slow: here a
# case that writes 2 GiB right after minutes of CPU-only cases took 40 %
# longer, all of it system time. So TOUCH_MIB of memory (what the case
# will write) is written and freed first, untimed: every case starts alike,
# whatever ran before it.
fresh_vol() {
  unmount_vol
  rm -rf "$VOL"
  mkdir -p "$VOL"
  if ((VOL_MOUNTS)) && ! mount -t tmpfs -o "size=$1,mode=0755" bench-vol "$VOL" 2>/dev/null; then
    VOL_MOUNTS=0
    log "cannot mount a tmpfs (not root?): DATA_DIR is a plain folder, its peak use sampled by walking it"
  fi
  if ((VOL_MOUNTS)); then
    dd if=/dev/zero of="$VOL/.touch" bs=1M count="$2" status=none
    rm -f "$VOL/.touch"
  fi
  mkdir -p "$VOL/data" "$VOL/backups"
}

machine_info() {
  "$PY" - "$OUT/machine.json" "$REPEAT" "$SIZES" "$ROOT" <<'PY'
import json, os, platform, subprocess, sys, time
def first(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
    except (OSError, IndexError):
        return None
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
def read(path):
    try:
        return open(path).read().strip()
    except OSError:
        return None
# Things that make runs on a VM vary: proactive reclaim of cold pages
# (DAMON pageout), free pages handed back to the host (page reporting).
damon = [read("/sys/kernel/mm/damon/admin/kdamonds/%s/state" % k)
         for k in (os.listdir("/sys/kernel/mm/damon/admin/kdamonds")
                   if os.path.isdir("/sys/kernel/mm/damon/admin/kdamonds") else []) if k.isdigit()]
reclaim = []
if "on" in damon:
    reclaim.append("DAMON proactive pageout of cold memory")
if os.path.isdir("/sys/module/page_reporting"):
    reclaim.append("free page reporting to the hypervisor")
json.dump({"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem / 2**20, 1),
           "kernel": platform.release(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "repeat": int(sys.argv[2]), "sizes": sys.argv[3].split(), "memory_reclaim": reclaim,
           "tar": first(["tar", "--version"]), "gzip": first(["gzip", "--version"]),
           "zstd": first(["zstd", "--version"]), "curl": first(["curl", "--version"]),
           "git": first(["git", "-C", sys.argv[4], "rev-parse", "--short", "HEAD"])},
          open(sys.argv[1], "w"), indent=1)
PY
}

# ---- the GCS emulator ----

start_gcs() {
  [[ $USE_GCS == 1 ]] || {
    GCS_NOTE="left out (BENCH_GCS=$USE_GCS)"
    return 0
  }
  # shellcheck disable=SC1091 # (the test suite's helpers)
  source "$ROOT/tests/lib/gcs.bash"
  if ! gcs_start "$WORK/gcs" >"$LOGS/gcs-start.log" 2>&1 || ! gcs_make_bucket bench ||
    ! gcs_make_key "$WORK/gcs/sa.json" >/dev/null; then
    GCS_NOTE="skipped: the GCS emulator did not start ($(tail -1 "$LOGS/gcs-start.log"))"
    log "$GCS_NOTE"
    return 0
  fi
  log "GCS emulator on $GCS_EMULATOR_URL"
}

gcs_ok() { [[ -z $GCS_NOTE ]]; }

urlencode() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# gcs_put FILE NAME: a media upload into the bucket "bench".
gcs_put() {
  local token
  token=$(gcs_token "$WORK/gcs/sa.json") || return 1
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" --data-binary "@$1" \
    "$GCS_EMULATOR_URL/upload/storage/v1/b/bench/o?uploadType=media&name=$(urlencode "$2")"
}

# gcs_upload_set DIR PREFIX: the set's archive and manifests under PREFIX/.
gcs_upload_set() {
  local dir=$1 prefix=$2 f
  for f in "$dir/$DB/$DB-$STAMP".* "$dir/$DB/$DB-latest.manifest.json"; do
    gcs_put "$f" "$prefix/$DB/${f##*/}" || return 1
  done
}

# ---- S3: a throwaway Ceph RGW (tests/lib/rgw.bash), and the fault proxy
# in front of it as the capped link ----

start_s3() {
  [[ $USE_S3 == 1 ]] || {
    S3_NOTE="left out (BENCH_S3=$USE_S3)"
    return 0
  }
  # shellcheck disable=SC1091 # (the test suite's helpers)
  source "$ROOT/tests/lib/rgw.bash"
  if ! rgw_start "$WORK/rgw" >"$LOGS/rgw-start.log" 2>&1 || ! rgw_make_bucket bench >>"$LOGS/rgw-start.log" 2>&1 ||
    ! rgw_proxy_start >>"$LOGS/rgw-start.log" 2>&1 || ! rgw_proxy_rate "$S3_CAP" "$S3_CAP"; then
    S3_NOTE="skipped: the RGW did not start ($(tail -1 "$LOGS/rgw-start.log"))"
    log "$S3_NOTE"
    return 0
  fi
  log "S3: Ceph RGW on $RGW_ENDPOINT; the capped link (fault proxy, $S3_CAP bytes/s per connection each way) on $RGW_PROXY_ENDPOINT"
}

s3_ok() { [[ -z $S3_NOTE ]]; }

# s3_clear PREFIX: deletes the objects under PREFIX and has RGW free their
# space at once (the OSD is memstore: objects are in its memory).
s3_clear() {
  local keys
  mapfile -t keys < <(rgw_s3 ls bench "$1" | cut -d' ' -f1)
  ((${#keys[@]} == 0)) || rgw_s3 rm bench "${keys[@]}"
  rgw_admin gc process --include-all >/dev/null 2>&1 || true
}

# s3_backup SET VERSION CODEC CASE [VAR=VALUE...]: neo4j-backup into a
# fresh prefix of the bucket, then that prefix deleted (untimed).
s3_backup() {
  local set=$1 version=$2 c=$3 name=$4 prefix
  shift 4
  s3_ok && wanted "$set-$c/$name" || return 0
  WARM=("$LIVE")
  [[ $set == 5 ]] && WARM+=("$ARTIFACT")
  prefix="$LABEL/backups/$set-$c-${name// /-}-$REP"
  ARCHIVE_BYTES=0 must "$set-$c" "$name" "backup_$c" BUCKET="s3://bench/$prefix" \
    STANDIN_VERSION="$version" STANDIN_LIVE_DIR="$LIVE" NEO4J_ADDR=localhost:6362 \
    BACKUP_TIMESTAMP="$STAMP" CHECK_CONSISTENCY=false "$@"
  s3_clear "$prefix/"
}

# s3_restore SET VERSION CASE [VAR=VALUE...]: neo4j-restore of SET (made by
# run 1's local backup; uploaded once, untimed) from the bucket.
s3_restore() {
  local set=$1 version=$2 name=$3 dir=$SETS/$1 f archive
  shift 3
  s3_ok && wanted "$set/$name" && [[ -d $dir ]] || return 0
  if [[ ! -f $WORK/rgw/uploaded-$LABEL-$set ]]; then
    log "$LABEL: uploading the $set set to RGW (untimed)"
    for f in "$dir/$DB/$DB-$STAMP".* "$dir/$DB/$DB-latest.manifest.json"; do
      rgw_s3 put bench "$LABEL/$set/$DB/${f##*/}" "$f" || die "uploading $f to RGW failed"
    done
    touch "$WORK/rgw/uploaded-$LABEL-$set"
  fi
  archive=$(archive_of "$dir")
  ARCHIVE_BYTES=$(stat -c %s "$archive")
  WARM=() # the objects are in the OSD's memory
  must "$set" "$name" restore BUCKET="s3://bench/$LABEL/$set" STANDIN_VERSION="$version" "$@"
}

# s3_cases: uncapped restore and backup beside the local ones (4.4 gzip,
# the default path); on the capped link, one connection against $S3_PAR,
# on the 5.x zstd set (an already compressed artifact: the codec runs far
# above the link's speed, so the link is what is measured).
s3_cases() {
  s3_ok || return 0
  s3_backup 4.4 4.4.10 gzip "backup s3"
  s3_backup 5 5.26.0 zstd "backup s3 capped x1" BENCH_ARTIFACT="$ARTIFACT" PARALLEL_UPLOADS=1 "${S3_CAPPED[@]}"
  s3_backup 5 5.26.0 zstd "backup s3 capped x$S3_PAR" BENCH_ARTIFACT="$ARTIFACT" PARALLEL_UPLOADS=$S3_PAR "${S3_CAPPED[@]}"
  s3_restore 4.4-gzip 4.4.10 "restore s3"
  s3_restore 4.4-gzip 4.4.10 "restore s3 x1" PARALLEL_READS=1
  s3_restore 5-zstd 5.26.0 "restore s3 capped x1" PARALLEL_READS=1 "${S3_CAPPED[@]}"
  s3_restore 5-zstd 5.26.0 "restore s3 capped x$S3_PAR" PARALLEL_READS=$S3_PAR "${S3_CAPPED[@]}"
}

# ---- data sets ----

# dataset LABEL: the generated database (cached), exported as LIVE; the
# 5.x artifact as ARTIFACT.
dataset() {
  local label=$1 dir=$WORK/cache/$1 want have=""
  want="$("$PY" -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import gen_db; print(gen_db.VERSION, gen_db.parse_size(sys.argv[2]))' "$BENCH" "$label") seed=1"
  [[ -f $dir/.done ]] && have=$(<"$dir/.done")
  if [[ $have != "$want" ]]; then
    log "$label: generating the database and its 5.x artifact"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$PY" "$BENCH/gen_db.py" "$dir/live" "$label" --db "$DB" --artifact "$dir/artifact.backup" >&2
    echo "$want" >"$dir/.done"
  fi
  LIVE=$dir/live
  ARTIFACT=$dir/artifact.backup
}

# warm PATH...: the files under PATHs read once, so that they are in the
# page cache when the clock starts.
warm() {
  (($# == 0)) || find "$@" -type f -exec cat {} + >/dev/null
}

# ---- running cases ----

wanted() { [[ -z $CASES ]] || [[ $1 =~ $CASES ]]; }

# run_case SET CASE SCRIPT [VAR=VALUE...]: one measured run of
# `bench/case.sh SCRIPT` with the variables, recorded in raw.jsonl, after
# reading the files of the WARM array. Returns the case's status (the
# caller decides whether a failure is fatal).
run_case() {
  local set=$1 name=$2 script=$3 status=0 admin summary product
  shift 3
  local tag="$LABEL/$set/$name#$REP" log="$LOGS/$LABEL-$set-${name// /-}-$REP.log"
  warm "${WARM[@]}"
  fresh_vol "$VOL_BYTES" "$TOUCH_MIB"
  : >"$ADMIN_LOG"
  rm -f "$log"
  sync # what earlier cases wrote is on disk before the clock starts
  env VOL="$VOL" DATA_DIR="$VOL/data" BACKUP_DIR="$VOL/backups" DB="$DB" LIVE="$LIVE" \
    DATABASE="$DB" NEO4J_ADMIN="$BENCH/neo4j-admin-timed" BENCH_ADMIN_LOG="$ADMIN_LOG" \
    PROGRESS_INTERVAL=60 "$@" \
    "$PY" "$BENCH/measure.py" --vol "$VOL" --json "$WORK/m.json" --log "$log" \
    -- "$BENCH/case.sh" "$script" || status=$?
  admin=$(awk '{ s += $2 - $1 } END { printf "%.4f", s + 0 }' "$ADMIN_LOG")
  # what a backup case wrote: its archive in the (otherwise empty) bucket
  product=$(find "$WORK/bucket" -name '*.tar.*' ! -name '*-latest.*' -printf '%s\n' 2>/dev/null |
    awk '{ s += $1 } END { printf "%d", s }')
  unmount_vol
  summary=$("$PY" "$BENCH/report.py" add "$RAW" "$WORK/m.json" label="$LABEL" set="$set" \
    case="$name" rep="$REP" admin_s="$admin" data_bytes="$DATA_BYTES" \
    archive_bytes="${ARCHIVE_BYTES:-0}" product_bytes="$product")
  if ((status == 0)); then
    log "$tag: $summary"
  else
    log "$tag: FAILED (exit $status), its output: $log"
    tail -5 "$log" >&2
  fi
  return "$status"
}

# must CASE-ARGS...: run_case, and stop the benchmark if it failed.
must() {
  wanted "$1/$2" || return 0
  run_case "$@" || die "$LABEL/$1/$2 failed: see $LOGS"
}

archive_of() { # archive_of DIR: the set's timestamped archive in a bucket folder
  local f
  for f in "$1/$DB/$DB-$STAMP".tar.*; do
    [[ -f $f ]] && echo "$f" && return 0
  done
  die "no archive in $1/$DB"
}

# needs_set SET: some restore case of SET is wanted (so run 1 backs it up).
needs_set() {
  local c
  for c in restore "restore today" "restore gcs" "tar -x" "igzip + tar" "fetch local" "fetch gcs" \
    "old local" "old gcs" "restore s3" "restore s3 x1" "restore s3 capped x1" "restore s3 capped x$S3_PAR"; do
    wanted "$1/$c" && return 0
  done
  return 1
}

# backup_cases SET VERSION [VAR=VALUE...]: neo4j-backup, gzip and zstd, each
# into an empty local bucket; run 1 keeps its buckets as the restore sets.
# "backup today" (gzip) is the pre-issue-13 path: libarchive's gzip -6 on
# one thread (NB_BENCH_LIBARCHIVE_CODEC=1), its archive only measured.
backup_cases() {
  local set=$1 version=$2 c comp
  shift 2
  WARM=("$LIVE")
  [[ $set == 5 ]] && WARM+=("$ARTIFACT")
  for c in gzip zstd; do
    comp=$set-$c
    wanted "$comp/backup" || { ((REP == 1)) && needs_set "$comp"; } || continue
    rm -rf "$WORK/bucket" && mkdir -p "$WORK/bucket"
    ARCHIVE_BYTES=0 run_case "$comp" backup "backup_$c" BUCKET="file://$WORK/bucket" \
      STANDIN_VERSION="$version" STANDIN_LIVE_DIR="$LIVE" NEO4J_ADDR=localhost:6362 \
      BACKUP_TIMESTAMP="$STAMP" CHECK_CONSISTENCY=false "$@" || die "$LABEL/$comp/backup failed: see $LOGS"
    if ((REP == 1)); then
      rm -rf "${SETS:?}/$comp" && mv "$WORK/bucket" "$SETS/$comp"
    fi
    if [[ $comp == 4.4-gzip ]] && wanted "$comp/backup today"; then
      rm -rf "$WORK/bucket" && mkdir -p "$WORK/bucket"
      run_case "$comp" "backup today" "backup_$c" BUCKET="file://$WORK/bucket" \
        STANDIN_VERSION="$version" STANDIN_LIVE_DIR="$LIVE" NEO4J_ADDR=localhost:6362 \
        BACKUP_TIMESTAMP="$STAMP" CHECK_CONSISTENCY=false NB_BENCH_LIBARCHIVE_CODEC=1 "$@" ||
        die "$LABEL/$comp/backup today failed: see $LOGS"
    fi
  done
  rm -rf "$WORK/bucket"
}

tar_cases() {
  local c
  WARM=("$LIVE")
  for c in gzip zstd; do
    rm -rf "$WORK/bucket" && mkdir -p "$WORK/bucket"
    local ext=gz
    [[ $c == zstd ]] && ext=zst
    must "4.4-$c" "tar -c" "tar_$c" OUT="$WORK/bucket/$DB.tar.$ext"
  done
  rm -rf "$WORK/bucket" && mkdir -p "$WORK/bucket"
  must 4.4-gzip "tar + pigz" tar_pigz OUT="$WORK/bucket/$DB.tar.gz"
  rm -rf "$WORK/bucket"
}

# restore_cases SET VERSION: our restore from the local bucket, the limits
# (extract, fetch) and, for the 4.4 gzip set, GCS and the old pipeline.
restore_cases() {
  local set=$1 version=$2 dir=$SETS/$1 archive
  [[ -d $dir ]] || return 0
  archive=$(archive_of "$dir")
  ARCHIVE_BYTES=$(stat -c %s "$archive")
  WARM=("$archive")
  must "$set" restore restore BUCKET="file://$dir" STANDIN_VERSION="$version"
  [[ $set == 5-gzip ]] ||
    must "$set" "restore today" restore BUCKET="file://$dir" STANDIN_VERSION="$version" \
      NB_BENCH_LIBARCHIVE_CODEC=1
  must "$set" "tar -x" extract ARCHIVE="$archive"
  [[ $set != 4.4-gzip ]] || must "$set" "igzip + tar" extract_igzip ARCHIVE="$archive"
  must "$set" "fetch local" fetch_local ARCHIVE="$archive"
  [[ $set == 4.4-gzip ]] || return 0
  must "$set" "old local" old_local ARCHIVE="$archive" STANDIN_VERSION="$version"
  gcs_cases "$set" "$version" "$dir"
}

gcs_cases() {
  local set=$1 version=$2 dir=$3 prefix="$LABEL/$1" url token
  gcs_ok || return 0
  wanted "$set/restore gcs" || wanted "$set/fetch gcs" || wanted "$set/old gcs" || return 0
  if ((REP == 1)); then
    log "$LABEL: uploading the $set set to the GCS emulator (untimed)"
    gcs_upload_set "$dir" "$prefix" || {
      GCS_NOTE="skipped: uploading to the emulator failed"
      log "$GCS_NOTE"
      return 0
    }
  fi
  WARM=("$GCS_EMULATOR_DATA")
  url="$GCS_EMULATOR_URL/storage/v1/b/bench/o/$(urlencode "$prefix/$DB/$DB-$STAMP.tar.gz")?alt=media"
  token=$(gcs_token "$WORK/gcs/sa.json")
  if wanted "$set/restore gcs" && ! run_case "$set" "restore gcs" restore BUCKET="gs://bench/$prefix" \
    CREDENTIALS_FILE="$WORK/gcs/sa.json" STANDIN_VERSION="$version" \
    STORAGE_EMULATOR_HOST="$STORAGE_EMULATOR_HOST" GCE_METADATA_HOST="$GCE_METADATA_HOST"; then
    GCS_NOTE="skipped: neo4j-restore from gs:// failed ($(grep -m1 -E ' error: ' "$LOGS/$LABEL-$set-restore-gcs-$REP.log" | cut -c1-300 || echo "see $LOGS"))"
    log "GCS cases $GCS_NOTE"
    return 0
  fi
  must "$set" "fetch gcs" fetch_gcs GCS_URL="$url" GCS_TOKEN="$token"
  must "$set" "old gcs" old_gcs GCS_URL="$url" GCS_TOKEN="$token" STANDIN_VERSION="$version"
}

bench_size() {
  LABEL=$1
  dataset "$LABEL"
  DATA_BYTES=$(find "$LIVE" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d\n", s }')
  # room for the data, the whole archive beside it (old pipeline) and slack
  VOL_BYTES=$((DATA_BYTES * 2 + 256 * 1024 * 1024))
  TOUCH_MIB=$((DATA_BYTES / 1024 / 1024 + 64))
  "$PY" "$BENCH/report.py" dataset "$RAW" label="$LABEL" data_bytes="$DATA_BYTES" \
    files="$(find "$LIVE" -type f | wc -l)" artifact_bytes="$(stat -c %s "$ARTIFACT")"
  rm -rf "$SETS" && mkdir -p "$SETS"
  WARM=()
  for ((REP = 1; REP <= REPEAT; REP++)); do
    log "$LABEL: run $REP of $REPEAT"
    backup_cases 4.4 4.4.10
    tar_cases
    backup_cases 5 5.26.0 BENCH_ARTIFACT="$ARTIFACT"
    restore_cases 4.4-gzip 4.4.10
    restore_cases 4.4-zstd 4.4.10
    restore_cases 5-gzip 5.26.0
    s3_cases
  done
  rm -rf "$SETS"
  if s3_ok; then
    s3_clear "$LABEL/"
    rm -f "$WORK/rgw/uploaded-$LABEL-"*
  fi
}

main() {
  check_tools
  mkdir -p "$OUT" "$WORK" "$LOGS"
  rm -f "$RAW" "$LOGS"/*.log
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  machine_info
  start_gcs
  start_s3
  # the capped link: S3 through the fault proxy (its rate set by start_s3)
  S3_CAPPED=(AWS_ENDPOINT_URL="${RGW_PROXY_ENDPOINT:-}" AWS_ENDPOINT_URL_S3="${RGW_PROXY_ENDPOINT:-}")
  local t0=$SECONDS label
  for label in $SIZES; do
    bench_size "$label"
  done
  # what went through the capped link (the proxy's request log)
  if s3_ok; then rgw_proxy_log >"$LOGS/s3-proxy.log" || true; fi
  "$PY" "$BENCH/report.py" build "$RAW" "$OUT" --machine "$OUT/machine.json" \
    --gcs-note "$GCS_NOTE" --s3-note "$S3_NOTE" --s3-cap "$S3_CAP" --azure-note "$AZURE_NOTE" --elapsed $((SECONDS - t0))
  gnuplot -e "dat='$OUT/bench.dat'; out='$OUT/bench.png'" "$BENCH/plot.gp"
  log "done in $((SECONDS - t0)) s: $OUT/results.md, results.json, bench.png"
  cat "$OUT/results.md"
}

main "$@"

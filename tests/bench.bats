#!/usr/bin/env bats
# make bench, once, at a tiny size: it must keep producing its table, JSON
# and chart with sane fields, every store included (local, the GCS
# emulator, a Ceph RGW with the fault proxy as the capped link). Nothing
# about time is asserted. Also the database generator's promises:
# deterministic, gzip ratio 2 to 4.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  export BENCH_OUT="$BATS_FILE_TMPDIR/out"
  # fd 3 is bats' own: the emulator the benchmark starts must not hold it
  BENCH_SIZES="4M 8M" BENCH_REPEAT=1 BENCH_CASES=. "$PROJECT_ROOT/scripts/bench.sh" \
    >"$BATS_FILE_TMPDIR/bench.log" 2>&1 3>&- || echo $? >"$BATS_FILE_TMPDIR/bench.failed"
}

setup() {
  load helpers
  load_bats_libs
}

# jq-like checks on results.json: a Python expression on `r` that must hold
results_hold() {
  "$SYS_PYTHON" - "$BENCH_OUT/results.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("does not hold:", sys.argv[2])
sys.exit(0 if ok else 1)
PY
}

@test "the benchmark runs to the end at a tiny size" {
  if [ -e "$BATS_FILE_TMPDIR/bench.failed" ]; then
    tail -40 "$BATS_FILE_TMPDIR/bench.log"
    false
  fi
  run grep -c "bench: done in" "$BATS_FILE_TMPDIR/bench.log"
  assert_output 1
  # it cleans up after itself: no tmpfs left mounted, no scratch but the cache
  run findmnt -rn -o TARGET
  refute_output --partial "$BENCH_OUT"
  run ls "$BENCH_OUT/work"
  assert_output cache
}

@test "results.md: the data sets, restore, backup and goals tables" {
  md="$BENCH_OUT/results.md"
  grep -q '^## Data sets' "$md"
  grep -q '^## Restore' "$md"
  grep -q '^## Backup' "$md"
  grep -q '^## Goals' "$md"
  for size in 4M 8M; do
    for row in "4.4-gzip | restore |" "4.4-gzip | tar -x |" "4.4-gzip | fetch local |" \
      "4.4-gzip | old local |" "4.4-zstd | restore |" "5-gzip | restore |" \
      "4.4-gzip | backup |" "4.4-gzip | tar -c |" "4.4-zstd | backup |" "4.4-zstd | tar -c |" \
      "5-gzip | backup |" "5-zstd | backup |" "4.4-gzip | restore today |" \
      "4.4-zstd | restore today |" "4.4-gzip | igzip + tar |" "4.4-gzip | backup today |" \
      "4.4-gzip | tar + pigz |" "4.4-gzip | restore s3 |" "4.4-gzip | restore s3 x1 |" \
      "4.4-gzip | backup s3 |" "5-zstd | restore s3 capped x1 |" "5-zstd | restore s3 capped x4 |" \
      "5-zstd | backup s3 capped x1 |" "5-zstd | backup s3 capped x4 |"; do
      grep -qF "| $size | $row" "$md" || { echo "no row '$size | $row'"; false; }
    done
  done
  # every goal of the issue is computed
  for goal in "max(fetch-only, tar -x)" "peak RSS" "archive bytes on DATA_DIR" "tar -czf" "throughput / gzip" \
    "gzip restore speed-up over today's" "igzip -dc" "zstd restore speed-up over today's" \
    "tar --zstd -xf" "today's gzip -6" "pigz -p2" "archive size at the default level" \
    "neo4j-backup gzip peak RSS" "peak RSS at PARALLEL_READS=1" "peak RSS at the default PARALLEL_READS" \
    "peak RSS to S3 at the default PARALLEL_UPLOADS" "restore from S3 (RGW) / from the local bucket" \
    "backup to S3 (RGW) / to the local bucket" "restore from the GCS emulator / from the local bucket" \
    "4 parallel reads' speed-up over 1" "4 parallel parts' speed-up over 1" "Azure (azurite) / the local bucket"; do
    grep -F "$goal" "$md" | grep -q '^| ' || { echo "no goal row '$goal'"; false; }
  done
}

@test "results.json: every case with sane figures" {
  results_hold 'len(r["datasets"]) == 2 and [d["label"] for d in r["datasets"]] == ["4M", "8M"]'
  results_hold 'not r["failed_cases"]'
  results_hold 'len(r["cases"]) >= 2 * 23'
  results_hold 'all(c["runs"] == 1 and 0 < c["min_s"] <= c["median_s"] <= c["max_s"] for c in r["cases"])'
  results_hold 'all(c["mb_s"] > 0 and c["peak_rss_kib"] > 0 for c in r["cases"])'
  # our tools' own memory is measured, and bounded
  results_hold 'all(0 < c["tool_rss_kib"] < 64 * 1024 for c in r["cases"] if c["case"] in ("restore", "restore gcs", "backup") or " s3" in c["case"])'
  # our gzip stays within 5 % of gzip -6 (the default level's promise)
  results_hold 'all(d["archives"]["4.4-gzip"] <= 1.05 * d["archives"]["4.4-gzip today"] for d in r["datasets"])'
  # a restore ends with the data on DATA_DIR and no archive beside it
  # (the old pipeline's archive is on it for a few ms at this size: the
  # 20 ms sampling cannot promise to see it, so it is not asserted here)
  results_hold 'all(0.95 < c["disk_vs_data"] < 1.2 for c in r["cases"] if c["set"].startswith("4.4") and c["case"] in ("restore", "restore gcs", "tar -x"))'
  results_hold 'all(c["disk_extra_bytes"] >= 0 for c in r["cases"] if c["case"] in ("restore", "restore gcs"))'
  results_hold 'all(c["peak_disk_bytes"] == 0 for c in r["cases"] if c["case"].startswith("fetch"))'
  # the ratios the goals need
  results_hold 'all(c["vs_limit"] > 0 for c in r["cases"] if c["case"] in ("restore", "restore gcs"))'
  results_hold 'all(c["vs_old"] > 0 for c in r["cases"] if c["set"] == "4.4-gzip" and c["case"] in ("restore", "restore gcs"))'
  results_hold 'all(c["vs_tar"] > 0 for c in r["cases"] if c["set"].startswith("4.4") and c["case"] == "backup")'
  results_hold 'len(r["goals"]) == 28 and all(g["values"] for g in r["goals"] if "gcs" not in g["goal"] and "azure" not in g["goal"])'
  # a goal with no figures says why (Azure, until its driver is in)
  results_hold 'all(g["note"] for g in r["goals"] if not g["values"] and "gcs" not in g["goal"])'
}

@test "the generated databases compress 2 to 4 times with gzip" {
  results_hold 'all(2 <= d["data_bytes"] / d["archives"][k] <= 4 for d in r["datasets"] for k in ("4.4-gzip", "4.4-gzip tar"))'
  results_hold 'all(d["files"] >= 32 for d in r["datasets"])'
}

@test "GCS: the emulator cases ran (the suite carries the emulator)" {
  results_hold 'r["gcs"] == "ok"'
  grep -qF "| 8M | 4.4-gzip | restore gcs |" "$BENCH_OUT/results.md"
  grep -qF "| 8M | 4.4-gzip | old gcs |" "$BENCH_OUT/results.md"
}

@test "S3: the RGW cases ran, uncapped and on the capped link, in the stores table" {
  results_hold 'r["s3"] == "ok" and r["s3_cap_bytes_s"] == 50000000'
  results_hold 'all(len(g["values"]) == 2 for g in r["goals"] if g["goal"].startswith(("capped_speedup/", "store_vs_local/restore s3", "store_vs_local/backup s3", "restore_rss_par", "backup_rss_par")))'
  md="$BENCH_OUT/results.md"
  for size in 4M 8M; do
    for row in "local" "GCS emulator" "S3 (RGW)" "S3 (RGW) x1" "Azure (azurite)"; do
      grep -qF "| $size | $row |" "$md" || { echo "no stores row '$size | $row'"; false; }
    done
    grep -qE "^\| $size \| restore \| [0-9.]+ \| [0-9]+ \| [0-9.]+ \| [0-9]+ \| [0-9.]+ \|" "$md"
    grep -qE "^\| $size \| backup \| [0-9.]+ \| [0-9]+ \| [0-9.]+ \| [0-9]+ \| [0-9.]+ \|" "$md"
  done
  grep -q '^## Stores' "$md"
  grep -q '^## Capped link' "$md"
  # the capped cases went through the capped proxy: their reads and writes
  # are in its request log (METHOD PATH?QUERY RANGE STATUS ...), and only they
  log="$BENCH_OUT/logs/s3-proxy.log"
  grep -qE $'^GET\t/bench/8M/5-zstd/neo4j/neo4j-[^\t]+\\.tar\\.zst\t[^\t]+\t20[06]\t' "$log"
  grep -qE $'^PUT\t/bench/8M/backups/5-zstd-backup-s3-capped-x4-1/neo4j/[^\t]+\\.tar\\.zst[^\t]*\t-\t200\t' "$log"
  run grep -cE $'\t/bench/8M/(4\\.4-gzip|backups/4\\.4)' "$log"
  assert_output 0
}

@test "bench.png is a PNG chart" {
  [ "$(head -c 8 "$BENCH_OUT/bench.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
  [ "$(stat -c %s "$BENCH_OUT/bench.png")" -gt 10000 ]
}

@test "the generator is deterministic, and the seed changes the bytes" {
  gen="$PROJECT_ROOT/bench/gen_db.py"
  "$SYS_PYTHON" "$gen" "$BATS_TEST_TMPDIR/a" 2M >/dev/null
  "$SYS_PYTHON" "$gen" "$BATS_TEST_TMPDIR/b" 2M >/dev/null
  "$SYS_PYTHON" "$gen" "$BATS_TEST_TMPDIR/c" 2M --seed 2 >/dev/null
  same_tree "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
  [ "$(snapshot "$BATS_TEST_TMPDIR/a")" = "$(snapshot "$BATS_TEST_TMPDIR/b")" ]
  run ! same_tree "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/c"
  # exactly the size asked for, with transaction logs and index folders
  [ "$(find "$BATS_TEST_TMPDIR/a" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }')" = $((2 * 1024 * 1024)) ]
  ls "$BATS_TEST_TMPDIR/a/neo4j/neostore.transaction.db.0" "$BATS_TEST_TMPDIR/a/neo4j/schema/index"
}

@test "the 5.x artifact is a deterministic gzip tar the stand-in can restore" {
  gen="$PROJECT_ROOT/bench/gen_db.py"
  "$SYS_PYTHON" "$gen" "$BATS_TEST_TMPDIR/a" 2M --artifact "$BATS_TEST_TMPDIR/1.backup" >/dev/null
  "$SYS_PYTHON" "$gen" "$BATS_TEST_TMPDIR/b" 2M --artifact "$BATS_TEST_TMPDIR/2.backup" >/dev/null
  cmp "$BATS_TEST_TMPDIR/1.backup" "$BATS_TEST_TMPDIR/2.backup"
  gzip -t "$BATS_TEST_TMPDIR/1.backup"
  mkdir -p "$BATS_TEST_TMPDIR/arts"
  cp "$BATS_TEST_TMPDIR/1.backup" "$BATS_TEST_TMPDIR/arts/neo4j-2024-01-02T03-04-05.backup"
  STANDIN_VERSION=5.26.0 run neo4j-admin database restore --from-path="$BATS_TEST_TMPDIR/arts" \
    --to-path-data="$BATS_TEST_TMPDIR/r/data" --to-path-txn="$BATS_TEST_TMPDIR/r/txn" neo4j
  assert_success
  mkdir -p "$BATS_TEST_TMPDIR/merged"
  cp -a "$BATS_TEST_TMPDIR/r/data/neo4j/." "$BATS_TEST_TMPDIR/r/txn/neo4j/." "$BATS_TEST_TMPDIR/merged/"
  same_tree "$BATS_TEST_TMPDIR/a/neo4j" "$BATS_TEST_TMPDIR/merged"
}

#!/usr/bin/env bats
# gzip made by neo4j-backup's parallel compressor, read by other tools, and
# restore's own decoding (ISA-L gzip, zstd) of archives other tools made.

setup() {
  load helpers
  setup_workspace
  export STANDIN_VERSION=4.4.10
  # several compression chunks (1 MiB each) with zeros, records and noise
  make_live_db "$W/live" neo4j 3500
}

archive() { echo "$W/bucket/neo4j/neo4j-$1.tar.gz"; }

# set_manifest STAMP [ARCHIVE]: the manifest's size and sha256 follow its
# archive (default: the .tar.gz) after a test rewrote it.
set_manifest() {
  local m="$W/bucket/neo4j/neo4j-$1.manifest.json" a=${2:-$(archive "$1")}
  "$SYS_PYTHON" - "$m" "$a" <<'PY'
import hashlib, json, os, sys
m, a = sys.argv[1], sys.argv[2]
d = json.load(open(m))
d["archive"]["bytes"] = os.path.getsize(a)
d["archive"]["sha256"] = hashlib.sha256(open(a, "rb").read()).hexdigest()
json.dump(d, open(m, "w"))
PY
  cp "$m" "$W/bucket/neo4j/neo4j-latest.manifest.json"
}

@test "every gzip level writes one member that gzip -t, GNU tar and Python's tarfile read" {
  local level stamp a
  for level in 0 1 2 4 5 9; do
    stamp=2026-11-24-13:05:0$level
    run neo4j-backup --timestamp="$stamp" --compression-level=$level --compression-threads=2
    echo "$output"
    assert_success
    a=$(archive "$stamp")
    gzip -t "$a"
    # one member: gzip -l sees the whole tar's length in its trailer
    [ "$(gzip -l "$a" | awk 'NR == 2 { print $2 }')" = "$(gzip -dc "$a" | wc -c)" ]
    rm -rf "$W/gnu" "$W/py" && mkdir -p "$W/gnu" "$W/py"
    tar -xzf "$a" -C "$W/gnu"
    same_tree "$W/live/neo4j" "$W/gnu/backups/neo4j"
    "$SYS_PYTHON" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:gz").extractall(sys.argv[2])' "$a" "$W/py"
    same_tree "$W/live/neo4j" "$W/py/backups/neo4j"
  done
}

@test "the default level restores through ISA-L, byte for byte" {
  run neo4j-backup --timestamp=2026-11-24-13:05:00 --compression-threads=2
  assert_success
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "a multi-member gzip archive (gzip files concatenated) restores" {
  run neo4j-backup --timestamp=2026-11-24-13:05:00
  assert_success
  a=$(archive 2026-11-24-13:05:00)
  gzip -dc "$a" >"$W/set.tar"
  # three members, cut at arbitrary points of the tar stream
  { head -c 1000000 "$W/set.tar" | gzip -1
    tail -c +1000001 "$W/set.tar" | head -c 1500000 | gzip -9
    tail -c +2500001 "$W/set.tar" | gzip; } >"$a"
  set_manifest 2026-11-24-13:05:00
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

@test "a gzip member whose length field lies: exit 5, DATA_DIR unchanged" {
  run neo4j-backup --timestamp=2026-11-24-13:05:00
  assert_success
  a=$(archive 2026-11-24-13:05:00)
  before=$(snapshot "$DATA_DIR")
  # ISIZE is the last 4 bytes; the manifest is made to agree, so only the
  # decoder's own check can notice
  "$SYS_PYTHON" -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(-1, 2); b = f.read(1); f.seek(-1, 2); f.write(bytes([b[0] ^ 1]))' "$a"
  set_manifest 2026-11-24-13:05:00
  run neo4j-restore
  echo "$output"
  assert_failure 5
  assert_output --partial "fails its CRC-32 or length check"
  assert_output --partial "nothing under DATA_DIR was changed"
  [ "$(snapshot "$DATA_DIR")" = "$before" ]
}

@test "a zstd archive of several frames (zstd of concatenated parts) restores" {
  run neo4j-backup --timestamp=2026-11-24-13:05:00 --compression=zstd
  assert_success
  a="$W/bucket/neo4j/neo4j-2026-11-24-13:05:00.tar.zst"
  zstd -qdc "$a" >"$W/set.tar"
  { head -c 1000000 "$W/set.tar" | zstd -q -1
    tail -c +1000001 "$W/set.tar" | zstd -q -19; } >"$a"
  set_manifest 2026-11-24-13:05:00 "$a"
  run neo4j-restore
  echo "$output"
  assert_success
  restored_equals_live neo4j
}

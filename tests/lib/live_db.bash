# shellcheck shell=bash
# make_live_db DIR DB [SIZE_KB]
#
# Creates a deterministic fake "live" Neo4j database folder DIR/DB/ (what the
# neo4j-admin stand-in backs up from $STANDIN_LIVE_DIR/DB/):
#
#   neostore                                   small header + pattern
#   neostore.nodestore.db                      zeros (compresses well)
#   neostore.relationshipstore.db              a repeated record pattern
#   neostore.propertystore.db                  pseudo-random bytes
#   neostore.propertystore.db.strings          pseudo-random, small
#   neostore.labeltokenstore.db                zeros, small
#   schema/index/token-lookup-1/index-1        nested folder, pseudo-random
#   neostore.transaction.db.0, .1              transaction logs (mixed)
#
# The same DB name and SIZE_KB always give the same bytes (the generator is
# seeded from both); different DB names give different content. SIZE_KB
# (default 256) is the rough total size. Fast: head -c and one short
# Python call for the pseudo-random part.

make_live_db() {
  local dir=${1:?make_live_db DIR DB [SIZE_KB]} db=${2:?make_live_db DIR DB [SIZE_KB]}
  local size_kb=${3:-256}
  local d="$dir/$db"
  local total=$((size_kb * 1024))
  local zeros=$((total * 35 / 100)) pattern=$((total * 25 / 100)) random=$((total * 25 / 100))
  local small=$((total / 64 + 1)) txlog=$((total * 10 / 100 / 2 + 1))
  local py=${SYS_PYTHON:-/usr/bin/python3}

  mkdir -p "$d/schema/index/token-lookup-1" || return 1

  printf 'NEO4J-STANDIN-STORE v1 db=%s size_kb=%s\n' "$db" "$size_kb" >"$d/neostore"
  head -c "$zeros" /dev/zero >"$d/neostore.nodestore.db"
  head -c "$small" /dev/zero >"$d/neostore.labeltokenstore.db"

  # a repeated 64-byte record, cut to length
  local rec
  rec=$(printf 'REL:%s:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU' "$db" | head -c 63)
  { yes "$rec" || true; } | head -c "$pattern" >"$d/neostore.relationshipstore.db"

  # pseudo-random parts, seeded from the db name and size (deterministic)
  "$py" - "$d" "$db" "$size_kb" "$random" "$small" "$txlog" <<'PY' || return 1
import random, sys
d, db, size_kb, rnd, small, txlog = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:])
g = random.Random("%s/%s" % (db, size_kb))
def w(name, data):
    with open(d + "/" + name, "wb") as f:
        f.write(data)
w("neostore.propertystore.db", g.randbytes(rnd))
w("neostore.propertystore.db.strings", g.randbytes(small))
w("schema/index/token-lookup-1/index-1", g.randbytes(small) + bytes(small))
for n in (0, 1):
    body = b"".join(b"TX%08d" % i + g.randbytes(22) for i in range(txlog // 32 + 1))
    w("neostore.transaction.db.%d" % n, body[:txlog])
w("neostore", open(d + "/neostore", "rb").read() + g.randbytes(48))
PY
  # a fixed mtime, so copies can be compared with stat as well
  find "$d" -exec touch -h -d '2024-01-02 03:04:05' {} +
}

# rand_file PATH BYTES SEED: incompressible, reproducible bytes, fast.
rand_file() {
  mkdir -p "$(dirname "$1")"
  openssl enc -aes-128-ctr -nosalt -pass "pass:$3" -in /dev/zero 2>/dev/null | head -c "$2" >"$1"
}

# big_live_db SIZE: a live database "neo4j" under $W/live whose archive is
# about SIZE bytes (mostly incompressible, seeded by the test's number).
big_live_db() {
  rm -rf "$W/live/neo4j"
  make_live_db "$W/live" neo4j 64
  rand_file "$W/live/neo4j/neostore.propertystore.db" "$1" "$BATS_TEST_NUMBER"
}

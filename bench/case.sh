#!/bin/bash
# One benchmark case: `case.sh NAME`, run by bench/measure.py (which times
# it) from scripts/bench.sh (which sets the environment below up, untimed).
#
#   VOL          a fresh, empty tmpfs for this case: DATA_DIR=$VOL/data,
#                BACKUP_DIR=$VOL/backups (its peak use is the case's disk)
#   DB           the database name;  LIVE  the folder holding DB/
#   ARCHIVE      the set's archive in the local bucket (fetch, extract, old)
#   OUT          the file a tar baseline writes (in an empty local bucket)
#   GCS_URL      the archive's media URL on the emulator, GCS_TOKEN a token
#   BUCKET, DATABASE, STANDIN_VERSION, NEO4J_ADMIN, ...: for our tools
#   NB_BENCH_LIBARCHIVE_CODEC=1: our tools with libarchive's gzip and zstd
#                filters on one thread, as before issue 13 ("today" cases)
#
# Every case writes its result where the tools would: restores under
# DATA_DIR, backups into the local bucket, durably (fsync) like
# neo4j-backup's local driver.
set -euo pipefail

# ---- restores ----

# neo4j-restore from $BUCKET (file:// or gs://): latest, into DATA_DIR.
restore() {
  exec neo4j-restore
}

# The limit: the same archive extracted straight into place by GNU tar.
extract() {
  mkdir -p "$DATA_DIR/databases"
  case $ARCHIVE in
    *.zst) exec tar --zstd -xf "$ARCHIVE" -C "$DATA_DIR/databases" ;;
    *) exec tar -xzf "$ARCHIVE" -C "$DATA_DIR/databases" ;;
  esac
}

# Issue 13's reference: ISA-L's igzip and GNU tar in two processes (both
# cores), the same archive.
extract_igzip() {
  mkdir -p "$DATA_DIR/databases"
  igzip -dc "$ARCHIVE" | tar -xf - -C "$DATA_DIR/databases"
}

# The limit: the archive read from the bucket, nothing done with it.
fetch_local() {
  exec cat "$ARCHIVE" >/dev/null
}

fetch_gcs() {
  exec curl -fsS -o /dev/null -H "Authorization: Bearer $GCS_TOKEN" "$GCS_URL"
}

# The neo4j-helm pipeline: the whole archive fetched to a file on the data
# volume, `tar -zxvf`, neo4j-admin restore --move, the staging removed.
old_pipeline() { # old_pipeline FETCH_COMMAND...
  local stage=$DATA_DIR/.restore
  mkdir -p "$stage" "$DATA_DIR/databases" "$DATA_DIR/transactions"
  "$@" "$stage/$DB.tar.gz"
  (cd "$stage" && tar -zxvf "$DB.tar.gz") >/dev/null
  "$NEO4J_ADMIN" restore --from="$stage/backups/$DB" --database="$DB" --move \
    --to-data-directory="$DATA_DIR/databases" --to-data-tx-directory="$DATA_DIR/transactions"
  rm -rf "$stage"
}

old_local() {
  old_pipeline cp "$ARCHIVE"
}

old_gcs() {
  old_pipeline curl -fsS -H "Authorization: Bearer $GCS_TOKEN" "$GCS_URL" -o
}

# ---- backups ----

backup_gzip() {
  exec neo4j-backup --compression=gzip
}

backup_zstd() {
  exec neo4j-backup --compression=zstd --compression-threads=2
}

# The baselines: GNU tar of the live folder (the bytes neo4j-admin's backup
# holds), gzip -6 and zstd -3 on 2 threads, then fsync like our driver.
tar_gzip() {
  tar -czf "$OUT" -C "$LIVE" "$DB"
  sync "$OUT"
}

# pigz on 2 threads at its default level (6), the same tar stream.
tar_pigz() {
  tar -cf - -C "$LIVE" "$DB" | pigz -p2 >"$OUT"
  sync "$OUT"
}

tar_zstd() {
  tar -cf - -C "$LIVE" "$DB" | zstd -q -3 -T2 -o "$OUT"
  sync "$OUT"
}

name=${1:?usage: case.sh NAME}
case $name in
  restore | extract | extract_igzip | fetch_local | fetch_gcs | old_local | old_gcs | backup_gzip | backup_zstd | \
    tar_gzip | tar_pigz | tar_zstd) "$name" ;;
  *)
    echo "case.sh: unknown case '$name'" >&2
    exit 2
    ;;
esac

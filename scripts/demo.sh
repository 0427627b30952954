#!/bin/sh
# make demo: back up a sample database to a local bucket, then restore it
# into a fresh data folder, with the test suite's neo4j-admin stand-in
# playing Neo4j. Shows every step the tools log.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
demo=${DEMO_DIR:-$(mktemp -d /tmp/neo4j-backup-demo.XXXXXX)}
export PATH="$root/tests/bin:$root/bin:$PATH"
export STANDIN_VERSION="${STANDIN_VERSION:-5.26.0}" STANDIN_LIVE_DIR="$demo/live"
export SYS_PYTHON=/usr/bin/python3

. "$root/tests/lib/live_db.bash"
make_live_db "$demo/live" neo4j 4096
make_live_db "$demo/live" system 256
mkdir -p "$demo/bucket" "$demo/data"

echo "== neo4j-backup: Neo4j $STANDIN_VERSION (stand-in) -> file://$demo/bucket"
BUCKET="file://$demo/bucket" DATABASE=neo4j,system NEO4J_ADDR=localhost:6362 \
    BACKUP_DIR="$demo/backups" neo4j-backup

echo
echo "== the bucket"
(cd "$demo/bucket" && find . -type f | sort)

echo
echo "== neo4j-restore: file://$demo/bucket -> DATA_DIR=$demo/data"
BUCKET="file://$demo/bucket" DATABASE=neo4j,system DATA_DIR="$demo/data" neo4j-restore

echo
echo "== restored store files match the live database:"
for db in neo4j system; do
    a=$(cd "$demo/live/$db" && find . -type f ! -name 'neostore.transaction.db.*' -exec sha256sum {} + | sort -k2 | sha256sum)
    b=$(cd "$demo/data/databases/$db" && find . -type f -exec sha256sum {} + | sort -k2 | sha256sum)
    [ "$a" = "$b" ] && echo "   $db: identical" || { echo "   $db: DIFFERENT"; exit 1; }
done
echo
echo "demo folder: $demo (remove it when done)"

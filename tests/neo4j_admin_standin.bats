#!/usr/bin/env bats
# Tests of the neo4j-admin stand-in itself (tests/bin/neo4j-admin).
# File names here are the stand-in's own (no spaces): ls is fine.
# shellcheck disable=SC2010,SC2012,SC2154

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/live_db
  make_live_db "$BATS_FILE_TMPDIR/live" neo4j 64
  make_live_db "$BATS_FILE_TMPDIR/live" system 16
}

setup() {
  load helpers
  load_bats_libs
  unset STANDIN_VERSION STANDIN_EXIT STANDIN_INCONSISTENT STANDIN_HANG \
    STANDIN_HANG_READY STANDIN_LOG STANDIN_DATA_DIR HEAP_SIZE
  # a scratch folder of its own: bats keeps files in BATS_TEST_TMPDIR
  T=$BATS_TEST_TMPDIR/w
  export STANDIN_LIVE_DIR="$T/live"
  export NEO4J_HOME="$T/home"
  mkdir -p "$T/bk"
  cp -a "$BATS_FILE_TMPDIR/live" "$T/live"
  cd "$T" || return 1
}

# the state of the scratch folder: names, types, sizes, mtimes
tree_state() {
  find "$T" -mindepth 1 -printf '%P %y %s %T@\n' | LC_ALL=C sort
}

# refused STATUS ARGS...: neo4j-admin exits STATUS, says why on stderr and
# changes nothing; a usage error (2) prints nothing on stdout.
refused() {
  local want=$1
  shift
  local before
  before=$(tree_state)
  run --separate-stderr neo4j-admin "$@"
  if [ "$status" -ne "$want" ]; then
    fail "neo4j-admin $* exited $status, expected $want; stderr: $stderr"
  fi
  [ -n "$stderr" ] || fail "neo4j-admin $*: no message on stderr"
  if [ "$want" -eq 2 ] && [ -n "$output" ]; then
    fail "neo4j-admin $*: usage error printed on stdout: $output"
  fi
  assert_equal "$(tree_state)" "$before"
}

# first_error LINE: the first stderr line of the last run is LINE
first_error() {
  assert_equal "${stderr_lines[0]}" "$1"
}

# stderr_has TEXT: the stderr of the last run contains TEXT
stderr_has() {
  [[ $stderr == *"$1"* ]] || fail "stderr lacks '$1': $stderr"
}

# merged_equals_live DATA_ROOT TX_ROOT DB: store files under DATA_ROOT/DB,
# transaction logs under TX_ROOT/DB, and together byte-identical to live.
merged_equals_live() {
  local data=$1/$3 tx=$2/$3
  [ -f "$data/neostore" ] || fail "no $data/neostore"
  [ -z "$(find "$data" -name 'neostore.transaction.db.*')" ] || fail "transaction logs in $data"
  [ -f "$tx/neostore.transaction.db.0" ] || fail "no transaction log in $tx"
  rm -rf "$T/merged" && mkdir "$T/merged"
  cp -a "$data/." "$T/merged/"
  cp -a "$tx/." "$T/merged/"
  run diff -r "$T/merged" "$STANDIN_LIVE_DIR/$3"
  assert_success
  rm -rf "$T/merged"
}

# -------------------------------------------------------------------------
# dialects, version, top level

@test "--version: bare version on 5.x and calendar versions, 'neo4j-admin X' on 4.4" {
  run neo4j-admin --version
  assert_success
  assert_output "5.26.0"
  STANDIN_VERSION=2025.10.1 run neo4j-admin --version
  assert_output "2025.10.1"
  STANDIN_VERSION=4.4.10 run neo4j-admin --version
  assert_success
  assert_output "neo4j-admin 4.4.10"
  STANDIN_VERSION=5.26.0 run neo4j-admin version
  assert_output "neo4j 5.26.0"
}

@test "no arguments: usage on stdout, exit 2 (picocli ExitCode.USAGE)" {
  run --separate-stderr neo4j-admin
  assert_failure 2
  assert_output --partial "Usage: neo4j-admin"
}

@test "cross-dialect commands are refused like unknown commands" {
  refused 2 backup --backup-dir=bk --database=neo4j
  refused 2 restore --from=bk/neo4j
  refused 2 unbind
  first_error "Unmatched argument at index 0: 'unbind'"
  export STANDIN_VERSION=4.4.10
  refused 2 database backup --to-path=bk neo4j
  refused 2 database restore --from-path=bk neo4j
  refused 2 server unbind
  refused 2 database check --from-path=bk neo4j
}

@test "unknown commands and options at the top level are usage errors" {
  refused 2 database frobnicate
  refused 2 frobnicate
  refused 2 --frobnicate
  refused 2 database
  # real commands the stand-in does not model: a set-up error of the test
  run neo4j-admin database dump --to-path=x neo4j
  assert_failure 125
  STANDIN_VERSION=4.4.10 run neo4j-admin store-info --database=neo4j
  assert_failure 125
}

@test "a bad STANDIN_VERSION is a set-up error of the test, not a usage error" {
  STANDIN_VERSION=banana run neo4j-admin --version
  assert_failure 125
  STANDIN_VERSION=3.5.14 run neo4j-admin --version
  assert_failure 125
}

# -------------------------------------------------------------------------
# usage errors: refused with exit 2, nothing changed

@test "4.4: unknown option, missing required, bad boolean and enum values are refused" {
  export STANDIN_VERSION=4.4.10
  refused 2 backup --backup-dir=bk --frobnicate
  first_error "Unknown option: '--frobnicate'"
  refused 2 backup --database=neo4j
  first_error "Missing required option: '--backup-dir=<path>'"
  refused 2 backup --backup-dir=bk --check-consistency=maybe
  first_error "Invalid value for option '--check-consistency': 'maybe' is not a boolean"
  refused 2 backup --backup-dir=bk --check-consistency
  refused 2 backup --backup-dir=bk --check-consistency --report-dir=r
  refused 2 backup --backup-dir=bk --fallback-to-full=yes
  refused 2 backup --backup-dir=bk --check-graph=1
  refused 2 backup --backup-dir=bk --include-metadata=none
  refused 2 backup --backup-dir=bk --backup-dir=bk
  refused 2 backup --backup-dir=bk extra
  refused 2 backup --backup-dir=
  refused 2 backup --backup-dir=bk --database=no_such_name!
  refused 2 backup --backup-dir=bk --compress
  refused 2 backup --backup-dir=bk --parallel-recovery=maybe
  refused 2 restore --database=neo4j
  refused 2 restore --from=bk/neo4j --force=true
  first_error "option '--force' should be specified without 'true' parameter"
  refused 2 restore --from=bk/neo4j --overwrite-destination
  refused 2 restore --from
  refused 2 unbind --archive-cluster-state
  refused 2 unbind --archive-cluster-state=perhaps
  refused 2 unbind --frobnicate
}

@test "5.x: unknown option, missing required, bad boolean, enum, size and address values are refused" {
  refused 2 database backup --to-path=bk --frobnicate neo4j
  first_error "Unknown option: '--frobnicate'"
  refused 2 database backup --to-path=bk --compress=yes neo4j
  first_error "Invalid value for option '--compress': 'yes' is not a boolean"
  refused 2 database backup --to-path=bk --type=INCREMENTAL neo4j
  refused 2 database backup --to-path=bk --from=nohost neo4j
  refused 2 database backup --to-path=bk --from=a:6362,b neo4j
  refused 2 database backup --to-path=bk --from=a:99999 neo4j
  refused 2 database backup --to-path=bk --pagecache=lots neo4j
  refused 2 database backup --to-path=bk --include-metadata=everything neo4j
  refused 2 database backup --to-path=bk --keep-failed=no neo4j
  refused 2 database backup --to-path=bk
  refused 2 database backup --to-path neo4j
  refused 2 database backup --to-path=bk --type
  refused 2 database backup --to-path=bk --verbose=true neo4j
  refused 2 database backup --backup-dir=bk neo4j
  refused 2 database check --from-path=bk
  first_error "Missing required parameter: '<database>'"
  refused 2 database check --from-path=bk neo4j --report-path
  refused 2 database check --from-path=bk --check-graph=1 neo4j
  refused 2 database check --from-path=bk neo4j system
  refused 2 database restore neo4j
  first_error "Missing required option: '--from-path=<path>'"
  refused 2 database restore --from-path=bk --overwrite-destination=yes neo4j
  refused 2 database restore --from-path=bk --restore-until=yesterday neo4j
  refused 2 database restore --from-path=bk neo4j system
  refused 2 database restore --from-path=bk --force neo4j
  refused 2 server unbind --archive-cluster-state=maybe
  refused 2 server unbind --frobnicate
}

@test "usage errors are refused before STANDIN_EXIT or any work" {
  export STANDIN_EXIT=backup=1,restore=1
  refused 2 database backup --to-path=bk --type=SOMETIMES neo4j
  STANDIN_VERSION=4.4.10 refused 2 backup --backup-dir=bk --check-consistency=sure
}

# -------------------------------------------------------------------------
# each command with its documented flags, both forms

@test "4.4 backup accepts every documented flag, --opt=value and --opt value" {
  export STANDIN_VERSION=4.4.10
  echo "dbms.x=1" >extra.conf
  run neo4j-admin backup --backup-dir=bk --from=localhost:6362 --database=neo4j \
    --fallback-to-full=true --pagecache=2G --check-consistency=true --report-dir=rep \
    --check-graph=true --check-indexes=false --check-index-structure=true \
    --check-label-scan-store=true --check-relationship-type-scan-store=false \
    --check-property-owners=false --include-metadata=all --prepare-restore=true \
    --parallel-recovery --additional-config=extra.conf --verbose --expand-commands
  assert_success
  assert_output --partial "Backup complete successful."
  [ -f bk/neo4j/neostore ]
  [ -f bk/neo4j/tools/metadata_script.cypher ]
  run neo4j-admin backup --backup-dir bk --database system --check-consistency FALSE \
    --pagecache 512m --from my-neo4j.ns.svc:6362 --include-metadata USERS
  assert_success
  [ -f bk/system/neostore ]
}

@test "4.4 backup: a second run is incremental and refreshes the set" {
  export STANDIN_VERSION=4.4.10
  run neo4j-admin backup --backup-dir=bk --database=neo4j
  assert_success
  assert_output --partial "full backup"
  echo changed >>"$STANDIN_LIVE_DIR/neo4j/neostore.propertystore.db"
  rm "$STANDIN_LIVE_DIR/neo4j/neostore.labeltokenstore.db"
  run neo4j-admin backup --backup-dir=bk --database=neo4j
  assert_success
  assert_output --partial "incremental backup"
  run diff -r bk/neo4j "$STANDIN_LIVE_DIR/neo4j"
  assert_success
}

@test "4.4 backup: String options fail in execute (exit 1), a missing backup dir or database fails (exit 1)" {
  export STANDIN_VERSION=4.4.10
  refused 1 backup --backup-dir=bk --from=no-port
  refused 1 backup --backup-dir=bk --pagecache=huge
  refused 1 backup --backup-dir=missing --database=neo4j
  assert_output ""
  assert_equal "$stderr" "Path 'missing' does not exist."
  refused 1 backup --backup-dir=bk --database=nosuchdb
  unset STANDIN_LIVE_DIR
  refused 1 backup --backup-dir=bk
}

@test "4.4 backup: --database globbing backs up every matching database" {
  export STANDIN_VERSION=4.4.10
  run neo4j-admin backup --backup-dir=bk '--database=*'
  assert_success
  [ -f bk/neo4j/neostore ]
  [ -f bk/system/neostore ]
}

@test "4.4 restore accepts its documented flags; database name defaults to the last subpath" {
  export STANDIN_VERSION=4.4.10
  run neo4j-admin backup --backup-dir=bk --database=neo4j
  assert_success
  run neo4j-admin restore --from=bk/neo4j --database=neo4j --force --move \
    --to-data-directory="$T/d/databases" --to-data-tx-directory="$T/d/transactions" \
    --verbose --expand-commands
  assert_success
  assert_output "restorePath=$T/bk/neo4j, restoreStatus=successful, reason="
  merged_equals_live "$T/d/databases" "$T/d/transactions" neo4j
  # defaults: NEO4J_HOME/data/{databases,transactions}, name from the path
  mkdir -p stage && cp -a "$STANDIN_LIVE_DIR/system" stage/system
  run neo4j-admin restore --from stage/system
  assert_success
  merged_equals_live "$NEO4J_HOME/data/databases" "$NEO4J_HOME/data/transactions" system
}

@test "4.4 restore: not a backup, missing path, --database with several paths: exit 1, nothing changed" {
  export STANDIN_VERSION=4.4.10
  mkdir -p notabackup/neo4j && echo x >notabackup/neo4j/file
  refused 1 restore --from=notabackup/neo4j --to-data-directory=d --to-data-tx-directory=t
  assert_output --partial "restoreStatus=failed"
  refused 1 restore --from=nothere/neo4j
  cp -a "$STANDIN_LIVE_DIR/neo4j" bk/neo4j
  cp -a "$STANDIN_LIVE_DIR/system" bk/system
  refused 1 restore --from=bk/neo4j,bk/system --database=neo4j
  refused 1 restore '--from=bk/*' --to-data-directory=d
}

@test "4.4 restore: several paths and globs restore each under its own name" {
  export STANDIN_VERSION=4.4.10
  cp -a "$STANDIN_LIVE_DIR/neo4j" bk/neo4j
  cp -a "$STANDIN_LIVE_DIR/system" bk/system
  run neo4j-admin restore '--from=bk/*'
  assert_success
  assert_line --partial "bk/neo4j, restoreStatus=successful"
  assert_line --partial "bk/system, restoreStatus=successful"
  merged_equals_live "$NEO4J_HOME/data/databases" "$NEO4J_HOME/data/transactions" neo4j
  merged_equals_live "$NEO4J_HOME/data/databases" "$NEO4J_HOME/data/transactions" system
}

@test "4.4 unbind and 5.x server unbind remove the cluster state" {
  mkdir -p "$NEO4J_HOME/data/cluster-state/db" && echo s >"$NEO4J_HOME/data/cluster-state/db/x"
  STANDIN_VERSION=4.4.10 run neo4j-admin unbind --archive-cluster-state=false --verbose --expand-commands
  assert_success
  [ ! -e "$NEO4J_HOME/data/cluster-state" ]
  export STANDIN_DATA_DIR="$T/data"
  mkdir -p "$T/data/cluster-state" && echo s >"$T/data/cluster-state/x"
  run neo4j-admin server unbind --archive-cluster-state --archive-path="$T/arch" --verbose --expand-commands
  assert_success
  [ ! -e "$T/data/cluster-state" ]
  run ls "$T/arch"
  assert_output --regexp '^unbound_cluster_state\..*\.tar\.gz$'
  run neo4j-admin server unbind
  assert_success
}

@test "5.x database backup accepts every documented flag; optional booleans take true/false only" {
  echo "x=1" >extra.conf
  run neo4j-admin database backup --to-path=a --from=h1:6362,h2:6362 --from h3:6362 \
    --type=full --compress --keep-failed=false --include-metadata=none --pagecache=512m \
    --temp-path=tmp --parallel-recovery false --inspect-path= 2>/dev/null
  assert_failure 2
  run neo4j-admin database backup --to-path=a --from=h1:6362,h2:6362 --from h3:6362 \
    --type=full --compress --keep-failed=false --include-metadata=none --pagecache=512m \
    --temp-path=tmp --parallel-recovery false --additional-config=extra.conf \
    --verbose --expand-commands neo4j
  assert_success
  assert_output --partial "from servers: [h1:6362, h2:6362, h3:6362]"
  run ls a
  assert_output --regexp '^neo4j-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}\.backup$'
  # "--compress neo4j": neo4j is not a boolean, so it is the database
  run neo4j-admin database backup --to-path b --type AUTO --compress neo4j system
  assert_success
  run ls b
  assert_line --regexp '^neo4j-.*\.backup$'
  assert_line --regexp '^system-.*\.backup$'
  run neo4j-admin database backup --to-path=c '*'
  assert_success
  [ "$(ls c | wc -l)" -eq 2 ]
  run neo4j-admin database backup --inspect-path=c
  assert_success
  assert_output --partial "database=system"
}

@test "5.x backup: one artifact per run, never overwritten; gzip by default, tar with --compress=false" {
  run neo4j-admin database backup --to-path=a neo4j
  assert_success
  local first second
  first=$(ls a)
  run neo4j-admin database backup --to-path=a --compress=false neo4j
  assert_success
  second=$(ls a | grep -vxF "$first")
  run neo4j-admin database backup --to-path=a --type=DIFF neo4j
  assert_success
  assert_output --partial "differential"
  [ "$(ls a | wc -l)" -eq 3 ]
  run ls a
  refute_output --partial ".tmp"
  assert_equal "$(head -c2 "a/$first" | od -An -tx1 | tr -d ' ')" "1f8b"
  run gzip -t "a/$first"
  assert_success
  run tar -tf "a/$second"
  assert_success
  assert_line "neostore"
  run gzip -t "a/$second"
  assert_failure
}

@test "5.x backup: DIFF without a previous artifact, or a missing database: exit 1, nothing written" {
  refused 1 database backup --to-path=a --type=DIFF neo4j
  [ ! -e a ] || [ -z "$(ls a)" ]
  run --separate-stderr neo4j-admin database backup --to-path=a nosuchdb
  assert_failure 1
  [ -z "$(ls a)" ]
}

@test "5.x database check accepts its documented flags; finds the newest artifact" {
  run neo4j-admin database backup --to-path=a neo4j system
  assert_success
  run neo4j-admin database check --from-path=a --report-path=rep --check-graph=true \
    --check-indexes --check-counts false --check-property-owners=false --temp-path=tmp \
    --verbose --expand-commands neo4j
  assert_success
  assert_output --partial "is consistent"
  run neo4j-admin database check --from-path "a/$(ls a | grep '^system-')" system
  assert_success
  # no --from-path: the live database
  run neo4j-admin database check neo4j
  assert_success
  refused 1 database check --from-path=empty neo4j
  mkdir empty
  refused 1 database check --from-path=empty neo4j
}

@test "5.x database check: a truncated or garbage artifact fails with exit 1" {
  run neo4j-admin database backup --to-path=a neo4j
  assert_success
  local art
  art=a/$(ls a)
  head -c 3000 "$art" >"a/neo4j-2099-01-01T00-00-00.backup"
  run neo4j-admin database check --from-path=a neo4j
  assert_failure 1
  assert_output --partial "not readable"
  echo garbage >"a/neo4j-2099-01-01T00-00-00.backup"
  run neo4j-admin database check --from-path=a/neo4j-2099-01-01T00-00-00.backup neo4j
  assert_failure 1
  run neo4j-admin database check --from-path="$art" neo4j
  assert_success
}

@test "5.x restore accepts its documented flags" {
  run neo4j-admin database backup --to-path=a neo4j
  assert_success
  run neo4j-admin database restore --from-path=a --overwrite-destination=true \
    --restore-until="2024-01-02 03:04:05" --to-path-data="$T/d" --to-path-txn="$T/t" \
    --temp-path=tmp --source-database=neo4j --additional-config=x --verbose --expand-commands neo4j
  assert_success
  merged_equals_live "$T/d" "$T/t" neo4j
  run neo4j-admin database restore --from-path "a/$(ls a)" --restore-until 42 \
    --to-path-data "$T/d2" --to-path-txn "$T/t2" copy.of.neo4j
  assert_success
  [ -f "$T/d2/copy.of.neo4j/neostore" ]
  # defaults: NEO4J_HOME/data/...; the name comes from the artifact name
  run neo4j-admin database restore --from-path=a
  assert_success
  merged_equals_live "$NEO4J_HOME/data/databases" "$NEO4J_HOME/data/transactions" neo4j
}

# -------------------------------------------------------------------------
# round trips

@test "round trip 4.4: backup then restore (copy) is byte-identical" {
  export STANDIN_VERSION=4.4.10
  run neo4j-admin backup --backup-dir=bk --database=neo4j
  assert_success
  run neo4j-admin restore --from=bk/neo4j --to-data-directory="$T/data/databases" \
    --to-data-tx-directory="$T/data/transactions"
  assert_success
  merged_equals_live "$T/data/databases" "$T/data/transactions" neo4j
  # copied, so the backup set is still whole
  run diff -r bk/neo4j "$STANDIN_LIVE_DIR/neo4j"
  assert_success
}

@test "round trip 5.x: compressed and uncompressed artifacts restore byte-identical" {
  local c
  for c in true false; do
    rm -rf a "$T/d" "$T/t"
    run neo4j-admin database backup --to-path=a --compress=$c neo4j
    assert_success
    run neo4j-admin database restore --from-path=a --to-path-data="$T/d" --to-path-txn="$T/t" neo4j
    assert_success
    merged_equals_live "$T/d" "$T/t" neo4j
  done
}

# -------------------------------------------------------------------------
# existing databases, --force, --overwrite-destination

@test "4.4 restore refuses an existing database without --force, replaces it with --force" {
  export STANDIN_VERSION=4.4.10
  cp -a "$STANDIN_LIVE_DIR/neo4j" bk/neo4j
  mkdir -p "$T/d/neo4j" "$T/t/neo4j"
  echo old >"$T/d/neo4j/old-file"
  echo old >"$T/t/neo4j/neostore.transaction.db.7"
  refused 1 restore --from=bk/neo4j --to-data-directory="$T/d" --to-data-tx-directory="$T/t"
  assert_output --partial "Database with name [neo4j] already exists"
  run neo4j-admin restore --from=bk/neo4j --force --to-data-directory="$T/d" --to-data-tx-directory="$T/t"
  assert_success
  [ ! -e "$T/d/neo4j/old-file" ]
  [ ! -e "$T/t/neo4j/neostore.transaction.db.7" ]
  merged_equals_live "$T/d" "$T/t" neo4j
  # an existing but empty folder is not a database
  rm -rf "$T/d/neo4j" && mkdir "$T/d/neo4j"
  run neo4j-admin restore --from=bk/neo4j --to-data-directory="$T/d" --to-data-tx-directory="$T/t2"
  assert_success
}

@test "5.x restore refuses an existing database unless --overwrite-destination is true" {
  run neo4j-admin database backup --to-path=a neo4j
  assert_success
  mkdir -p "$T/d/neo4j" && echo old >"$T/d/neo4j/old-file"
  refused 1 database restore --from-path=a --to-path-data="$T/d" --to-path-txn="$T/t" neo4j
  assert_output ""
  stderr_has "Database with name [neo4j] already exists"
  refused 1 database restore --from-path=a --overwrite-destination=false --to-path-data="$T/d" --to-path-txn="$T/t"
  run neo4j-admin database restore --from-path=a --overwrite-destination --to-path-data="$T/d" --to-path-txn="$T/t"
  assert_success
  [ ! -e "$T/d/neo4j/old-file" ]
  merged_equals_live "$T/d" "$T/t" neo4j
  run neo4j-admin database restore --from-path=a --overwrite-destination true \
    --to-path-data="$T/d" --to-path-txn="$T/t" neo4j
  assert_success
}

# -------------------------------------------------------------------------
# --move renames

@test "4.4 restore --move renames the files (same inodes), without --move they are copied" {
  export STANDIN_VERSION=4.4.10
  cp -a "$STANDIN_LIVE_DIR/neo4j" bk/neo4j
  cp -a "$STANDIN_LIVE_DIR/neo4j" bk2
  local store_inode log_inode nested_inode
  store_inode=$(stat -c %i bk/neo4j/neostore.propertystore.db)
  log_inode=$(stat -c %i bk/neo4j/neostore.transaction.db.1)
  nested_inode=$(stat -c %i bk/neo4j/schema/index/token-lookup-1/index-1)
  run neo4j-admin restore --from=bk/neo4j --move --to-data-directory="$T/d" --to-data-tx-directory="$T/t"
  assert_success
  assert_equal "$(stat -c %i "$T/d/neo4j/neostore.propertystore.db")" "$store_inode"
  assert_equal "$(stat -c %i "$T/t/neo4j/neostore.transaction.db.1")" "$log_inode"
  assert_equal "$(stat -c %i "$T/d/neo4j/schema/index/token-lookup-1/index-1")" "$nested_inode"
  [ ! -e bk/neo4j/neostore.propertystore.db ]
  merged_equals_live "$T/d" "$T/t" neo4j
  # copy
  local copy_inode
  copy_inode=$(stat -c %i bk2/neostore.propertystore.db)
  run neo4j-admin restore --from=bk2 --database=neo4j --force --to-data-directory="$T/d" --to-data-tx-directory="$T/t"
  assert_success
  [ "$(stat -c %i "$T/d/neo4j/neostore.propertystore.db")" != "$copy_inode" ]
  [ -f bk2/neostore.propertystore.db ]
}

@test "4.4 restore --move across file systems falls back to copy + delete" {
  local other=/dev/shm
  [ -d "$other" ] && [ -w "$other" ] || skip "no writable $other"
  [ "$(stat -c %d "$other")" != "$(stat -c %d "$T")" ] || skip "$other is on the same file system"
  export STANDIN_VERSION=4.4.10
  local src
  src=$(mktemp -d "$other/standin.XXXXXX")
  cp -a "$STANDIN_LIVE_DIR/neo4j" "$src/neo4j"
  run neo4j-admin restore --from="$src/neo4j" --move --to-data-directory="$T/d" --to-data-tx-directory="$T/t"
  local left
  left=$(find "$src" -type f | wc -l)
  rm -rf "$src"
  assert_success
  assert_equal "$left" 0
  merged_equals_live "$T/d" "$T/t" neo4j
}

# -------------------------------------------------------------------------
# failure injection

@test "STANDIN_EXIT=backup=3 on 4.4: the set is written, a report is written, exit 3" {
  export STANDIN_VERSION=4.4.10 STANDIN_EXIT=backup=3
  run neo4j-admin backup --backup-dir=bk --database=neo4j --report-dir=rep
  assert_failure 3
  run diff -r bk/neo4j "$STANDIN_LIVE_DIR/neo4j"
  assert_success
  run ls rep
  assert_output --regexp '^inconsistencies-[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{6}\.report$'
}

@test "STANDIN_EXIT=backup=2 on 4.4: the set is written, no report, exit 2" {
  export STANDIN_VERSION=4.4.10 STANDIN_EXIT=restore=0,backup=2
  run neo4j-admin backup --backup-dir=bk --database=neo4j --report-dir=rep
  assert_failure 2
  [ -f bk/neo4j/neostore ]
  [ ! -e rep ] || [ -z "$(ls rep)" ]
}

@test "STANDIN_EXIT: any other code fails before doing anything, with a message" {
  export STANDIN_EXIT=backup=1,check=4,restore=5,unbind=6
  refused 1 database backup --to-path=a neo4j
  stderr_has "STANDIN_EXIT"
  refused 4 database check neo4j
  refused 5 database restore --from-path=a neo4j
  mkdir -p "$NEO4J_HOME/data/cluster-state"
  refused 6 server unbind
  [ -d "$NEO4J_HOME/data/cluster-state" ]
  export STANDIN_VERSION=4.4.10
  refused 1 backup --backup-dir=bk
  cp -a "$STANDIN_LIVE_DIR/neo4j" stage
  refused 5 restore --from=stage --database=neo4j
  STANDIN_EXIT=backup=7 refused 7 backup --backup-dir=bk
  # on 5.x, 2 and 3 are not special either
  unset STANDIN_VERSION
  STANDIN_EXIT=backup=3 refused 3 database backup --to-path=a neo4j
}

@test "STANDIN_EXIT malformed is a set-up error (125)" {
  STANDIN_EXIT=backup run neo4j-admin --version
  assert_failure 125
  STANDIN_EXIT=dump=1 run neo4j-admin --version
  assert_failure 125
}

@test "STANDIN_INCONSISTENT on 4.4: report in --report-dir (default cwd), exit 3, set kept; skipped when not checking" {
  export STANDIN_VERSION=4.4.10 STANDIN_INCONSISTENT=other,neo4j
  run neo4j-admin backup --backup-dir=bk --database=neo4j --report-dir=rep
  assert_failure 3
  [ -f bk/neo4j/neostore ]
  [ "$(ls rep/inconsistencies-*.report | wc -l)" -eq 1 ]
  mkdir cwd && cd cwd
  run neo4j-admin backup --backup-dir="$T/bk" --database=neo4j
  assert_failure 3
  ls inconsistencies-*.report
  cd "$T"
  run neo4j-admin backup --backup-dir=bk --database=neo4j --check-consistency=false --report-dir=rep2
  assert_success
  [ ! -e rep2 ]
  run neo4j-admin backup --backup-dir=bk --database=system --report-dir=rep3
  assert_success
}

@test "STANDIN_INCONSISTENT on 5.x: database check writes the report and exits 1" {
  run neo4j-admin database backup --to-path=a neo4j system
  assert_success
  export STANDIN_INCONSISTENT=neo4j
  run neo4j-admin database check --from-path=a --report-path=rep neo4j
  assert_failure 1
  [ "$(ls rep/inconsistencies-*.report | wc -l)" -eq 1 ]
  run neo4j-admin database check --from-path=a --report-path=rep/named.report neo4j
  assert_failure 1
  [ -f rep/named.report ]
  run neo4j-admin database check --from-path=a --report-path=rep system
  assert_success
  # the backup itself does not check on 5.x
  run neo4j-admin database backup --to-path=a neo4j
  assert_success
}

# -------------------------------------------------------------------------
# kill tests: STANDIN_HANG

wait_for_file() {
  local f=$1 tries=200
  while ((tries-- > 0)); do
    [ -e "$f" ] && return 0
    sleep 0.02
  done
  return 1
}

@test "STANDIN_HANG=restore (4.4 --move): half the files moved, ready file, blocks until killed" {
  export STANDIN_VERSION=4.4.10 STANDIN_HANG=restore STANDIN_HANG_READY="$T/ready"
  cp -a "$STANDIN_LIVE_DIR/neo4j" bk/neo4j
  neo4j-admin restore --from=bk/neo4j --move --to-data-directory="$T/d" --to-data-tx-directory="$T/t" \
    >/dev/null 2>&1 3>&- &
  local pid=$!
  wait_for_file "$T/ready" || { kill "$pid"; fail "no ready file"; }
  kill -0 "$pid"
  local moved left
  moved=$(find "$T/d" "$T/t" -type f | wc -l)
  left=$(find bk/neo4j -type f | wc -l)
  kill "$pid"
  wait "$pid" || true
  [ "$moved" -gt 0 ] && [ "$left" -gt 0 ]
  assert_equal "$((moved + left))" "$(find "$STANDIN_LIVE_DIR/neo4j" -type f | wc -l)"
}

@test "STANDIN_HANG=restore (5.x): half unpacked, blocks until killed" {
  run neo4j-admin database backup --to-path=a neo4j
  assert_success
  export STANDIN_HANG=restore STANDIN_HANG_READY="$T/ready"
  neo4j-admin database restore --from-path=a --to-path-data="$T/d" --to-path-txn="$T/t" \
    >/dev/null 2>&1 3>&- &
  local pid=$!
  wait_for_file "$T/ready" || { kill "$pid"; fail "no ready file"; }
  local unpacked total
  unpacked=$(find "$T/d" "$T/t" -type f | wc -l)
  total=$(find "$STANDIN_LIVE_DIR/neo4j" -type f | wc -l)
  kill "$pid"
  wait "$pid" || true
  [ "$unpacked" -gt 0 ] && [ "$unpacked" -lt "$total" ]
}

# -------------------------------------------------------------------------
# STANDIN_LOG

@test "STANDIN_LOG: one line per invocation, shell-quoted, HEAP_SIZE appended when set" {
  export STANDIN_LOG="$T/admin.log"
  HEAP_SIZE=2G run neo4j-admin database backup "--to-path=$T/with space" --pagecache=1G neo4j
  assert_success
  run neo4j-admin database check "--from-path=$T/with space" "it's"
  assert_failure
  STANDIN_VERSION=4.4.10 run neo4j-admin --version
  run neo4j-admin
  run cat "$T/admin.log"
  assert_line --index 0 "neo4j-admin database backup '--to-path=$T/with space' --pagecache=1G neo4j HEAP_SIZE=2G"
  assert_line --index 1 "neo4j-admin database check '--from-path=$T/with space' 'it'\"'\"'s'"
  assert_line --index 2 "neo4j-admin --version"
  assert_line --index 3 "neo4j-admin"
  [ "${#lines[@]}" -eq 4 ]
}

# -------------------------------------------------------------------------
# consistency checks of a restored database (verify --deep)

@test "4.4 check-consistency: --database or --backup, exactly one; documented flags" {
  export STANDIN_VERSION=4.4.10
  refused 2 check-consistency
  first_error "Error: Missing required argument(s): (--database=<database> | --backup=<path>)"
  refused 2 check-consistency --database=neo4j --backup=bk
  refused 2 check-consistency --database=neo4j --check-graph
  refused 2 check-consistency --database=neo4j --frobnicate=1
  mkdir -p d/databases/neo4j d/transactions/neo4j bk/neo4j
  touch d/databases/neo4j/neostore bk/neo4j/neostore
  printf 'dbms.directories.data=%s\ndbms.directories.transaction.logs.root=%s\n' "$PWD/d" "$PWD/d/transactions" >c.conf
  run neo4j-admin check-consistency --database=neo4j --additional-config=c.conf --report-dir=rep \
    --check-graph=true --check-indexes=true --check-index-structure=false \
    --check-label-scan-store=true --check-property-owners=false --verbose
  assert_success
  assert_output --partial "is consistent"
  run neo4j-admin check-consistency --backup=bk/neo4j
  assert_success
  # without the config it looks in NEO4J_HOME/data: nothing there
  NEO4J_HOME=$PWD/none run neo4j-admin check-consistency --database=neo4j
  assert_failure 1
  STANDIN_INCONSISTENT=neo4j run neo4j-admin check-consistency --database=neo4j --additional-config=c.conf --report-dir=rep
  assert_failure 1
  assert_output --partial "Inconsistencies found"
  ls rep/inconsistencies-*.report
}

@test "5.x database check: --from-path-data and --from-path-txn together, not with --from-path" {
  mkdir -p d/databases/neo4j d/transactions/neo4j
  touch d/databases/neo4j/neostore
  refused 2 database check --from-path-data=d/databases neo4j
  refused 2 database check --from-path-txn=d/transactions neo4j
  refused 2 database check --from-path-data=d/databases --from-path-txn=d/transactions --from-path=x neo4j
  run neo4j-admin database check --from-path-data=d/databases --from-path-txn=d/transactions --report-path=rep neo4j
  assert_success
  STANDIN_INCONSISTENT=neo4j run neo4j-admin database check --from-path-data=d/databases --from-path-txn=d/transactions --report-path=rep neo4j
  assert_failure 1
}

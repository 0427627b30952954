#!/usr/bin/env bats
# make install / uninstall / clean, as their names say.

setup() {
  load helpers
  load_bats_libs
}

# make as a user runs it: without the variables of an enclosing make (the
# sanitizer pass exports BUILD, BINDIR, CFLAGS and LDFLAGS).
plain_make() {
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u BINDIR -u CFLAGS -u LDFLAGS \
    -u BATS_SUITES make "$@"
}

@test "make install PREFIX=... installs both programs; uninstall removes them" {
  run plain_make -C "$PROJECT_ROOT" install PREFIX="$BATS_TEST_TMPDIR/usr"
  assert_success
  [ -x "$BATS_TEST_TMPDIR/usr/bin/neo4j-backup" ]
  [ -x "$BATS_TEST_TMPDIR/usr/bin/neo4j-restore" ]
  run "$BATS_TEST_TMPDIR/usr/bin/neo4j-restore" --version
  assert_success
  run plain_make -C "$PROJECT_ROOT" uninstall PREFIX="$BATS_TEST_TMPDIR/usr"
  assert_success
  [ ! -e "$BATS_TEST_TMPDIR/usr/bin/neo4j-backup" ]
  [ ! -e "$BATS_TEST_TMPDIR/usr/bin/neo4j-restore" ]
}

@test "DESTDIR stages the install under another root" {
  run plain_make -C "$PROJECT_ROOT" install PREFIX=/opt/n4j DESTDIR="$BATS_TEST_TMPDIR/root"
  assert_success
  [ -x "$BATS_TEST_TMPDIR/root/opt/n4j/bin/neo4j-backup" ]
  [ ! -e /opt/n4j/bin/neo4j-backup ]
}

@test "make clean removes the build in a copy of the tree" {
  cp -r "$PROJECT_ROOT/lib" "$PROJECT_ROOT/backup" "$PROJECT_ROOT/restore" "$PROJECT_ROOT/Makefile" "$BATS_TEST_TMPDIR/"
  run plain_make -C "$BATS_TEST_TMPDIR" -j2 all
  assert_success
  [ -x "$BATS_TEST_TMPDIR/bin/neo4j-backup" ]
  run plain_make -C "$BATS_TEST_TMPDIR" clean
  assert_success
  [ ! -e "$BATS_TEST_TMPDIR/bin" ] && [ ! -e "$BATS_TEST_TMPDIR/build" ]
}

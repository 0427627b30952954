#!/usr/bin/env bats
# The documentation inside the repository: every Markdown link resolves to a
# file of the repository (none points outside it), and
# docs/reference.md documents every setting the programs' --help lists.

setup() {
  load helpers
  load_bats_libs
}

# md_files: the repository's own Markdown files (not dependencies, not build output).
md_files() {
  (cd "$PROJECT_ROOT" && find . -name '*.md' -not -path './tests/node_modules/*' -not -path './.git/*' \
    -not -path './tests/.tools/*' -not -path './bench/out/*' -not -path './build/*' | sed 's|^\./||' | sort)
}

@test "every relative Markdown link resolves to a file inside the repository" {
  run "$SYS_PYTHON" - "$PROJECT_ROOT" $(md_files) <<'PY'
import os, re, sys
root = os.path.realpath(sys.argv[1])
bad = checked = 0
for rel in sys.argv[2:]:
    path = os.path.join(root, rel)
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks are not links
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # absolute URLs and in-page anchors
        checked += 1
        dest = os.path.realpath(os.path.join(os.path.dirname(path), target.split("#")[0]))
        if not (dest == root or dest.startswith(root + os.sep)):
            print("%s: %s points outside the repository" % (rel, target)); bad += 1
        elif not os.path.exists(dest):
            print("%s: %s does not exist" % (rel, target)); bad += 1
print("links: %d checked, %d bad" % (checked, bad))
sys.exit(1 if bad else 0)
PY
  echo "$output"
  assert_success
  assert_output --regexp "links: [1-9][0-9]* checked, 0 bad"
}

@test "README.md points at docs/reference.md, and the secret it creates is the one the scenarios mount" {
  run grep -F "(docs/reference.md)" "$PROJECT_ROOT/README.md"
  assert_success
  run grep -h "create secret generic" "$PROJECT_ROOT/README.md"
  assert_output --partial "neo4j-gcp-credentials"
  run grep -l "secretName: neo4j-gcp-credentials" "$PROJECT_ROOT"/deployment-scenarios/*.yaml
  assert_success
}

@test "docs/reference.md documents every option and variable of both programs' --help" {
  local prog line
  for prog in neo4j-backup neo4j-restore; do
    run "$BIN_DIR/$prog" --help
    assert_success
    while read -r line; do
      grep -qF -- "\`$line" "$PROJECT_ROOT/docs/reference.md" || fail "$prog: $line is not in docs/reference.md"
    done < <(echo "$output" | grep -oE -- '(--[a-z0-9-]+|env [A-Z0-9_]+)' | sed 's/^env //' | sort -u)
  done
}

@test "--help fits in 80 columns" {
  local prog
  for prog in neo4j-backup neo4j-restore; do
    run "$BIN_DIR/$prog" --help
    assert_success
    run awk -v p="$prog" 'length($0) > 80 { print p ": " length($0) ": " $0; n++ } END { exit n > 0 }' <<<"$output"
    echo "$output"
    assert_success
  done
}

# Helpers of the chart suites (tests/chart*.bats). Load after `load helpers`.
# shellcheck shell=bash
# The path constants at the end are used by the suites:
# shellcheck disable=SC2034

NEO4J_CHART="$PROJECT_ROOT/charts/neo4j"
BACKUP_CHART="$PROJECT_ROOT/charts/neo4j-backup"
SCENARIOS="$PROJECT_ROOT/deployment-scenarios"
CHART_FIXTURES="$PROJECT_ROOT/tests/fixtures/charts"
export NEO4J_CHART BACKUP_CHART SCENARIOS CHART_FIXTURES

# chart_tools: in setup_file. Installs the npm packages and helm (once, see
# tests/charts/setup-tools.sh) and exports HELM, with Helm's own folders in
# the file's scratch space so no user configuration leaks in.
chart_tools() {
  local bin
  bin="$("$PROJECT_ROOT/tests/charts/setup-tools.sh")" || return 1
  export HELM="$bin/helm"
  export HELM_CONFIG_HOME="$BATS_FILE_TMPDIR/helm/config" HELM_CACHE_HOME="$BATS_FILE_TMPDIR/helm/cache" \
    HELM_DATA_HOME="$BATS_FILE_TMPDIR/helm/data"
}

# scenario_chart FILE: the chart a deployment scenario is for.
scenario_chart() {
  case "$(basename "$1")" in
    backup*) echo "$BACKUP_CHART" ;;
    *) echo "$NEO4J_CHART" ;;
  esac
}

# render CHART [helm template args...]: renders the release "graph" into
# $RENDERED; on failure the test fails with Helm's message.
render() {
  local chart=$1
  shift
  RENDERED="$BATS_TEST_TMPDIR/rendered.yaml"
  if ! "$HELM" template graph "$chart" "$@" >"$RENDERED" 2>"$BATS_TEST_TMPDIR/render.err"; then
    cat "$BATS_TEST_TMPDIR/render.err" >&2
    return 1
  fi
}

# render_scenario NAME [helm args...]: render deployment-scenarios/NAME.yaml.
render_scenario() {
  local file="$SCENARIOS/$1.yaml"
  shift
  render "$(scenario_chart "$file")" -f "$file" "$@"
}

# q KIND/NAME [PATH], q --names KIND, q --env KIND/NAME CONTAINER: see
# tests/charts/query.py; reads $RENDERED.
q() {
  "$SYS_PYTHON" "$PROJECT_ROOT/tests/charts/query.py" "$RENDERED" "$@"
}

# Paths into the StatefulSets of release "graph" (used by the suites).
CORE=StatefulSet/graph-neo4j-core
REPLICA=StatefulSet/graph-neo4j-replica
POD=.spec.template.spec
RESTORE='.spec.template.spec.initContainers[name=restore-from-backup]'
NEO4J='.spec.template.spec.containers[name=neo4j]'

# data_volume: (after podcheck.py --report "$REPORT") the host folder of the
# pod volume the Neo4j container mounts at /data; it must be the one the
# restore container mounted at /data.
data_volume() {
  "$SYS_PYTHON" - "$REPORT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def at_data(container):
    hits = [m for m in r["mounts"][container] if m["mountPath"] == "/data"]
    assert len(hits) == 1, "%s mounts /data %d times" % (container, len(hits))
    return hits[0]
init, main = at_data("restore-from-backup"), at_data("neo4j")
assert (init["name"], init["subPath"]) == (main["name"], main["subPath"]), (init, main)
print(r["volumes"][main["name"]] + ("/" + main["subPath"] if main["subPath"] else ""))
PY
}

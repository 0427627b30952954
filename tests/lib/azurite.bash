# Helpers for bats suites that need Azure Blob Storage: azurite (npm) on a
# free loopback port, a test CA, the loopback token authority
# (tests/emulators/azure/azure_identity.py) and the @azure/storage-blob
# client (tests/emulators/azure/blob.js).  Load after helpers.bash:
#
#   load helpers
#   load lib/azurite
#   setup_file() { azurite_isolate_env; azurite_start; azurite_make_container backups; }
#   teardown_file() { azurite_stop; }
#
# HTTPS + OAuth (workload / managed identity):
#   setup_file() { azurite_isolate_env; azurite_start https; azure_identity_start; }
#   teardown_file() { azure_identity_stop; azurite_stop; }
#
# See tests/emulators/azure/README.md.
# shellcheck shell=bash

AZURE_TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AZURITE_BIN="${AZURITE_BIN:-$AZURE_TEST_DIR/node_modules/azurite/dist/src/blob/main.js}"
AZURE_BLOB_JS="${AZURE_BLOB_JS:-$AZURE_TEST_DIR/emulators/azure/blob.js}"
AZURE_IDENTITY_PY="${AZURE_IDENTITY_PY:-$AZURE_TEST_DIR/emulators/azure/azure_identity.py}"
AZURE_PYTHON="${SYS_PYTHON:-/usr/bin/python3}"
# azurite's one account and its documented, well-known key.
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_ACCOUNT_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
# A loopback port nothing listens on: endpoints a test does not serve point here.
AZURE_CLOSED_URL=http://127.0.0.1:1

# _azure_dir NAME: a folder for NAME under the bats file's temp dir, else a fresh one.
_azure_dir() {
  local dir
  if [[ -n ${BATS_FILE_TMPDIR:-} ]]; then dir=$BATS_FILE_TMPDIR/$1; else dir=$(mktemp -d); fi
  mkdir -p "$dir" && echo "$dir"
}

# azurite_isolate_env: unsets every Azure identity/endpoint variable the tools
# or SDKs read, and points the token endpoints at a closed loopback port, so
# nothing from the host leaks in and no request can leave the machine.
azurite_isolate_env() {
  local v
  for v in AZURE_STORAGE_ACCOUNT_NAME AZURE_STORAGE_ACCOUNT_KEY AZURE_STORAGE_ACCOUNT \
    AZURE_STORAGE_KEY AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_SAS_TOKEN \
    AZURE_STORAGE_BLOB_ENDPOINT AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_CLIENT_SECRET \
    AZURE_CLIENT_CERTIFICATE_PATH AZURE_FEDERATED_TOKEN_FILE AZURE_USERNAME AZURE_PASSWORD \
    ACCOUNT_NAME ACCOUNT_KEY IDENTITY_ENDPOINT IDENTITY_HEADER MSI_ENDPOINT MSI_SECRET \
    IMDS_ENDPOINT AZURE_ACCESS_TOKEN CA_BUNDLE NODE_EXTRA_CA_CERTS; do
    unset "$v"
  done
  export AZURE_AUTHORITY_HOST=$AZURE_CLOSED_URL AZURE_IMDS_ENDPOINT=$AZURE_CLOSED_URL \
    AZURE_POD_IDENTITY_AUTHORITY_HOST=$AZURE_CLOSED_URL
}

# azure_make_certs DIR
#   Makes (once) a test CA and a server certificate for 127.0.0.1, ::1 and
#   localhost signed by it: DIR/ca.pem, DIR/ca.key, DIR/server.pem (leaf +
#   CA), DIR/server.key.  Exports AZURE_TEST_CA=DIR/ca.pem.
azure_make_certs() {
  local dir=${1:?usage: azure_make_certs DIR}
  mkdir -p "$dir" || return 1
  if [[ ! -s $dir/server.pem ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj '/CN=neo4j-backup test CA' -keyout "$dir/ca.key" -out "$dir/ca.pem" \
      -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
      2>/dev/null || { echo "azure_make_certs: openssl could not make the CA in $dir" >&2; return 1; }
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=127.0.0.1' \
      -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null || return 1
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 2 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null ||
      { echo "azure_make_certs: openssl could not sign the server certificate in $dir" >&2; return 1; }
    cat "$dir/server.crt" "$dir/ca.pem" >"$dir/server.pem"
  fi
  AZURE_TEST_CA=$dir/ca.pem
  export AZURE_TEST_CA
}

# azurite_start [http|https] [AZURITE_ARGS...]
#   Starts azurite's blob service alone on a free 127.0.0.1 port, strict (no
#   --loose, API versions checked), telemetry off, data in a temp folder.
#   https: TLS with a certificate from azure_make_certs and `--oauth basic`
#   (bearer tokens accepted, over HTTPS only).  AZURITE_DEBUG=1 also writes
#   azurite's debug log to $AZURITE_DIR/debug.log.  Exports:
#     AZURITE_PID, AZURITE_PORT, AZURITE_DIR, AZURITE_LOG (access log: one
#     line per request, method and URL), AZURITE_URL=SCHEME://127.0.0.1:PORT,
#     AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, AZURITE_CONNECTION_STRING,
#     AZURE_STORAGE_BLOB_ENDPOINT=$AZURITE_URL/devstoreaccount1,
#     AZURE_STORAGE_ACCOUNT_NAME=devstoreaccount1;
#   https also: CA_BUNDLE and NODE_EXTRA_CA_CERTS (the test CA), AZURE_TEST_CA.
#   The key is NOT exported as AZURE_STORAGE_ACCOUNT_KEY (see azurite_use_key),
#   so identity tests choose what the tools see.
azurite_start() {
  local mode=http
  case ${1:-} in http | https) mode=$1; shift ;; esac
  if [[ ! -f $AZURITE_BIN ]]; then
    echo "azurite is not installed ($AZURITE_BIN missing): run scripts/deps.sh" >&2
    return 1
  fi
  local dir
  dir=$(_azure_dir "azurite-$mode") || return 1
  rm -rf "$dir/data" && mkdir -p "$dir/data" || return 1
  AZURITE_DIR=$dir
  AZURITE_LOG=$dir/azurite.log
  : >"$AZURITE_LOG"
  local args=(--blobHost 127.0.0.1 --blobPort 0 --location "$dir/data" --disableTelemetry)
  if [[ $mode == https ]]; then
    azure_make_certs "$(_azure_dir certs)" || return 1
    args+=(--cert "${AZURE_TEST_CA%/ca.pem}/server.pem" --key "${AZURE_TEST_CA%/ca.pem}/server.key"
      --oauth basic)
  fi
  [[ ${AZURITE_DEBUG:-} == 1 ]] && args+=(--debug "$dir/debug.log")
  # fd 3 is bats' own: a background child must not hold it.
  node "$AZURITE_BIN" "${args[@]}" "$@" >>"$AZURITE_LOG" 2>&1 3>&- &
  AZURITE_PID=$!
  local tries=400 port=
  while ((tries-- > 0)); do
    port=$(sed -n 's|.*successfully listens on https\{0,1\}://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' \
      "$AZURITE_LOG" | head -n1)
    [[ -n $port ]] && break
    if ! kill -0 "$AZURITE_PID" 2>/dev/null; then
      echo "azurite exited during start; its log:" >&2
      cat "$AZURITE_LOG" >&2
      unset AZURITE_PID
      return 1
    fi
    sleep 0.05
  done
  if [[ -z $port ]]; then
    echo "azurite did not start listening; its log:" >&2
    cat "$AZURITE_LOG" >&2
    azurite_stop
    return 1
  fi
  AZURITE_PORT=$port
  AZURITE_URL=$mode://127.0.0.1:$port
  AZURE_STORAGE_BLOB_ENDPOINT=$AZURITE_URL/$AZURITE_ACCOUNT
  AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT
  AZURITE_CONNECTION_STRING="DefaultEndpointsProtocol=$mode;AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_ACCOUNT_KEY;BlobEndpoint=$AZURE_STORAGE_BLOB_ENDPOINT;"
  export AZURITE_PID AZURITE_PORT AZURITE_DIR AZURITE_LOG AZURITE_URL AZURITE_ACCOUNT \
    AZURITE_ACCOUNT_KEY AZURITE_CONNECTION_STRING AZURE_STORAGE_BLOB_ENDPOINT AZURE_STORAGE_ACCOUNT_NAME
  if [[ $mode == https ]]; then
    CA_BUNDLE=$AZURE_TEST_CA
    NODE_EXTRA_CA_CERTS=$AZURE_TEST_CA
    export CA_BUNDLE NODE_EXTRA_CA_CERTS
  fi
}

# azurite_stop: stops the azurite started by azurite_start and waits for it.
azurite_stop() {
  _azure_stop_pid "${AZURITE_PID:-}"
  unset AZURITE_PID
}

_azure_stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  # `wait` only works in the shell that started it; else poll (bounded).
  wait "$pid" 2>/dev/null || true
  local tries=100
  while kill -0 "$pid" 2>/dev/null && ((tries-- > 0)); do sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
}

# azurite_use_key: exports AZURE_STORAGE_ACCOUNT_NAME/AZURE_STORAGE_ACCOUNT_KEY
# (azurite's account and key) for the tools.
azurite_use_key() {
  export AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT AZURE_STORAGE_ACCOUNT_KEY=$AZURITE_ACCOUNT_KEY
}

# azurite_requests [PATTERN]: azurite's access-log lines (method, URL,
# status), only those matching the extended regex PATTERN when given,
# e.g. azurite_requests 'comp=block(&|\b)' | wc -l.
azurite_requests() {
  grep -E "\"(GET|PUT|HEAD|POST|DELETE|OPTIONS) " "$AZURITE_LOG" | grep -E -- "${1:-.}" || true
}

# azurite_wait_requests PATTERN [COUNT]: waits (bounded, about 10 s) until
# the access log has at least COUNT (default 1) lines matching PATTERN.
# azurite writes a line when it has sent the answer, so a client may see the
# answer before the line is written: wait before counting the last request.
azurite_wait_requests() {
  local pattern=${1:?usage: azurite_wait_requests PATTERN [COUNT]} count=${2:-1} tries=200
  while ((tries-- > 0)); do
    (($(azurite_requests "$pattern" | wc -l) >= count)) && return 0
    sleep 0.05
  done
  echo "azurite's log has fewer than $count requests matching $pattern" >&2
  return 1
}

# azurite_proxy_start [FAULTPROXY_ARGS...]: starts the fault proxy
# (tests/emulators/faultproxy.py) in front of the azurite started last
# (plain HTTP). Shared Key and SAS signatures made for the proxy's address
# verify at azurite (the host is not signed). Exports
# AZURITE_PROXY_ENDPOINT=http://127.0.0.1:PORT/devstoreaccount1 (point the
# tools at it with AZURE_STORAGE_BLOB_ENDPOINT), AZURITE_PROXY_CTL (its
# control API), AZURITE_PROXY_PID.
azurite_proxy_start() {
  if [[ ${AZURITE_URL:-} != http://* ]]; then
    echo "azurite_proxy_start: start azurite over plain HTTP first (azurite_start)" >&2
    return 1
  fi
  local dir=$AZURITE_DIR
  rm -f "$dir/proxy.port" "$dir/proxy.ctl"
  "$AZURE_PYTHON" "$AZURE_TEST_DIR/emulators/faultproxy.py" --upstream "127.0.0.1:$AZURITE_PORT" \
    --port-file "$dir/proxy.port" --control-port-file "$dir/proxy.ctl" "$@" \
    >>"$dir/proxy.log" 2>&1 3>&- &
  AZURITE_PROXY_PID=$!
  local tries=300
  while ((tries-- > 0)); do
    [[ -s $dir/proxy.port && -s $dir/proxy.ctl ]] &&
      curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(<"$dir/proxy.ctl")/health" 2>/dev/null && break
    if ! kill -0 "$AZURITE_PROXY_PID" 2>/dev/null; then
      echo "the fault proxy exited during start; its log:" >&2
      cat "$dir/proxy.log" >&2
      unset AZURITE_PROXY_PID
      return 1
    fi
    sleep 0.05
  done
  if ((tries < 0)); then
    echo "the fault proxy did not start; its log:" >&2
    cat "$dir/proxy.log" >&2
    azurite_proxy_stop
    return 1
  fi
  AZURITE_PROXY_ENDPOINT=http://127.0.0.1:$(<"$dir/proxy.port")/$AZURITE_ACCOUNT
  AZURITE_PROXY_CTL=http://127.0.0.1:$(<"$dir/proxy.ctl")
  export AZURITE_PROXY_ENDPOINT AZURITE_PROXY_CTL AZURITE_PROXY_PID
}

# azurite_proxy_stop: stops the fault proxy.
azurite_proxy_stop() {
  _azure_stop_pid "${AZURITE_PROXY_PID:-}"
  unset AZURITE_PROXY_PID
}

# azurite_proxy_fault JSON: adds a fault rule (see faultproxy.py), e.g.
#   azurite_proxy_fault '{"action": "status", "status": 503, "code": "ServerBusy",
#     "headers": {"x-ms-error-code": "ServerBusy"}, "method": "PUT", "times": 3}'
#   azurite_proxy_fault '{"action": "reset", "after": 1048576, "method": "GET"}'
#   azurite_proxy_fault '{"action": "headers", "method": "HEAD", "path": "/latest$",
#     "set": {"x-ms-copy-status": "pending"}, "times": 3}'
azurite_proxy_fault() {
  curl -fsS --max-time 5 -X POST -H 'Content-Type: application/json' --data "$1" \
    "$AZURITE_PROXY_CTL/faults" >/dev/null
}

# azurite_server_busy [TIMES] [METHOD]: the next TIMES (default 1) requests
# (of METHOD) get 503 ServerBusy the way Azure sends it.
azurite_server_busy() {
  azurite_proxy_fault "{\"action\": \"status\", \"status\": 503, \"code\": \"ServerBusy\",
    \"message\": \"The server is currently unable to receive requests. Please retry your request.\",
    \"headers\": {\"x-ms-error-code\": \"ServerBusy\"}, \"times\": ${1:-1}${2:+, \"method\": \"$2\"}}"
}

# azurite_proxy_reset: no faults, no caps, empty request log.
azurite_proxy_reset() { curl -fsS --max-time 5 -X POST "$AZURITE_PROXY_CTL/reset" >/dev/null; }

# azurite_proxy_log [--json]: the requests the proxy saw, one per line:
#   METHOD PATH?QUERY RANGE STATUS RESP_BYTES FAULT ACCOUNT
# (tab-separated; "-" for none; ACCOUNT from a SharedKey Authorization).
azurite_proxy_log() {
  if [[ ${1:-} == --json ]]; then
    curl -fsS --max-time 5 "$AZURITE_PROXY_CTL/log"
    return
  fi
  curl -fsS --max-time 5 "$AZURITE_PROXY_CTL/log" | "$AZURE_PYTHON" -c '
import json, sys
for e in json.load(sys.stdin):
    f = e["fault"]["action"] if e["fault"] else "-"
    pq = e["path"] + ("?" + e["query"] if e["query"] else "")
    print("\t".join(str(x) for x in (e["method"], pq, e["range"] or "-", e["status"] or "-",
          e["resp_bytes"], f, e["key_id"] or "-")))
'
}

# azure_blob ARGS...: runs tests/emulators/azure/blob.js (@azure/storage-blob)
# against $AZURE_STORAGE_BLOB_ENDPOINT; see its usage (azure_blob help).
azure_blob() {
  node "$AZURE_BLOB_JS" "$@"
}

# azurite_make_container NAME: creates a container (Shared Key).
azurite_make_container() {
  azure_blob --auth key mkcontainer "${1:?usage: azurite_make_container NAME}"
}

# azurite_sas CONTAINER [PERMISSIONS] [SECONDS] [BLOB]
#   Prints a service SAS (no leading '?') signed with azurite's key, for the
#   container (or BLOB in it), PERMISSIONS default racwdl, valid from a minute
#   ago for SECONDS (default 3600; negative: already expired).
azurite_sas() {
  local container=${1:?usage: azurite_sas CONTAINER [PERMISSIONS] [SECONDS] [BLOB]}
  azure_blob --auth key sas "$container" "${2:-racwdl}" "${3:-3600}" ${4:+"$4"}
}

# azurite_account_sas [PERMISSIONS] [SECONDS]: prints an account SAS for the
# blob service (resource types sco), default permissions racwdl.
azurite_account_sas() {
  azure_blob --auth key account-sas "${1:-racwdl}" "${2:-3600}"
}

# azure_identity_start [AUTHORITY_ARGS...]
#   Starts the loopback token authority: HTTPS (test CA) for the workload
#   identity token endpoint, plain HTTP for IMDS (both serve every route).
#   Writes a federated token file and exports:
#     AZURE_IDENTITY_PID, AZURE_IDENTITY_LOG, AZURE_IDENTITY_DIR,
#     AZURE_IDENTITY_URL (https control/base URL), AZURE_IDENTITY_HTTP_URL,
#     AZURE_AUTHORITY_HOST=https://127.0.0.1:PORT (no trailing slash),
#     AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE,
#     AZURE_IMDS_ENDPOINT=http://127.0.0.1:PORT2 (base URL; the IMDS path is
#     /metadata/identity/oauth2/token), AZURE_POD_IDENTITY_AUTHORITY_HOST (the
#     same, the name Azure SDKs read), AZURE_MI_CLIENT_ID, CA_BUNDLE,
#     NODE_EXTRA_CA_CERTS, AZURE_TEST_CA.
#   AUTHORITY_ARGS go to azure_identity.py (e.g. --token-lifetime 5).
azure_identity_start() {
  local dir
  dir=$(_azure_dir identity) || return 1
  azure_make_certs "$(_azure_dir certs)" || return 1
  local certs=${AZURE_TEST_CA%/ca.pem}
  AZURE_TENANT_ID=${AZURE_TENANT_ID:-$("$AZURE_PYTHON" -c 'import uuid; print(uuid.uuid4())')}
  AZURE_CLIENT_ID=${AZURE_CLIENT_ID:-$("$AZURE_PYTHON" -c 'import uuid; print(uuid.uuid4())')}
  AZURE_MI_CLIENT_ID=${AZURE_MI_CLIENT_ID:-$("$AZURE_PYTHON" -c 'import uuid; print(uuid.uuid4())')}
  AZURE_FEDERATED_TOKEN_FILE=$dir/azure-identity-token
  azure_rotate_federated_token || return 1
  AZURE_IDENTITY_LOG=$dir/identity.log
  AZURE_IDENTITY_DIR=$dir
  local portfile=$dir/ports
  rm -f "$portfile"
  "$AZURE_PYTHON" "$AZURE_IDENTITY_PY" --https-port 0 --http-port 0 --port-file "$portfile" \
    --cert "$certs/server.pem" --key "$certs/server.key" --tenant "$AZURE_TENANT_ID" \
    --client-id "$AZURE_CLIENT_ID" --federated-token-file "$AZURE_FEDERATED_TOKEN_FILE" \
    --mi-client-id "$AZURE_MI_CLIENT_ID" "$@" >>"$AZURE_IDENTITY_LOG" 2>&1 3>&- &
  AZURE_IDENTITY_PID=$!
  local tries=300
  while ((tries-- > 0)); do
    [[ -s $portfile ]] && break
    if ! kill -0 "$AZURE_IDENTITY_PID" 2>/dev/null; then
      echo "azure_identity.py exited during start; its log:" >&2
      cat "$AZURE_IDENTITY_LOG" >&2
      unset AZURE_IDENTITY_PID
      return 1
    fi
    sleep 0.05
  done
  if [[ ! -s $portfile ]]; then
    echo "azure_identity.py did not start; its log:" >&2
    cat "$AZURE_IDENTITY_LOG" >&2
    azure_identity_stop
    return 1
  fi
  local https_port http_port
  https_port=$(sed -n 's/^https //p' "$portfile")
  http_port=$(sed -n 's/^http //p' "$portfile")
  AZURE_IDENTITY_URL=https://127.0.0.1:$https_port
  AZURE_IDENTITY_HTTP_URL=http://127.0.0.1:$http_port
  AZURE_AUTHORITY_HOST=$AZURE_IDENTITY_URL
  AZURE_IMDS_ENDPOINT=$AZURE_IDENTITY_HTTP_URL
  AZURE_POD_IDENTITY_AUTHORITY_HOST=$AZURE_IDENTITY_HTTP_URL
  CA_BUNDLE=$AZURE_TEST_CA
  NODE_EXTRA_CA_CERTS=$AZURE_TEST_CA
  export AZURE_IDENTITY_PID AZURE_IDENTITY_LOG AZURE_IDENTITY_DIR AZURE_IDENTITY_URL \
    AZURE_IDENTITY_HTTP_URL AZURE_AUTHORITY_HOST AZURE_TENANT_ID AZURE_CLIENT_ID \
    AZURE_FEDERATED_TOKEN_FILE AZURE_IMDS_ENDPOINT AZURE_POD_IDENTITY_AUTHORITY_HOST \
    AZURE_MI_CLIENT_ID CA_BUNDLE NODE_EXTRA_CA_CERTS
}

# azure_identity_stop: stops the authority started by azure_identity_start.
azure_identity_stop() {
  _azure_stop_pid "${AZURE_IDENTITY_PID:-}"
  unset AZURE_IDENTITY_PID
}

# azure_rotate_federated_token: writes new content (a JWT-shaped random
# string, no newline) to $AZURE_FEDERATED_TOKEN_FILE, as the kubelet does on
# rotation; the authority accepts only the file's current content.  Prints nothing.
azure_rotate_federated_token() {
  local file=${AZURE_FEDERATED_TOKEN_FILE:?start the authority first (azure_identity_start)}
  "$AZURE_PYTHON" - "$file" <<'EOF'
import base64, json, os, secrets, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "RS256", "kid": secrets.token_hex(8)}).encode())
body = b64(json.dumps({"aud": ["api://AzureADTokenExchange"], "iss": "https://oidc.test.local/",
                       "sub": "system:serviceaccount:neo4j:neo4j-backup", "iat": now,
                       "exp": now + 3600, "jti": secrets.token_hex(8)}).encode())
tmp = sys.argv[1] + ".tmp"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    f.write("%s.%s.%s" % (head, body, b64(secrets.token_bytes(64))))
os.rename(tmp, sys.argv[1])
EOF
}

# azure_identity_ctl [METHOD] CALL [JSON]: the authority's control API at
# /_emulator/CALL (health, requests, config, faults, mint); prints the JSON
# answer, fails on an HTTP error.  e.g.
#   azure_identity_ctl faults '{"route":"token","status":503,"count":2}'
#   azure_identity_ctl 'requests?route=token'   azure_identity_ctl DELETE requests
azure_identity_ctl() {
  local method=
  case ${1:-} in GET | POST | PUT | DELETE) method=$1; shift ;; esac
  local call=${1:?usage: azure_identity_ctl [METHOD] CALL [JSON]} json=${2:-}
  [[ -n $method ]] || { [[ -n $json ]] && method=POST || method=GET; }
  local args=(-sS --cacert "$AZURE_TEST_CA" -X "$method" -o - -w '\n%{http_code}')
  [[ -n $json ]] && args+=(-H 'Content-Type: application/json' --data-binary "$json")
  local out code
  out=$(curl "${args[@]}" "$AZURE_IDENTITY_URL/_emulator/${call#/}") || return 1
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if ((code >= 400)); then
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# azure_identity_count ROUTE: how many requests of ROUTE (token, imds, keys,
# openid, unknown) the authority answered, whatever their status.
azure_identity_count() {
  azure_identity_ctl requests | "$AZURE_PYTHON" -c \
    'import json,sys; print(json.load(sys.stdin)["counts"].get(sys.argv[1], 0))' "${1:?usage: azure_identity_count ROUTE}"
}

# azure_workload_token: exchanges the federated token file for an access
# token for https://storage.azure.com/.default (as a pod with workload
# identity does) and prints it.
azure_workload_token() {
  curl -fsS --cacert "$AZURE_TEST_CA" "$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$AZURE_CLIENT_ID" \
    --data-urlencode 'client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer' \
    --data-urlencode "client_assertion@$AZURE_FEDERATED_TOKEN_FILE" \
    --data-urlencode 'scope=https://storage.azure.com/.default' |
    "$AZURE_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# azure_imds_token: prints a managed-identity access token from the IMDS route.
azure_imds_token() {
  curl -fsS -H 'Metadata: true' \
    "$AZURE_IMDS_ENDPOINT/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F" |
    "$AZURE_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# azure_mint_token [JSON]: prints a token signed by the authority with chosen
# claims: {"lifetime": -60} (expired), {"aud": "..."}, {"iss": "..."},
# {"nbf_offset": 600} (not yet valid), {"claims": {...}}.
azure_mint_token() {
  local json=${1:-}
  [[ -n $json ]] || json='{}'
  azure_identity_ctl POST mint "$json" |
    "$AZURE_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

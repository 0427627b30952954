# Helpers for bats suites that need the GCS JSON-API emulator
# (tests/emulators/gcs/gcs_emulator.py).  Load after helpers.bash:
#
#   load helpers
#   load lib/gcs
#   setup_file() { gcs_start; gcs_make_bucket backups; gcs_make_key "$BATS_FILE_TMPDIR/sa.json"; }
#   teardown_file() { gcs_stop; }
#
# shellcheck shell=bash

GCS_EMULATOR="${GCS_EMULATOR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/emulators/gcs/gcs_emulator.py}"
GCS_PYTHON="${SYS_PYTHON:-/usr/bin/python3}"
# The project buckets and keys belong to unless told otherwise.
GCS_PROJECT="${GCS_PROJECT:-test}"

# gcs_start [DATA_DIR] [EMULATOR_ARGS...]
#   Starts the emulator on a free loopback port, its data under DATA_DIR
#   (default $BATS_FILE_TMPDIR/gcs, else a fresh temp dir), waits until it
#   answers, and exports:
#     GCS_EMULATOR_PORT, GCS_EMULATOR_URL=http://127.0.0.1:PORT,
#     STORAGE_EMULATOR_HOST=http://127.0.0.1:PORT, GCE_METADATA_HOST=127.0.0.1:PORT,
#     GCS_EMULATOR_PID, GCS_EMULATOR_DATA, GCS_EMULATOR_LOG (its request log).
#   Extra arguments go to the emulator (e.g. --key FILE, --token-lifetime 5).
gcs_start() {
  local dir=${1:-}
  [[ $# -gt 0 ]] && shift
  if [[ -z $dir ]]; then
    if [[ -n ${BATS_FILE_TMPDIR:-} ]]; then dir=$BATS_FILE_TMPDIR/gcs; else dir=$(mktemp -d); fi
  fi
  mkdir -p "$dir/data" || return 1
  local portfile=$dir/port
  rm -f "$portfile"
  GCS_EMULATOR_LOG=$dir/emulator.log
  # fd 3 is bats' own: a background child must not hold it.
  "$GCS_PYTHON" "$GCS_EMULATOR" --port 0 --port-file "$portfile" --data-dir "$dir/data" \
    --metadata-project "$GCS_PROJECT" "$@" >>"$GCS_EMULATOR_LOG" 2>&1 3>&- &
  GCS_EMULATOR_PID=$!
  echo "$GCS_EMULATOR_PID" >"$dir/pid"
  local tries=300
  while ((tries-- > 0)); do
    if [[ -s $portfile ]]; then
      GCS_EMULATOR_PORT=$(<"$portfile")
      if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$GCS_EMULATOR_PORT/_emulator/health" 2>/dev/null; then
        break
      fi
    fi
    if ! kill -0 "$GCS_EMULATOR_PID" 2>/dev/null; then
      echo "gcs emulator exited during start; its log:" >&2
      cat "$GCS_EMULATOR_LOG" >&2
      return 1
    fi
    sleep 0.05
  done
  if ((tries < 0)); then
    echo "gcs emulator did not answer; its log:" >&2
    cat "$GCS_EMULATOR_LOG" >&2
    gcs_stop
    return 1
  fi
  GCS_EMULATOR_DATA=$dir/data
  GCS_EMULATOR_URL=http://127.0.0.1:$GCS_EMULATOR_PORT
  STORAGE_EMULATOR_HOST=$GCS_EMULATOR_URL
  GCE_METADATA_HOST=127.0.0.1:$GCS_EMULATOR_PORT
  export GCS_EMULATOR_PID GCS_EMULATOR_PORT GCS_EMULATOR_URL GCS_EMULATOR_DATA GCS_EMULATOR_LOG \
    STORAGE_EMULATOR_HOST GCE_METADATA_HOST
}

# gcs_stop: stops the emulator started by gcs_start and waits for it to end.
gcs_stop() {
  local pid=${GCS_EMULATOR_PID:-}
  [[ -n $pid ]] || return 0
  kill "$pid" 2>/dev/null || true
  # `wait` only works in the shell that started it; else poll (bounded).
  wait "$pid" 2>/dev/null || true
  local tries=100
  while kill -0 "$pid" 2>/dev/null && ((tries-- > 0)); do sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  unset GCS_EMULATOR_PID
}

# gcs_ctl [METHOD] CALL [JSON]
#   Calls the control API at /_emulator/CALL and prints the JSON answer.
#   METHOD defaults to POST when JSON is given, else GET.  Fails (status 1)
#   on an HTTP error, printing the answer to stderr.
#   e.g. gcs_ctl faults '{"kind":"status","status":503,"count":2}'
#        gcs_ctl 'requests?route=upload.chunk'   gcs_ctl DELETE faults
gcs_ctl() {
  local method=
  case ${1:-} in GET | POST | PUT | DELETE) method=$1; shift ;; esac
  local call=${1:?usage: gcs_ctl [METHOD] CALL [JSON]} json=${2:-}
  [[ -n $method ]] || { [[ -n $json ]] && method=POST || method=GET; }
  local args=(-sS -X "$method" -o - -w '\n%{http_code}')
  [[ -n $json ]] && args+=(-H 'Content-Type: application/json' --data-binary "$json")
  local out code
  out=$(curl "${args[@]}" "$GCS_EMULATOR_URL/_emulator/${call#/}") || return 1
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if ((code >= 400)); then
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# gcs_make_bucket NAME [PROJECT]: creates a bucket owned by PROJECT (default $GCS_PROJECT).
gcs_make_bucket() {
  local name=${1:?usage: gcs_make_bucket NAME [PROJECT]} project=${2:-$GCS_PROJECT}
  gcs_ctl POST buckets "{\"name\":\"$name\",\"project\":\"$project\"}" >/dev/null
}

# gcs_make_key FILE [PROJECT]
#   Writes a service-account JSON key with a fresh RSA key (type,
#   project_id, private_key_id, private_key, client_email, client_id,
#   token_uri=$GCS_EMULATOR_URL/token, ...) and registers it with the
#   running emulator.  Prints the key's client_email.
gcs_make_key() {
  local file=${1:?usage: gcs_make_key FILE [PROJECT]} project=${2:-$GCS_PROJECT}
  if [[ -z ${GCS_EMULATOR_URL:-} ]]; then
    echo "gcs_make_key: start the emulator first (gcs_start): the key's token_uri points at it" >&2
    return 1
  fi
  local pem
  pem=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null) || return 1
  PEM=$pem "$GCS_PYTHON" - "$file" "$project" "$GCS_EMULATOR_URL/token" <<'EOF' || return 1
import json, os, secrets, sys
path, project, token_uri = sys.argv[1:4]
name = "sa-" + secrets.token_hex(4)
email = "%s@%s.iam.gserviceaccount.com" % (name, project)
key = {
    "type": "service_account",
    "project_id": project,
    "private_key_id": secrets.token_hex(20),
    "private_key": os.environ["PEM"].strip() + "\n",
    "client_email": email,
    "client_id": str(secrets.randbelow(10**20)).rjust(21, "1"),
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": token_uri,
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + email.replace("@", "%40"),
    "universe_domain": "googleapis.com",
}
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(key, f, indent=2)
EOF
  gcs_ctl POST keys "{\"path\":\"$file\"}" >/dev/null || return 1
  "$GCS_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_email"])' "$file"
}

# gcs_jwt KEYFILE [SCOPE] [AUD] [LIFETIME] [IAT_OFFSET]
#   Prints a signed JWT-bearer assertion for KEYFILE (RS256, kid set).
gcs_jwt() {
  "$GCS_PYTHON" - "$@" <<'EOF'
import json, sys, time, jwt
args = sys.argv[1:] + [None] * 5
key = json.load(open(args[0]))
scope = args[1] or "https://www.googleapis.com/auth/devstorage.read_write"
aud = args[2] or key["token_uri"]
lifetime = int(args[3] or 3600)
iat = int(time.time()) + int(args[4] or 0)
claims = {"iss": key["client_email"], "aud": aud, "iat": iat, "exp": iat + lifetime}
if scope != "-":
    claims["scope"] = scope
print(jwt.encode(claims, key["private_key"], algorithm="RS256",
                 headers={"kid": key["private_key_id"]}))
EOF
}

# gcs_token KEYFILE [SCOPE]: exchanges a fresh JWT at the emulator's token
# endpoint and prints the access token.
gcs_token() {
  local jwt_assertion
  jwt_assertion=$(gcs_jwt "$1" "${2:-}") || return 1
  curl -fsS "$GCS_EMULATOR_URL/token" \
    --data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
    --data-urlencode "assertion=$jwt_assertion" |
    "$GCS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# gcs_metadata_token: prints an access token of the metadata identity.
gcs_metadata_token() {
  curl -fsS -H 'Metadata-Flavor: Google' \
    "$GCS_EMULATOR_URL/computeMetadata/v1/instance/service-accounts/default/token" |
    "$GCS_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# gcs_start_with_bucket: in setup_file: the emulator, a bucket "backups" of
# project "test" and a key of it in $SA_KEY (exported).
gcs_start_with_bucket() {
  gcs_start "$BATS_FILE_TMPDIR/gcs" || return 1
  gcs_make_bucket backups test || return 1
  SA_KEY=$BATS_FILE_TMPDIR/sa.json
  gcs_make_key "$SA_KEY" test >/dev/null || return 1
  export SA_KEY
}

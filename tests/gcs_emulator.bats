#!/usr/bin/env bats
# Tests of the GCS JSON-API emulator (tests/emulators/gcs/gcs_emulator.py):
# its OAuth2, metadata and storage protocol, its failure injection, and a
# cross-check against Google's own client, `gcloud storage`.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/gcs
  gcs_start "$BATS_FILE_TMPDIR/gcs"
  gcs_make_bucket bkt-test test
  gcs_make_bucket bkt-other other
  KEY1=$BATS_FILE_TMPDIR/k1.json
  KEY2=$BATS_FILE_TMPDIR/k2.json
  EMAIL1=$(gcs_make_key "$KEY1" test)
  EMAIL2=$(gcs_make_key "$KEY2" other)
  TOKEN1=$(gcs_token "$KEY1")
  TOKEN2=$(gcs_token "$KEY2")
  export KEY1 KEY2 EMAIL1 EMAIL2 TOKEN1 TOKEN2
}

teardown_file() {
  gcs_stop
}

setup() {
  load helpers
  load lib/gcs
  load_bats_libs
  AUTH=(-H "Authorization: Bearer $TOKEN1")
  T=$BATS_TEST_TMPDIR
}

teardown() {
  # each test leaves no fault, setting or grant behind
  gcs_ctl POST reset '{}' >/dev/null || true
  # nor a second emulator (the helpers test starts one)
  if [[ -f $BATS_TEST_TMPDIR/second/pid ]]; then
    kill "$(cat "$BATS_TEST_TMPDIR/second/pid")" 2>/dev/null || true
  fi
}

# http METHOD PATH [CURL_ARGS...]: sets CODE and BODY; headers in $T/hdr.
http() {
  local method=$1 path=$2
  shift 2
  CODE=$(curl -sS -X "$method" -D "$T/hdr" -o "$T/body" -w '%{http_code}' "$@" "$GCS_EMULATOR_URL$path") || CODE=curl-failed
  BODY=$(cat "$T/body" 2>/dev/null)
  echo "$method $path -> $CODE ${BODY:0:600}"
}

# hdr NAME: the value of a response header of the last http call.
hdr() {
  awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$1")" -F': ' \
    'tolower($1) == n { sub(/\r$/, ""); sub(/^[^:]*: /, ""); print; exit }' "$T/hdr"
}

# jv EXPR [FILE]: evaluates a Python expression on the JSON document d.
jv() {
  "$SYS_PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[2])); v=eval(sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "${2:-$T/body}"
}

# put_object NAME FILE [CONTENT_TYPE]: simple media upload with TOKEN1.
put_object() {
  local q
  q=$("$SYS_PYTHON" -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")
  http POST "/upload/storage/v1/b/bkt-test/o?uploadType=media&name=$q" "${AUTH[@]}" \
    -H "Content-Type: ${3:-application/octet-stream}" --data-binary "@$2"
  [ "$CODE" = 200 ]
}

b64md5() { openssl md5 -binary "$1" | base64; }

count_requests() { # count_requests QUERY: number of logged requests matching
  gcs_ctl "requests?$1" | jv 'd["count"]' /dev/stdin
}

# forge_key SRC DST [EMAIL]: SRC's identity (kid, email) with a fresh, unregistered RSA key.
forge_key() {
  local pem
  pem=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null)
  PEM=$pem "$SYS_PYTHON" -c '
import json, os, sys
k = json.load(open(sys.argv[1]))
k["private_key"] = os.environ["PEM"] + "\n"
if len(sys.argv) > 3:
    k["client_email"] = sys.argv[3]
    k["private_key_id"] = "f" * 40
json.dump(k, open(sys.argv[2], "w"))' "$@"
}

exchange() { # exchange JWT: posts it to the token endpoint
  http POST /token --data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
    --data-urlencode "assertion=$1"
}

# --- OAuth2 token endpoint ---------------------------------------------------

@test "token: a JWT signed by a registered key gets a bearer token that storage accepts" {
  exchange "$(gcs_jwt "$KEY1")"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["token_type"]')" = Bearer ]
  [ "$(jv 'd["expires_in"]')" = 3600 ]
  tok=$(jv 'd["access_token"]')
  [ -n "$tok" ]
  # Google's own audience is accepted as well as the emulator's token URI
  exchange "$(gcs_jwt "$KEY1" "" https://oauth2.googleapis.com/token)"
  [ "$CODE" = 200 ]
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $tok"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["kind"]')" = storage#objects ]
}

@test "token: wrong signature, unknown key and deleted key are invalid_grant" {
  forge_key "$KEY1" "$T/forged.json"
  exchange "$(gcs_jwt "$T/forged.json")"
  [ "$CODE" = 400 ]
  [ "$(jv 'd["error"]')" = invalid_grant ]
  [ "$(jv 'd["error_description"]')" = "Invalid JWT Signature." ]

  forge_key "$KEY1" "$T/stranger.json" stranger@test.iam.gserviceaccount.com
  exchange "$(gcs_jwt "$T/stranger.json")"
  [ "$CODE" = 400 ]
  [ "$(jv 'd["error"]')" = invalid_grant ]

  email3=$(gcs_make_key "$T/k3.json")
  exchange "$(gcs_jwt "$T/k3.json")"
  [ "$CODE" = 200 ]
  kid=$(jv 'd["private_key_id"]' "$T/k3.json")
  gcs_ctl DELETE "keys/$kid" >/dev/null
  exchange "$(gcs_jwt "$T/k3.json")"
  [ "$CODE" = 400 ]
  [ "$(jv 'd["error"]')" = invalid_grant ]
  [ -n "$email3" ]
}

@test "token: wrong aud, expired, too long-lived, future iat, no scope, wrong grant_type are refused" {
  exchange "$(gcs_jwt "$KEY1" "" https://example.com/token)"
  [ "$CODE" = 400 ]
  [ "$(jv 'd["error"]')" = invalid_grant ]
  [[ $(jv 'd["error_description"]') == *audience* ]]

  exchange "$(gcs_jwt "$KEY1" "" "" 3600 -7200)" # expired an hour ago
  [ "$CODE" = 400 ]
  [[ $(jv 'd["error_description"]') == *"short-lived"* ]]

  exchange "$(gcs_jwt "$KEY1" "" "" 7200)" # exp - iat > 3600
  [ "$CODE" = 400 ]
  [ "$(jv 'd["error"]')" = invalid_grant ]

  exchange "$(gcs_jwt "$KEY1" "" "" 3600 900)" # issued in the future
  [ "$CODE" = 400 ]

  exchange "$(gcs_jwt "$KEY1" -)" # no scope claim
  [ "$CODE" = 400 ]
  [ "$(jv 'd["error"]')" = invalid_scope ]

  http POST /token --data-urlencode grant_type=client_credentials --data-urlencode "assertion=$(gcs_jwt "$KEY1")"
  [ "$CODE" = 400 ]
  [ "$(jv 'd["error"]')" = unsupported_grant_type ]
}

@test "token: lifetime is configurable and a token expires" {
  gcs_ctl POST config '{"token_lifetime": 5}' >/dev/null
  exchange "$(gcs_jwt "$KEY1")"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["expires_in"]')" = 5 ]
  tok=$(jv 'd["access_token"]')
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $tok"
  [ "$CODE" = 200 ]
  email3=$(gcs_make_key "$T/k3.json")
  tok3=$(gcs_token "$T/k3.json")
  gcs_ctl POST tokens/expire "{\"identity\":\"$email3\",\"after\":0}" >/dev/null
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $tok3"
  [ "$CODE" = 401 ]
  [ "$(jv 'd["error"]["message"]')" = "Invalid Credentials" ]
  # other identities' tokens are untouched
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $tok"
  [ "$CODE" = 200 ]
}

# --- metadata server --------------------------------------------------------

@test "metadata: tokens, email and project only with Metadata-Flavor: Google" {
  base=/computeMetadata/v1
  http GET $base/instance/service-accounts/default/token
  [ "$CODE" = 403 ]
  http GET $base/instance/service-accounts/default/token -H 'Metadata-Flavor: Google' -H 'X-Forwarded-For: 1.2.3.4'
  [ "$CODE" = 403 ]
  http GET $base/instance/service-accounts/default/token -H 'Metadata-Flavor: Google'
  [ "$CODE" = 200 ]
  [ "$(hdr Metadata-Flavor)" = Google ]
  [ "$(jv 'd["token_type"]')" = Bearer ]
  [ "$(jv 'd["expires_in"]')" -gt 0 ]
  tok=$(jv 'd["access_token"]')
  http GET $base/instance/service-accounts/default/email -H 'Metadata-Flavor: Google'
  [ "$CODE" = 200 ]
  [[ $BODY == *@test.iam.gserviceaccount.com ]]
  http GET $base/project/project-id -H 'Metadata-Flavor: Google'
  [ "$BODY" = test ]
  # the metadata identity belongs to project test: it may use bkt-test only
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $tok"
  [ "$CODE" = 200 ]
  http GET /storage/v1/b/bkt-other/o -H "Authorization: Bearer $tok"
  [ "$CODE" = 403 ]
  # the identity is configurable
  gcs_ctl POST config '{"metadata_email":"wi@other.iam.gserviceaccount.com","metadata_project":"other"}' >/dev/null
  http GET $base/instance/service-accounts/default/email -H 'Metadata-Flavor: Google'
  [ "$BODY" = wi@other.iam.gserviceaccount.com ]
  tok=$(gcs_metadata_token)
  http GET /storage/v1/b/bkt-other/o -H "Authorization: Bearer $tok"
  [ "$CODE" = 200 ]
}

# --- storage authentication and authorization -------------------------------

@test "storage: no, malformed or unknown token is 401 in Google's error format" {
  http GET /storage/v1/b/bkt-test/o
  [ "$CODE" = 401 ]
  [ "$(jv 'd["error"]["code"]')" = 401 ]
  [ "$(jv 'd["error"]["errors"][0]["reason"]')" = required ]
  [ -n "$(hdr WWW-Authenticate)" ]
  http GET /storage/v1/b/bkt-test/o -H 'Authorization: Basic Zm9vOmJhcg=='
  [ "$CODE" = 401 ]
  http GET /storage/v1/b/bkt-test/o -H 'Authorization: Bearer ya29.not-a-token'
  [ "$CODE" = 401 ]
  [ "$(jv 'd["error"]["errors"][0]["reason"]')" = authError ]
  http POST "/upload/storage/v1/b/bkt-test/o?uploadType=media&name=x" --data-binary x
  [ "$CODE" = 401 ]
  http GET "/download/storage/v1/b/bkt-test/o/x?alt=media"
  [ "$CODE" = 401 ]
}

@test "storage: another project's identity gets 403 until granted; unknown bucket 404; read-only scope" {
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $TOKEN2"
  [ "$CODE" = 403 ]
  [ "$(jv 'd["error"]["errors"][0]["reason"]')" = forbidden ]
  [[ $(jv 'd["error"]["message"]') == "$EMAIL2 does not have"* ]]
  http GET /storage/v1/b/bkt-other/o -H "Authorization: Bearer $TOKEN2"
  [ "$CODE" = 200 ]
  gcs_ctl POST grant "{\"bucket\":\"bkt-test\",\"email\":\"$EMAIL2\"}" >/dev/null
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $TOKEN2"
  [ "$CODE" = 200 ]
  gcs_ctl POST revoke "{\"bucket\":\"bkt-test\",\"email\":\"$EMAIL2\"}" >/dev/null
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $TOKEN2"
  [ "$CODE" = 403 ]
  # revoke works on an identity of the bucket's own project too
  gcs_ctl POST revoke "{\"bucket\":\"bkt-test\",\"email\":\"$EMAIL1\"}" >/dev/null
  http GET /storage/v1/b/bkt-test/o "${AUTH[@]}"
  [ "$CODE" = 403 ]
  gcs_ctl POST reset '{}' >/dev/null
  http GET /storage/v1/b/bkt-test/o "${AUTH[@]}"
  [ "$CODE" = 200 ]

  http GET /storage/v1/b/no-such-bucket/o "${AUTH[@]}"
  [ "$CODE" = 404 ]
  http GET /storage/v1/b/bkt-test/o/no-such-object "${AUTH[@]}"
  [ "$CODE" = 404 ]
  [ "$(jv 'd["error"]["message"]')" = "No such object: bkt-test/no-such-object" ]

  ro=$(gcs_token "$KEY1" https://www.googleapis.com/auth/devstorage.read_only)
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $ro"
  [ "$CODE" = 200 ]
  http POST "/upload/storage/v1/b/bkt-test/o?uploadType=media&name=ro" -H "Authorization: Bearer $ro" --data-binary x
  [ "$CODE" = 403 ]
  [ "$(jv 'd["error"]["errors"][0]["reason"]')" = insufficientPermissions ]
}

# --- the real client ------------------------------------------------------

gcloud_env() {
  command -v gcloud >/dev/null || skip "gcloud is not installed"
  export CLOUDSDK_CONFIG=$BATS_FILE_TMPDIR/gcloud
  mkdir -p "$CLOUDSDK_CONFIG"
  echo False >"$CLOUDSDK_CONFIG/gce" # else gcloud probes the metadata host
  printf '%s' "$TOKEN1" >"$BATS_FILE_TMPDIR/gcloud-token"
  export CLOUDSDK_AUTH_ACCESS_TOKEN_FILE=$BATS_FILE_TMPDIR/gcloud-token
  export CLOUDSDK_CORE_PROJECT=test
  export CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=$GCS_EMULATOR_URL/storage/v1/
  export CLOUDSDK_CORE_DISABLE_PROMPTS=1 CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=1
  export CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=1
  export CLOUDSDK_STORAGE_PARALLEL_COMPOSITE_UPLOAD_ENABLED=False
  export CLOUDSDK_STORAGE_RESUMABLE_THRESHOLD=1M
  export CLOUDSDK_STORAGE_BASE_RETRY_DELAY=0 CLOUDSDK_STORAGE_MAX_RETRY_DELAY=1
}

sliced() { # sliced CMD...: runs gcloud with sliced (ranged, crc32c-checked) downloads
  CLOUDSDK_STORAGE_SLICED_OBJECT_DOWNLOAD_THRESHOLD=1M \
    CLOUDSDK_STORAGE_SLICED_OBJECT_DOWNLOAD_COMPONENT_SIZE=1M \
    CLOUDSDK_STORAGE_SLICED_OBJECT_DOWNLOAD_MAX_COMPONENTS=4 \
    CLOUDSDK_STORAGE_PROCESS_COUNT=1 CLOUDSDK_STORAGE_THREAD_COUNT=4 "$@"
}

@test "gcloud: cp up (multipart, resumable, streamed chunks), ls, cp down (md5 and crc32c checked), cat, rm" {
  gcloud_env
  printf 'small file\n' >"$T/small.txt"
  head -c 5000000 /dev/urandom >"$T/big.bin"
  head -c 3000000 /dev/urandom >"$T/stream.bin"
  gcs_ctl DELETE requests >/dev/null

  run gcloud storage cp "$T/small.txt" "$T/big.bin" gs://bkt-test/gcloud/
  echo "$output"
  assert_success
  [ "$(count_requests 'route=objects.insert.multipart&status=200')" = 1 ]
  [ "$(count_requests 'route=objects.insert.resumable&path=^/resumable/upload/')" = 1 ]
  [ "$(count_requests 'route=upload.chunk&status=200')" = 1 ]

  run bash -c 'CLOUDSDK_STORAGE_UPLOAD_CHUNK_SIZE=262144 gcloud storage cp - gs://bkt-test/gcloud/stream.bin <"$1"' _ "$T/stream.bin"
  echo "$output"
  assert_success
  [ "$(count_requests 'route=upload.chunk&status=308')" -ge 10 ]

  run gcloud storage ls gs://bkt-test/gcloud/
  echo "$output"
  assert_success
  assert_line gs://bkt-test/gcloud/small.txt
  assert_line gs://bkt-test/gcloud/big.bin
  assert_line gs://bkt-test/gcloud/stream.bin

  mkdir "$T/down"
  run gcloud storage cp gs://bkt-test/gcloud/small.txt gs://bkt-test/gcloud/big.bin gs://bkt-test/gcloud/stream.bin "$T/down/"
  echo "$output"
  assert_success
  cmp "$T/small.txt" "$T/down/small.txt"
  cmp "$T/big.bin" "$T/down/big.bin"
  cmp "$T/stream.bin" "$T/down/stream.bin"

  gcs_ctl DELETE requests >/dev/null
  run sliced gcloud storage cp gs://bkt-test/gcloud/big.bin "$T/down/big-sliced.bin"
  echo "$output"
  assert_success
  cmp "$T/big.bin" "$T/down/big-sliced.bin"
  [ "$(count_requests 'route=objects.download&status=206')" -ge 4 ]

  run gcloud storage cat gs://bkt-test/gcloud/small.txt
  assert_success
  assert_output "small file"

  run gcloud storage rm gs://bkt-test/gcloud/small.txt
  echo "$output"
  assert_success
  http GET /storage/v1/b/bkt-test/o/gcloud%2Fsmall.txt "${AUTH[@]}"
  [ "$CODE" = 404 ]
}

@test "gcloud: rejects downloads whose bytes do not match md5Hash / crc32c (so passing ones prove ours)" {
  gcloud_env
  head -c 3000000 /dev/urandom >"$T/obj.bin"
  put_object gcloud/corrupt.bin "$T/obj.bin"

  gcs_ctl faults '{"kind":"corrupt_download","offset":1234,"count":1}' >/dev/null
  run gcloud storage cp gs://bkt-test/gcloud/corrupt.bin "$T/plain.bin"
  echo "$output"
  assert_failure
  assert_output --partial "does not match"
  [ ! -e "$T/plain.bin" ]

  gcs_ctl faults '{"kind":"corrupt_download","offset":2500000,"count":1}' >/dev/null
  run sliced gcloud storage cp gs://bkt-test/gcloud/corrupt.bin "$T/sliced.bin"
  echo "$output"
  assert_failure
  assert_output --partial "does not match"
  [ ! -e "$T/sliced.bin" ]
}

@test "gcloud: recovers through status query from a failed chunk and a dropped connection, and resumes a cut download" {
  gcloud_env
  head -c 3000000 /dev/urandom >"$T/data.bin"
  gcs_ctl DELETE requests >/dev/null

  # the third 256 KiB chunk fails after 100000 of its bytes were stored
  gcs_ctl faults '{"kind":"fail_chunk","skip":2,"store_bytes":100000,"status":503}' >/dev/null
  run bash -c 'CLOUDSDK_STORAGE_UPLOAD_CHUNK_SIZE=262144 gcloud storage cp - gs://bkt-test/gcloud/r1.bin <"$1"' _ "$T/data.bin"
  echo "$output"
  assert_success
  [ "$(count_requests 'route=upload.chunk&status=503')" = 1 ]
  [ "$(count_requests 'route=upload.status&status=308')" -ge 1 ]
  gcs_ctl 'requests?route=upload.chunk' | grep -q '"content_range": "bytes 624288-'

  # the whole-file PUT is cut after 1000000 bytes were stored
  gcs_ctl faults '{"kind":"fail_chunk","store_bytes":1000000,"status":0}' >/dev/null
  run gcloud storage cp "$T/data.bin" gs://bkt-test/gcloud/r2.bin
  echo "$output"
  assert_success
  gcs_ctl 'requests?route=upload.chunk' | grep -q '"content_range": "bytes 1000000-2999999/3000000"'

  # a download cut after 1000000 bytes resumes with a Range request
  gcs_ctl faults '{"kind":"cut_download","after_bytes":1000000}' >/dev/null
  run gcloud storage cp gs://bkt-test/gcloud/r2.bin "$T/r2.bin"
  echo "$output"
  assert_success
  cmp "$T/data.bin" "$T/r2.bin"
  gcs_ctl 'requests?route=objects.download' >"$T/log.json"
  grep -q '"range": "bytes=1000000-' "$T/log.json"
  http GET /storage/v1/b/bkt-test/o/gcloud%2Fr1.bin "${AUTH[@]}"
  [ "$(jv 'd["md5Hash"]')" = "$(b64md5 "$T/data.bin")" ]
}

# --- JSON API details -------------------------------------------------------

@test "uploads: media and multipart (CRLF, bare LF, quoted boundary) report size, md5Hash, crc32c, links" {
  printf 123456789 >"$T/check"
  put_object 'dir/check:1' "$T/check" text/plain
  [ "$(jv 'd["name"]')" = dir/check:1 ]
  [ "$(jv 'd["bucket"]')" = bkt-test ]
  [ "$(jv 'd["size"]')" = 9 ]
  [ "$(jv 'type(d["size"]).__name__')" = str ]
  [ "$(jv 'd["crc32c"]')" = 4waSgw== ] # CRC-32C of "123456789" is 0xE3069283
  [ "$(jv 'd["md5Hash"]')" = "$(b64md5 "$T/check")" ]
  [ "$(jv 'd["contentType"]')" = text/plain ]
  [[ $(jv 'd["selfLink"]') == */storage/v1/b/bkt-test/o/dir%2Fcheck%3A1 ]]
  [[ $(jv 'd["generation"]') =~ ^[0-9]+$ ]]
  [ -n "$(jv 'd["updated"]')" ]
  media=$(jv 'd["mediaLink"]')
  curl -fsS "${AUTH[@]}" "$media" -o "$T/got"
  cmp "$T/check" "$T/got"

  # multipart with CRLF line ends; the data holds CRLFs and boundary-like text
  printf 'line1\r\n--notb\r\nline2\n\r\n' >"$T/data"
  {
    printf -- '--b0undary\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n'
    printf '{"name":"mp/crlf:1.bin","contentType":"application/x-test","metadata":{"k":"v"}}\r\n'
    printf -- '--b0undary\r\nContent-Type: text/plain\r\n\r\n'
    cat "$T/data"
    printf -- '\r\n--b0undary--\r\n'
  } >"$T/mp"
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=multipart' "${AUTH[@]}" \
    -H 'Content-Type: multipart/related; boundary=b0undary' --data-binary "@$T/mp"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["size"]')" = "$(stat -c %s "$T/data")" ]
  [ "$(jv 'd["contentType"]')" = application/x-test ]
  [ "$(jv 'd["metadata"]["k"]')" = v ]
  [ "$(jv 'd["md5Hash"]')" = "$(b64md5 "$T/data")" ]
  curl -fsS "${AUTH[@]}" "$GCS_EMULATOR_URL/storage/v1/b/bkt-test/o/mp%2Fcrlf%3A1.bin?alt=media" -o "$T/got"
  cmp "$T/data" "$T/got"

  # bare LF, boundary in single quotes, as apitools (gcloud) sends it
  {
    printf -- "--===123==\nContent-Type: application/json\nMIME-Version: 1.0\n\n"
    printf '{"name":"mp/lf.bin"}\n'
    printf -- "--===123==\nContent-Type: image/png\nMIME-Version: 1.0\nContent-Transfer-Encoding: binary\n\n"
    cat "$T/data"
    printf -- "\n--===123==--"
  } >"$T/mp"
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=multipart' "${AUTH[@]}" \
    -H "Content-Type: multipart/related; boundary='===123=='" --data-binary "@$T/mp"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["contentType"]')" = image/png ]
  [ "$(jv 'd["md5Hash"]')" = "$(b64md5 "$T/data")" ]

  # a stated hash that does not match the bytes is refused
  {
    printf -- '--xx\r\nContent-Type: application/json\r\n\r\n{"name":"mp/bad","md5Hash":"AAAAAAAAAAAAAAAAAAAAAA=="}\r\n'
    printf -- '--xx\r\nContent-Type: text/plain\r\n\r\nabc\r\n--xx--\r\n'
  } >"$T/mp"
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=multipart' "${AUTH[@]}" \
    -H 'Content-Type: multipart/related; boundary=xx' --data-binary "@$T/mp"
  [ "$CODE" = 400 ]
  http GET /storage/v1/b/bkt-test/o/mp%2Fbad "${AUTH[@]}"
  [ "$CODE" = 404 ]

  http POST '/upload/storage/v1/b/bkt-test/o?name=x' "${AUTH[@]}" --data-binary x
  [ "$CODE" = 400 ]
}

@test "paths: object names are percent-encoded; a bare / in the name is not an object path" {
  printf x >"$T/x"
  put_object 'a/b:c' "$T/x"
  http GET /storage/v1/b/bkt-test/o/a%2Fb%3Ac "${AUTH[@]}"
  [ "$CODE" = 200 ]
  http GET /storage/v1/b/bkt-test/o/a%2Fb:c "${AUTH[@]}"
  [ "$CODE" = 200 ]
  http GET /storage/v1/b/bkt-test/o/a/b:c "${AUTH[@]}"
  [ "$CODE" = 404 ]
}

@test "downloads: Range answers 206 with Content-Range; unsatisfiable ranges 416; hash headers" {
  head -c 1000 /dev/urandom >"$T/obj"
  put_object ranged "$T/obj"
  gen=$(jv 'd["generation"]')
  p='/storage/v1/b/bkt-test/o/ranged?alt=media'

  http GET "$p" "${AUTH[@]}"
  [ "$CODE" = 200 ]
  cmp "$T/obj" "$T/body"
  [[ $(hdr x-goog-hash) == *crc32c=* ]]
  [[ $(hdr x-goog-hash) == *"md5=$(b64md5 "$T/obj")"* ]]

  http GET "$p" "${AUTH[@]}" -H 'Range: bytes=0-9'
  [ "$CODE" = 206 ]
  [ "$(hdr Content-Range)" = "bytes 0-9/1000" ]
  cmp <(head -c 10 "$T/obj") "$T/body"

  http GET "$p" "${AUTH[@]}" -H 'Range: bytes=990-'
  [ "$CODE" = 206 ]
  [ "$(hdr Content-Range)" = "bytes 990-999/1000" ]
  cmp <(tail -c 10 "$T/obj") "$T/body"

  http GET "$p" "${AUTH[@]}" -H 'Range: bytes=-5'
  [ "$(hdr Content-Range)" = "bytes 995-999/1000" ]
  cmp <(tail -c 5 "$T/obj") "$T/body"

  http GET "$p" "${AUTH[@]}" -H 'Range: bytes=500-5000'
  [ "$(hdr Content-Range)" = "bytes 500-999/1000" ]
  [ "$(stat -c %s "$T/body")" = 500 ]

  http GET "$p" "${AUTH[@]}" -H 'Range: bytes=1000-'
  [ "$CODE" = 416 ]
  [ "$(hdr Content-Range)" = "bytes */1000" ]

  http GET "/download/storage/v1/b/bkt-test/o/ranged?alt=media&generation=$gen" "${AUTH[@]}" -H 'Range: bytes=100-199'
  [ "$CODE" = 206 ]
  cmp <(head -c 200 "$T/obj" | tail -c 100) "$T/body"
  http GET "/download/storage/v1/b/bkt-test/o/ranged?alt=media&generation=1" "${AUTH[@]}"
  [ "$CODE" = 404 ]
}

@test "objects.list: prefix, delimiter, maxResults, pageToken/nextPageToken" {
  printf x >"$T/x"
  for n in list/a.txt list/b/1 list/b/2 list/c:3 list/d/x/y list/e.txt listless.txt; do
    put_object "$n" "$T/x"
  done
  http GET '/storage/v1/b/bkt-test/o?prefix=list/' "${AUTH[@]}"
  [ "$(jv '[i["name"] for i in d["items"]]')" = '["list/a.txt", "list/b/1", "list/b/2", "list/c:3", "list/d/x/y", "list/e.txt"]' ]
  [ "$(jv '"nextPageToken" in d')" = false ]

  # pages of 2 without delimiter
  names=() token='' pages=0
  while :; do
    http GET "/storage/v1/b/bkt-test/o?prefix=list/&maxResults=2${token:+&pageToken=$token}" "${AUTH[@]}"
    [ "$CODE" = 200 ]
    [ "$(jv 'len(d.get("items", []))')" -le 2 ]
    mapfile -t -O "${#names[@]}" names < <(jv '"\n".join(i["name"] for i in d.get("items", []))')
    pages=$((pages + 1))
    token=$(jv 'd.get("nextPageToken", "")')
    [ -n "$token" ] || break
  done
  [ "$pages" = 3 ]
  [ "${names[*]}" = "list/a.txt list/b/1 list/b/2 list/c:3 list/d/x/y list/e.txt" ]

  # with a delimiter: objects and prefixes, maxResults counts both
  http GET '/storage/v1/b/bkt-test/o?prefix=list/&delimiter=/' "${AUTH[@]}"
  [ "$(jv '[i["name"] for i in d["items"]]')" = '["list/a.txt", "list/c:3", "list/e.txt"]' ]
  [ "$(jv 'd["prefixes"]')" = '["list/b/", "list/d/"]' ]
  seen=() token=''
  while :; do
    http GET "/storage/v1/b/bkt-test/o?prefix=list/&delimiter=/&maxResults=2${token:+&pageToken=$token}" "${AUTH[@]}"
    [ "$(jv 'len(d.get("items", [])) + len(d.get("prefixes", []))')" -le 2 ]
    mapfile -t -O "${#seen[@]}" seen < <(jv '"\n".join([i["name"] for i in d.get("items", [])] + d.get("prefixes", []))')
    token=$(jv 'd.get("nextPageToken", "")')
    [ -n "$token" ] || break
  done
  [ "$(printf '%s\n' "${seen[@]}" | sort | tr '\n' ' ')" = "list/a.txt list/b/ list/c:3 list/d/ list/e.txt " ]

  # partial responses
  http GET '/storage/v1/b/bkt-test/o?prefix=list/b/&fields=items(name,size)' "${AUTH[@]}"
  [ "$(jv 'd')" = '{"items": [{"name": "list/b/1", "size": "1"}, {"name": "list/b/2", "size": "1"}]}' ]

  http GET '/storage/v1/b/bkt-test/o?pageToken=garbage' "${AUTH[@]}"
  [ "$CODE" = 400 ]
}

@test "rewriteTo: several calls with rewriteToken under maxBytesRewrittenPerCall and the emulator's limit" {
  head -c 3145733 /dev/urandom >"$T/src" # 3 MiB + 5 bytes
  put_object rw/src "$T/src"
  p='/storage/v1/b/bkt-test/o/rw%2Fsrc/rewriteTo/b/bkt-test/o/rw%2Fdst'
  calls=0 token=''
  while :; do
    http POST "$p?maxBytesRewrittenPerCall=1048576${token:+&rewriteToken=$token}" "${AUTH[@]}"
    [ "$CODE" = 200 ]
    calls=$((calls + 1))
    [ "$(jv 'd["kind"]')" = storage#rewriteResponse ]
    [ "$(jv 'd["objectSize"]')" = 3145733 ]
    [ "$(jv 'd["done"]')" = true ] && break
    [ "$(jv 'd["totalBytesRewritten"]')" = $((calls * 1048576)) ]
    token=$(jv 'd["rewriteToken"]')
    # the destination appears only when the rewrite is done
    http GET /storage/v1/b/bkt-test/o/rw%2Fdst "${AUTH[@]}"
    [ "$CODE" = 404 ]
  done
  [ "$calls" = 4 ]
  [ "$(jv 'd["totalBytesRewritten"]')" = 3145733 ]
  [ "$(jv 'd["resource"]["name"]')" = rw/dst ]
  [ "$(jv 'd["resource"]["md5Hash"]')" = "$(b64md5 "$T/src")" ]
  curl -fsS "${AUTH[@]}" "$GCS_EMULATOR_URL/storage/v1/b/bkt-test/o/rw%2Fdst?alt=media" | cmp - "$T/src"

  # the emulator-side limit needs no client parameter
  gcs_ctl POST config '{"rewrite_bytes_per_call": 100000}' >/dev/null
  head -c 250000 /dev/urandom >"$T/small"
  put_object rw/small "$T/small"
  q='/storage/v1/b/bkt-test/o/rw%2Fsmall/rewriteTo/b/bkt-test/o/rw%2Fsmall2'
  http POST "$q" "${AUTH[@]}"
  [ "$(jv 'd["done"]')" = false ]
  [ "$(jv 'd["totalBytesRewritten"]')" = 100000 ]
  http POST "$q?rewriteToken=$(jv 'd["rewriteToken"]')" "${AUTH[@]}"
  http POST "$q?rewriteToken=$(jv 'd["rewriteToken"]')" "${AUTH[@]}"
  [ "$(jv 'd["done"]')" = true ]
  [ "$(jv 'd["resource"]["crc32c"]')" = "$(jv 'd["crc32c"]' <(curl -fsS "${AUTH[@]}" "$GCS_EMULATOR_URL/storage/v1/b/bkt-test/o/rw%2Fsmall"))" ]

  http POST "$p?maxBytesRewrittenPerCall=1000" "${AUTH[@]}"
  [ "$CODE" = 400 ]
  http POST "$p?rewriteToken=bogus" "${AUTH[@]}"
  [ "$CODE" = 400 ]
  # a destination the caller may not write
  http POST '/storage/v1/b/bkt-test/o/rw%2Fsrc/rewriteTo/b/bkt-other/o/x' "${AUTH[@]}"
  [ "$CODE" = 403 ]
}

@test "resumable: session Location, 256 KiB rule, 308 Range, status query, visible only when complete" {
  head -c $((262144 * 2 + 1000)) /dev/urandom >"$T/data"
  http POST '/resumable/upload/storage/v1/b/bkt-test/o?uploadType=resumable' "${AUTH[@]}" \
    -H 'Content-Type: application/json' -H 'X-Upload-Content-Type: application/gzip' \
    --data-binary '{"name":"neo4j/neo4j-2026-11-24-13:05:00.tar.gz"}'
  [ "$CODE" = 200 ]
  loc=$(hdr Location)
  [[ $loc == "$GCS_EMULATOR_URL/resumable/upload/storage/v1/b/bkt-test/o?"*upload_id=* ]]
  path=${loc#"$GCS_EMULATOR_URL"}
  head -c 262144 "$T/data" >"$T/c1"
  tail -c +262145 "$T/data" | head -c 262144 >"$T/c2"
  tail -c 1000 "$T/data" >"$T/c3"

  # status before any byte: 308 without Range
  http PUT "$path" -H 'Content-Range: bytes */*' -H 'Content-Length: 0'
  [ "$CODE" = 308 ]
  [ -z "$(hdr Range)" ]
  # a non-final chunk that is not a multiple of 256 KiB
  http PUT "$path" -H 'Content-Range: bytes 0-999/*' --data-binary "@$T/c3"
  [ "$CODE" = 400 ]
  http PUT "$path" -H 'Content-Range: bytes 0-262143/*' --data-binary "@$T/c1" "${AUTH[@]}"
  [ "$CODE" = 308 ]
  [ "$(hdr Range)" = "bytes=0-262143" ]
  # a gap is refused
  http PUT "$path" -H 'Content-Range: bytes 524288-525287/525288' --data-binary "@$T/c3"
  [ "$CODE" = 400 ]
  http PUT "$path" -H 'Content-Range: bytes */*' -H 'Content-Length: 0'
  [ "$CODE" = 308 ]
  [ "$(hdr Range)" = "bytes=0-262143" ]
  # re-sending an already stored chunk is harmless
  http PUT "$path" -H 'Content-Range: bytes 0-262143/*' --data-binary "@$T/c1"
  [ "$CODE" = 308 ]
  [ "$(hdr Range)" = "bytes=0-262143" ]
  http PUT "$path" -H 'Content-Range: bytes 262144-524287/*' --data-binary "@$T/c2"
  [ "$(hdr Range)" = "bytes=0-524287" ]
  # not visible before the last byte
  http GET /storage/v1/b/bkt-test/o/neo4j%2Fneo4j-2026-11-24-13%3A05%3A00.tar.gz "${AUTH[@]}"
  [ "$CODE" = 404 ]
  http PUT "$path" -H 'Content-Range: bytes 524288-525287/525288' --data-binary "@$T/c3"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["size"]')" = 525288 ]
  [ "$(jv 'd["contentType"]')" = application/gzip ]
  [ "$(jv 'd["md5Hash"]')" = "$(b64md5 "$T/data")" ]
  # asking again after completion answers the object
  http PUT "$path" -H 'Content-Range: bytes */525288' -H 'Content-Length: 0'
  [ "$CODE" = 200 ]
  curl -fsS "${AUTH[@]}" "$(jv 'd["mediaLink"]')" | cmp - "$T/data"

  # bytes */TOTAL completes an upload whose bytes are all there
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=resumable&name=r2' "${AUTH[@]}"
  path=$(hdr Location)
  path=${path#"$GCS_EMULATOR_URL"}
  http PUT "$path" -H 'Content-Range: bytes 0-262143/*' --data-binary "@$T/c1"
  [ "$CODE" = 308 ]
  http PUT "$path" -H 'Content-Range: bytes */262144' -H 'Content-Length: 0'
  [ "$CODE" = 200 ]
  [ "$(jv 'd["size"]')" = 262144 ]

  # cancel
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=resumable&name=r3' "${AUTH[@]}"
  path=$(hdr Location)
  path=${path#"$GCS_EMULATOR_URL"}
  http DELETE "$path"
  [ "$CODE" = 499 ]
  http PUT "$path" -H 'Content-Range: bytes */*' -H 'Content-Length: 0'
  [ "$CODE" = 404 ]
}

@test "preconditions: ifGenerationMatch on upload and delete; delete answers 204" {
  printf one >"$T/one"
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=media&name=pre&ifGenerationMatch=0' "${AUTH[@]}" --data-binary "@$T/one"
  [ "$CODE" = 200 ]
  gen=$(jv 'd["generation"]')
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=media&name=pre&ifGenerationMatch=0' "${AUTH[@]}" --data-binary "@$T/one"
  [ "$CODE" = 412 ]
  [ "$(jv 'd["error"]["errors"][0]["reason"]')" = conditionNotMet ]
  http POST "/upload/storage/v1/b/bkt-test/o?uploadType=media&name=pre&ifGenerationMatch=$gen" "${AUTH[@]}" --data-binary "@$T/one"
  [ "$CODE" = 200 ]
  gen2=$(jv 'd["generation"]')
  [ "$gen2" -gt "$gen" ]
  http DELETE "/storage/v1/b/bkt-test/o/pre?ifGenerationMatch=$gen" "${AUTH[@]}"
  [ "$CODE" = 412 ]
  http DELETE /storage/v1/b/bkt-test/o/pre "${AUTH[@]}"
  [ "$CODE" = 204 ]
  http GET /storage/v1/b/bkt-test/o/pre "${AUTH[@]}"
  [ "$CODE" = 404 ]
  http DELETE /storage/v1/b/bkt-test/o/pre "${AUTH[@]}"
  [ "$CODE" = 404 ]
}

# --- failure injection ------------------------------------------------------

@test "fault: a burst of 503s, limited by path and method" {
  printf x >"$T/x"
  put_object f/one "$T/x"
  put_object f/two "$T/x"
  gcs_ctl faults '{"kind":"status","status":503,"count":2,"path":"/o/f%2Fone"}' >/dev/null
  http GET /storage/v1/b/bkt-test/o/f%2Ftwo "${AUTH[@]}"
  [ "$CODE" = 200 ]
  http GET /storage/v1/b/bkt-test/o/f%2Fone "${AUTH[@]}"
  [ "$CODE" = 503 ]
  [ "$(jv 'd["error"]["errors"][0]["reason"]')" = backendError ]
  http GET /storage/v1/b/bkt-test/o/f%2Fone "${AUTH[@]}"
  [ "$CODE" = 503 ]
  http GET /storage/v1/b/bkt-test/o/f%2Fone "${AUTH[@]}"
  [ "$CODE" = 200 ]
  [ "$(gcs_ctl faults | jv 'len(d["faults"])' /dev/stdin)" = 0 ]

  gcs_ctl faults '{"kind":"status","status":503,"method":"DELETE"}' >/dev/null
  http GET /storage/v1/b/bkt-test/o/f%2Ftwo "${AUTH[@]}"
  [ "$CODE" = 200 ]
  http DELETE /storage/v1/b/bkt-test/o/f%2Ftwo "${AUTH[@]}"
  [ "$CODE" = 503 ]
  http DELETE /storage/v1/b/bkt-test/o/f%2Ftwo "${AUTH[@]}"
  [ "$CODE" = 204 ]
  [ "$(count_requests 'status=503')" -ge 3 ]
}

@test "fault: 429 with Retry-After" {
  gcs_ctl faults '{"kind":"status","status":429,"retry_after":7}' >/dev/null
  http GET /storage/v1/b/bkt-test/o "${AUTH[@]}"
  [ "$CODE" = 429 ]
  [ "$(hdr Retry-After)" = 7 ]
  [ "$(jv 'd["error"]["errors"][0]["reason"]')" = rateLimitExceeded ]
  http GET /storage/v1/b/bkt-test/o "${AUTH[@]}"
  [ "$CODE" = 200 ]
}

@test "fault: a download cut after N bytes; the client resumes with Range" {
  head -c 300000 /dev/urandom >"$T/obj"
  put_object cut "$T/obj"
  gcs_ctl faults '{"kind":"cut_download","after_bytes":100000}' >/dev/null
  run curl -sS "${AUTH[@]}" -o "$T/part" "$GCS_EMULATOR_URL/storage/v1/b/bkt-test/o/cut?alt=media"
  echo "$output"
  [ "$status" = 18 ] # partial file: the headers promised more
  [ "$(stat -c %s "$T/part")" = 100000 ]
  curl -fsS "${AUTH[@]}" -H 'Range: bytes=100000-' "$GCS_EMULATOR_URL/storage/v1/b/bkt-test/o/cut?alt=media" >>"$T/part"
  cmp "$T/obj" "$T/part"
}

@test "fault: a failed resumable chunk keeps part of it; status query tells where to resume" {
  head -c $((262144 * 2)) /dev/urandom >"$T/data"
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=resumable&name=fc' "${AUTH[@]}"
  path=$(hdr Location)
  path=${path#"$GCS_EMULATOR_URL"}
  gcs_ctl faults '{"kind":"fail_chunk","status":503,"store_bytes":100000}' >/dev/null
  http PUT "$path" -H 'Content-Range: bytes 0-524287/524288' --data-binary "@$T/data"
  [ "$CODE" = 503 ]
  http PUT "$path" -H 'Content-Range: bytes */524288' -H 'Content-Length: 0'
  [ "$CODE" = 308 ]
  [ "$(hdr Range)" = "bytes=0-99999" ]
  tail -c +100001 "$T/data" >"$T/rest"
  # a dropped connection stores nothing here (store_bytes 0)
  gcs_ctl faults '{"kind":"fail_chunk","status":0}' >/dev/null
  run curl -sS -X PUT -H 'Content-Range: bytes 100000-524287/524288' --data-binary "@$T/rest" "$GCS_EMULATOR_URL$path"
  [ "$status" = 52 ] # empty reply
  http PUT "$path" -H 'Content-Range: bytes */524288' -H 'Content-Length: 0'
  [ "$(hdr Range)" = "bytes=0-99999" ]
  http PUT "$path" -H 'Content-Range: bytes 100000-524287/524288' --data-binary "@$T/rest"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["md5Hash"]')" = "$(b64md5 "$T/data")" ]
}

@test "fault: a token expiring mid-upload gets 401 on the next chunk; a fresh token continues" {
  email3=$(gcs_make_key "$T/k3.json")
  tok=$(gcs_token "$T/k3.json")
  head -c $((262144 * 2)) /dev/urandom >"$T/data"
  head -c 262144 "$T/data" >"$T/c1"
  tail -c 262144 "$T/data" >"$T/c2"
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=resumable&name=expiring' -H "Authorization: Bearer $tok"
  path=$(hdr Location)
  path=${path#"$GCS_EMULATOR_URL"}
  http PUT "$path" -H "Authorization: Bearer $tok" -H 'Content-Range: bytes 0-262143/*' --data-binary "@$T/c1"
  [ "$CODE" = 308 ]
  gcs_ctl POST tokens/expire "{\"identity\":\"$email3\",\"after\":0}" >/dev/null
  http PUT "$path" -H "Authorization: Bearer $tok" -H 'Content-Range: bytes 262144-524287/524288' --data-binary "@$T/c2"
  [ "$CODE" = 401 ]
  http GET /storage/v1/b/bkt-test/o -H "Authorization: Bearer $tok"
  [ "$CODE" = 401 ]
  tok=$(gcs_token "$T/k3.json")
  http PUT "$path" -H "Authorization: Bearer $tok" -H 'Content-Range: bytes */524288' -H 'Content-Length: 0'
  [ "$(hdr Range)" = "bytes=0-262143" ]
  http PUT "$path" -H "Authorization: Bearer $tok" -H 'Content-Range: bytes 262144-524287/524288' --data-binary "@$T/c2"
  [ "$CODE" = 200 ]
  [ "$(jv 'd["size"]')" = 524288 ]
}

@test "control: request log filters and counts; tokens, keys and assertions never reach the log" {
  gcs_ctl DELETE requests >/dev/null
  http GET /storage/v1/b/bkt-test/o/nothing-here "${AUTH[@]}"
  http GET /storage/v1/b/bkt-test/o/nothing-here "${AUTH[@]}"
  http GET /storage/v1/b/bkt-test/o "${AUTH[@]}"
  [ "$(count_requests 'route=objects.get&status=404')" = 2 ]
  [ "$(count_requests 'route=objects.list')" = 1 ]
  gcs_ctl requests | jv 'd["requests"][0]["identity"]' /dev/stdin | grep -qx "$EMAIL1"
  gcs_token "$KEY1" >/dev/null
  gcs_metadata_token >/dev/null
  run ! grep -F "$TOKEN1" "$GCS_EMULATOR_LOG"
  run ! grep 'PRIVATE KEY' "$GCS_EMULATOR_LOG"
  run ! grep -E 'eyJ0eXAi|eyJhbGci' "$GCS_EMULATOR_LOG" # no JWT
  gcs_ctl requests >"$T/requests.json"
  run ! grep -F "$TOKEN1" "$T/requests.json"
  grep -q 'POST /token -> 200' "$GCS_EMULATOR_LOG"
}

@test "helpers: gcs_start/gcs_stop; objects survive a restart on the same data dir" {
  (
    gcs_start "$T/second"
    [ "$GCS_EMULATOR_URL" = "http://127.0.0.1:$GCS_EMULATOR_PORT" ]
    [ "$STORAGE_EMULATOR_HOST" = "$GCS_EMULATOR_URL" ]
    [ "$GCE_METADATA_HOST" = "127.0.0.1:$GCS_EMULATOR_PORT" ]
    gcs_make_bucket persist
    tok=$(gcs_metadata_token)
    printf keep | curl -fsS -o /dev/null -H "Authorization: Bearer $tok" --data-binary @- \
      "$GCS_EMULATOR_URL/upload/storage/v1/b/persist/o?uploadType=media&name=k"
    pid=$GCS_EMULATOR_PID
    gcs_stop
    if kill -0 "$pid" 2>/dev/null; then echo "emulator $pid still runs"; false; fi
    # keys can also be registered at start (--key)
    gcs_start "$T/second" --key "$KEY1"
    tok=$(gcs_metadata_token)
    [ "$(curl -fsS -H "Authorization: Bearer $tok" "$GCS_EMULATOR_URL/storage/v1/b/persist/o/k?alt=media")" = keep ]
    exchange "$(gcs_jwt "$KEY1" "" https://oauth2.googleapis.com/token)"
    [ "$CODE" = 200 ]
    gcs_stop
  )
}

@test "memory: a 96 MiB object streams in and out without the emulator holding it" {
  head -c $((96 << 20)) /dev/urandom >"$T/big"
  http POST '/upload/storage/v1/b/bkt-test/o?uploadType=media&name=mem/big' "${AUTH[@]}" \
    -H 'Content-Type: application/octet-stream' -T "$T/big"
  [ "$CODE" = 200 ]
  curl -fsS "${AUTH[@]}" "$GCS_EMULATOR_URL/storage/v1/b/bkt-test/o/mem%2Fbig?alt=media" | cmp - "$T/big"
  http POST '/storage/v1/b/bkt-test/o/mem%2Fbig/rewriteTo/b/bkt-test/o/mem%2Fbig2' "${AUTH[@]}"
  [ "$(jv 'd["done"]')" = true ]
  http DELETE /storage/v1/b/bkt-test/o/mem%2Fbig "${AUTH[@]}"
  http DELETE /storage/v1/b/bkt-test/o/mem%2Fbig2 "${AUTH[@]}"
  peak=$(awk '/^VmHWM/ { print $2 }' "/proc/$GCS_EMULATOR_PID/status") # KiB
  echo "emulator peak RSS: $peak KiB"
  [ "$peak" -lt $((80 << 10)) ]
}

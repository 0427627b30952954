#!/usr/bin/env bats
# The Azure test harness itself: azurite strict about Shared Key and SAS,
# HTTPS with the test CA and OAuth, the loopback token authority (workload
# identity and IMDS) and the @azure/storage-blob cross-check client.

setup_file() {
  load helpers
  load lib/azurite
  azurite_isolate_env
  # Plain HTTP, Shared Key and SAS only.  (With --oauth basic azurite answers a
  # bad Shared Key with 400 InvalidAuthenticationInfo instead of 403.)
  azurite_start http
  export HTTP_PID=$AZURITE_PID HTTP_ENDPOINT=$AZURE_STORAGE_BLOB_ENDPOINT HTTP_LOG=$AZURITE_LOG
  azurite_make_container backups
  azurite_proxy_start
  export HTTP_PROXY_PID=$AZURITE_PROXY_PID
  # HTTPS with the test CA and --oauth basic, and the token authority.
  azurite_start https
  export HTTPS_ENDPOINT=$AZURE_STORAGE_BLOB_ENDPOINT
  azurite_make_container backups
  azure_identity_start
}

teardown_file() {
  load helpers
  load lib/azurite
  azure_identity_stop
  azurite_stop
  _azure_stop_pid "${HTTP_PROXY_PID:-}"
  _azure_stop_pid "${HTTP_PID:-}"
}

setup() {
  load helpers
  load lib/azurite
  load_bats_libs
  export AZURE_STORAGE_BLOB_ENDPOINT=$HTTP_ENDPOINT
  T=$BATS_TEST_TMPDIR
  head -c 300000 /dev/urandom >"$T/payload"
}

# token_status TOKEN: the HTTP status azurite (HTTPS) answers a List Blobs
# with this bearer token.
token_status() {
  curl -sS -o "$T/answer" -w '%{http_code}' --cacert "$CA_BUNDLE" -H "Authorization: Bearer $1" \
    -H 'x-ms-version: 2025-01-05' "$HTTPS_ENDPOINT/backups?restype=container&comp=list"
}

@test "azurite listens on loopback only, blob service alone, strict and without telemetry" {
  [[ $HTTP_ENDPOINT =~ ^http://127\.0\.0\.1:[0-9]+/devstoreaccount1$ ]]
  [[ $HTTPS_ENDPOINT =~ ^https://127\.0\.0\.1:[0-9]+/devstoreaccount1$ ]]
  run cat /proc/"$HTTP_PID"/cmdline
  assert_output --partial disableTelemetry
  refute_output --partial loose
  refute_output --partial skipApiVersionCheck
  # Only the blob service: no queue or table listener.
  run grep -c 'successfully listens' "$HTTP_LOG"
  assert_output 1
  # An API version azurite does not know is refused (no --skipApiVersionCheck).
  run curl -sS -w '%{http_code}' -o /dev/null -H 'x-ms-version: 2099-01-01' "$HTTP_ENDPOINT/backups?restype=container&comp=list"
  assert_output 400
}

@test "Shared Key: put, list, stat and get round-trip byte-identical" {
  azure_blob put backups/neo4j/one.bin "$T/payload"
  run azure_blob list backups neo4j/
  assert_output neo4j/one.bin
  run azure_blob stat backups/neo4j/one.bin
  assert_success
  [ "$(echo "$output" | json_get /dev/stdin 'd["size"]')" -eq 300000 ]
  azure_blob get backups/neo4j/one.bin "$T/back"
  cmp "$T/payload" "$T/back"
  azure_blob get backups/neo4j/one.bin - | cmp - "$T/payload"
}

@test "put-tree and get-tree copy a folder to a container prefix and back, byte-identical" {
  mkdir -p "$T/tree/neo4j/2026-12-03" "$T/tree/system"
  cp "$T/payload" "$T/tree/neo4j/2026-12-03/neo4j.backup"
  echo latest >"$T/tree/neo4j/latest"
  : >"$T/tree/system/empty"
  azure_blob put-tree "$T/tree" backups/legacy/set
  run azure_blob list backups legacy/set/
  assert_output "$(printf '%s\n' legacy/set/neo4j/2026-12-03/neo4j.backup legacy/set/neo4j/latest legacy/set/system/empty)"
  azure_blob get-tree backups/legacy/set "$T/back"
  same_tree "$T/tree" "$T/back"
}

@test "Shared Key: a wrong key or an unsigned request is refused with 403" {
  AZURE_STORAGE_ACCOUNT_KEY=$(head -c 64 /dev/urandom | base64 -w0) run azure_blob list backups
  assert_failure 4
  assert_output --partial '403 AuthorizationFailure'
  run azure_blob --auth anon list backups
  assert_failure
  run curl -sS -o /dev/null -w '%{http_code}' -H 'x-ms-version: 2025-01-05' \
    "$HTTP_ENDPOINT/backups?restype=container&comp=list"
  assert_output 403
}

@test "a connection string works, with BlobEndpoint pointing at azurite" {
  [[ $AZURITE_CONNECTION_STRING == *"BlobEndpoint=$HTTPS_ENDPOINT;"* ]]
  AZURITE_CONNECTION_STRING=${AZURITE_CONNECTION_STRING//$HTTPS_ENDPOINT/$HTTP_ENDPOINT}
  AZURITE_CONNECTION_STRING=${AZURITE_CONNECTION_STRING/=https;/=http;}
  azure_blob --auth connstr put backups/cs.bin "$T/payload"
  azure_blob get backups/cs.bin - | cmp - "$T/payload"
}

@test "SAS: a container SAS reads and writes; tampered, expired and read-only ones are refused" {
  sas=$(azurite_sas backups racwdl 600)
  [[ $sas == *sig=* && $sas == *sr=c* ]]
  azure_blob --auth sas --sas "$sas" put backups/sas/a.bin "$T/payload"
  azure_blob --auth sas --sas "$sas" get backups/sas/a.bin - | cmp - "$T/payload"
  run azure_blob --auth sas --sas "$sas" list backups sas/
  assert_output sas/a.bin

  # Change one character of the signature.
  sig=${sas##*sig=}
  bad=${sas%sig=*}sig=$([[ ${sig:0:1} == A ]] && echo B || echo A)${sig:1}
  run azure_blob --auth sas --sas "$bad" list backups
  assert_failure 4
  assert_output --partial 403

  expired=$(azurite_sas backups racwdl -120)
  run azure_blob --auth sas --sas "$expired" list backups
  assert_failure 4

  readonly_sas=$(azurite_sas backups rl 600)
  azure_blob --auth sas --sas "$readonly_sas" get backups/sas/a.bin - | cmp - "$T/payload"
  run azure_blob --auth sas --sas "$readonly_sas" put backups/sas/b.bin "$T/payload"
  assert_failure 4
  assert_output --partial AuthorizationPermissionMismatch
}

@test "SAS: an account SAS works, and a blob SAS reaches only its blob" {
  sas=$(azurite_account_sas racwdl 600)
  [[ $sas == *ss=b* && $sas == *srt=sco* ]]
  azure_blob --auth sas --sas "$sas" put backups/acct.bin "$T/payload"
  blob_sas=$(azurite_sas backups r 600 acct.bin)
  azure_blob --auth sas --sas "$blob_sas" get backups/acct.bin - | cmp - "$T/payload"
  run azure_blob --auth sas --sas "$blob_sas" get backups/cs.bin "$T/other"
  assert_failure 4
}

@test "large uploads go up as blocks: the access log shows Put Block and Put Block List" {
  head -c 2500000 /dev/urandom >"$T/big"
  AZURITE_LOG=$HTTP_LOG
  azure_blob put backups/big.bin "$T/big" 1048576
  run azure_blob blocks backups/big.bin
  [ "$(echo "$output" | json_get /dev/stdin 'len(d["committed"])')" -eq 3 ]
  azurite_wait_requests '"PUT [^ ]*/big\.bin\?comp=blocklist ' 1
  [ "$(azurite_requests '"PUT [^ ]*/big\.bin\?comp=block&blockid=' | wc -l)" -eq 3 ]
  [ "$(azurite_requests '"PUT [^ ]*/big\.bin\?comp=blocklist ' | wc -l)" -eq 1 ]
  azure_blob get backups/big.bin - | cmp - "$T/big"
}

@test "Copy Blob: the copy status, and the fault proxy keeping it pending" {
  azure_blob put backups/copy/src.bin "$T/payload"
  run azure_blob copy backups/copy/src.bin backups/copy/latest
  assert_output success
  azure_blob get backups/copy/latest - | cmp - "$T/payload"
  # Through the proxy, the target's status says pending twice, then the truth.
  azurite_proxy_reset
  azurite_proxy_fault '{"action": "headers", "method": "HEAD", "path": "/copy/latest$",
    "set": {"x-ms-copy-status": "pending", "x-ms-copy-progress": "0/300000"}, "times": 2}'
  statuses=()
  for _ in 1 2 3; do
    statuses+=("$(AZURE_STORAGE_BLOB_ENDPOINT=$AZURITE_PROXY_ENDPOINT azure_blob stat backups/copy/latest |
      json_get /dev/stdin 'd["copyStatus"]')")
  done
  [ "${statuses[*]}" = "pending pending success" ]
}

@test "the fault proxy in front of azurite: ServerBusy bursts, resets, and the signatures still verify" {
  azurite_proxy_reset
  sas=$(azurite_sas backups racwdl 600)
  url="$AZURITE_PROXY_ENDPOINT/backups?restype=container&comp=list&$sas"
  azurite_server_busy 2 GET
  for _ in 1 2; do
    run curl -sS -D "$T/head" -o "$T/body" -w '%{http_code}' -H 'x-ms-version: 2025-01-05' "$url"
    assert_output 503
    grep -qi '^x-ms-error-code: ServerBusy' "$T/head"
    grep -q '<Code>ServerBusy</Code>' "$T/body"
  done
  run curl -sS -o /dev/null -w '%{http_code}' -H 'x-ms-version: 2025-01-05' "$url"
  assert_output 200
  # Shared Key through the proxy: the SDK retries a ServerBusy and succeeds.
  azurite_server_busy 1 PUT
  AZURE_STORAGE_BLOB_ENDPOINT=$AZURITE_PROXY_ENDPOINT azure_blob put backups/proxied.bin "$T/payload"
  azurite_proxy_fault '{"action": "reset", "after": 100000, "method": "GET", "path": "/proxied.bin$"}'
  run curl -sS -o /dev/null -H 'x-ms-version: 2025-01-05' "$AZURITE_PROXY_ENDPOINT/backups/proxied.bin?$sas"
  assert_failure
  AZURE_STORAGE_BLOB_ENDPOINT=$AZURITE_PROXY_ENDPOINT azure_blob get backups/proxied.bin - | cmp - "$T/payload"
  run azurite_proxy_log
  assert_line --regexp $'^PUT	/devstoreaccount1/backups/proxied.bin	-	503	.*	status	devstoreaccount1$'
  assert_line --regexp $'^PUT	/devstoreaccount1/backups/proxied.bin	-	201	.*	-	devstoreaccount1$'
}

@test "HTTPS: the server certificate verifies with CA_BUNDLE and only with it" {
  [ -s "$CA_BUNDLE" ]
  run curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA_BUNDLE" "$HTTPS_ENDPOINT?comp=list"
  assert_output 403
  run curl -sS -o /dev/null --capath /nonexistent --cacert /etc/ssl/certs/ca-certificates.crt "$HTTPS_ENDPOINT?comp=list"
  assert_failure 60
  # localhost is in the certificate too.
  run curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA_BUNDLE" "${HTTPS_ENDPOINT/127.0.0.1/localhost}?comp=list"
  assert_output 403
  AZURE_STORAGE_BLOB_ENDPOINT=$HTTPS_ENDPOINT azure_blob put backups/tls.bin "$T/payload"
}

@test "workload identity: the federated token is exchanged for a token azurite accepts over HTTPS" {
  azure_identity_ctl DELETE requests >/dev/null
  token=$(azure_workload_token)
  [ "$(azure_identity_count token)" -eq 1 ]
  export AZURE_STORAGE_BLOB_ENDPOINT=$HTTPS_ENDPOINT
  azure_blob --auth bearer --token "$token" put backups/wi/a.bin "$T/payload"
  azure_blob --auth bearer --token "$token" get backups/wi/a.bin - | cmp - "$T/payload"
  run azure_blob --auth bearer --token "$token" list backups wi/
  assert_output wi/a.bin
  # The token is a JWT signed by the authority's published key, for Azure Storage.
  curl -fsS --cacert "$CA_BUNDLE" "$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/discovery/v2.0/keys" >"$T/jwks"
  run "$SYS_PYTHON" - "$token" "$T/jwks" "$AZURE_TENANT_ID" "$AZURE_CLIENT_ID" <<'EOF'
import json, sys, jwt
token, jwks, tenant, client = sys.argv[1:]
key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(json.load(open(jwks))["keys"][0]))
c = jwt.decode(token, key, algorithms=["RS256"], audience="https://storage.azure.com")
assert c["iss"] == "https://sts.windows.net/%s/" % tenant, c
assert c["appid"] == client and c["tid"] == tenant, c
print("ok")
EOF
  assert_output ok
}

@test "workload identity: a wrong assertion, client, tenant, scope or grant gets no token" {
  azure_identity_ctl DELETE requests >/dev/null
  url=$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token
  post() {
    curl -sS --cacert "$CA_BUNDLE" -o "$T/answer" -w '%{http_code}' "$@"
  }
  good=(--data-urlencode grant_type=client_credentials --data-urlencode "client_id=$AZURE_CLIENT_ID"
    --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
    --data-urlencode 'scope=https://storage.azure.com/.default')
  run post "$url" "${good[@]}" --data-urlencode "client_assertion=not-the-token"
  assert_output 401
  grep -q AADSTS700213 "$T/answer"
  run post "$url" "${good[@]/$AZURE_CLIENT_ID/00000000-0000-0000-0000-000000000000}" \
    --data-urlencode "client_assertion@$AZURE_FEDERATED_TOKEN_FILE"
  assert_output 400
  grep -q AADSTS700016 "$T/answer"
  run post "$AZURE_AUTHORITY_HOST/other-tenant/oauth2/v2.0/token" "${good[@]}" \
    --data-urlencode "client_assertion@$AZURE_FEDERATED_TOKEN_FILE"
  assert_output 400
  grep -q AADSTS90002 "$T/answer"
  run post "$url" "${good[@]/.default/user_impersonation}" --data-urlencode "client_assertion@$AZURE_FEDERATED_TOKEN_FILE"
  assert_output 400
  grep -q invalid_scope "$T/answer"
  run post "$url" "${good[@]/=client_credentials/=password}" --data-urlencode "client_assertion@$AZURE_FEDERATED_TOKEN_FILE"
  assert_output 400
  grep -q unsupported_grant_type "$T/answer"
  [ "$(azure_identity_count token)" -eq 5 ]
}

@test "workload identity: after rotation only the token file's new content is accepted" {
  old=$(<"$AZURE_FEDERATED_TOKEN_FILE")
  azure_rotate_federated_token
  [ "$old" != "$(<"$AZURE_FEDERATED_TOKEN_FILE")" ]
  azure_workload_token >/dev/null
  run curl -sS --cacert "$CA_BUNDLE" -o /dev/null -w '%{http_code}' \
    "$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$AZURE_CLIENT_ID" \
    --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
    --data-urlencode "client_assertion=$old" --data-urlencode 'scope=https://storage.azure.com/.default'
  assert_output 401
}

@test "managed identity: IMDS needs the Metadata header and gives a token azurite accepts" {
  azure_identity_ctl DELETE requests >/dev/null
  imds=$AZURE_IMDS_ENDPOINT/metadata/identity/oauth2/token
  run curl -sS -w ' %{http_code}' "$imds?api-version=2018-02-01&resource=https://storage.azure.com/"
  assert_output --partial 'Required metadata header not specified'
  assert_output --partial ' 400'
  run curl -sS -o /dev/null -w '%{http_code}' -H 'Metadata: true' "$imds?resource=https://storage.azure.com/"
  assert_output 400
  run curl -sS -o /dev/null -w '%{http_code}' -H 'Metadata: true' \
    "$imds?api-version=2018-02-01&resource=https://storage.azure.com/&client_id=someone-else"
  assert_output 400
  curl -fsS -H 'Metadata: true' \
    "$imds?api-version=2018-02-01&resource=https://storage.azure.com/&client_id=$AZURE_MI_CLIENT_ID" >"$T/mi"
  [ "$(json_get "$T/mi" 'd["client_id"]')" = "$AZURE_MI_CLIENT_ID" ]
  [ "$(json_get "$T/mi" 'd["token_type"]')" = Bearer ]
  token=$(azure_imds_token)
  [ "$(azure_identity_count imds)" -eq 5 ]
  run token_status "$token"
  assert_output 200
}

@test "bearer tokens: expired, not yet valid, wrong audience or issuer, and non-JWT ones are refused" {
  run token_status "$(azure_mint_token)"
  assert_output 200
  run token_status "$(azure_mint_token '{"lifetime": -120}')"
  assert_output 403
  run token_status "$(azure_mint_token '{"nbf_offset": 600}')"
  assert_output 403
  run token_status "$(azure_mint_token '{"aud": "https://management.azure.com"}')"
  assert_output 403
  run token_status "$(azure_mint_token '{"iss": "https://login.example.com/tenant/"}')"
  assert_output 403
  run token_status "not-a-jwt"
  assert_output 403
  # Bearer over plain HTTP is refused, even with a valid token.
  run curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(azure_mint_token)" \
    -H 'x-ms-version: 2025-01-05' "$HTTP_ENDPOINT/backups?restype=container&comp=list"
  assert_output 403
}

@test "the authority's token lifetime is configurable and faults can be injected" {
  azure_identity_ctl config '{"token_lifetime": 5}' >/dev/null
  curl -fsS -H 'Metadata: true' \
    "$AZURE_IMDS_ENDPOINT/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/" >"$T/mi"
  azure_identity_ctl config '{"token_lifetime": 3600}' >/dev/null
  [ "$(json_get "$T/mi" 'int(d["expires_in"])')" -le 5 ]
  azure_identity_ctl faults '{"route": "token", "status": 503, "count": 1, "retry_after": 1}' >/dev/null
  run azure_workload_token
  assert_failure
  azure_workload_token >/dev/null
}

@test "Microsoft's @azure/identity: workload identity gets its token from the authority and opens azurite" {
  azure_identity_ctl DELETE requests >/dev/null
  export AZURE_STORAGE_BLOB_ENDPOINT=$HTTPS_ENDPOINT
  azure_blob --auth workload put backups/sdk-wi.bin "$T/payload"
  azure_blob --auth workload get backups/sdk-wi.bin - | cmp - "$T/payload"
  [ "$(azure_identity_count token)" -ge 1 ]
  [ "$(azure_identity_count imds)" -eq 0 ]
}

@test "Microsoft's @azure/identity: managed identity gets its token through IMDS and opens azurite" {
  azure_identity_ctl DELETE requests >/dev/null
  export AZURE_STORAGE_BLOB_ENDPOINT=$HTTPS_ENDPOINT
  # Without the workload identity variables, as on a node with a managed identity.
  unset AZURE_FEDERATED_TOKEN_FILE AZURE_CLIENT_ID AZURE_TENANT_ID
  azure_blob --auth managed put backups/sdk-mi.bin "$T/payload"
  run azure_blob --auth managed list backups sdk-mi
  assert_output sdk-mi.bin
  [ "$(azure_identity_count imds)" -ge 1 ]
  [ "$(azure_identity_count token)" -eq 0 ]
}

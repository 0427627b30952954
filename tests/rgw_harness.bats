#!/usr/bin/env bats
# Tests of the S3 test harness (tests/lib/rgw.bash): the throwaway Ceph RGW
# cluster, its SigV4 and STS, the OIDC issuer, the IMDSv2 and EKS Pod
# Identity stand-ins and the fault proxy, checked with boto3 and curl.

bats_require_minimum_version 1.5.0

setup_file() {
  load helpers
  load lib/rgw
  # what a developer's shell may hold must not reach any test
  export AWS_PROFILE=host-profile AWS_ACCESS_KEY_ID=AKIAHOSTKEY AWS_SECRET_ACCESS_KEY=host-secret \
    AWS_SESSION_TOKEN=host-token AWS_ROLE_ARN=arn:aws:iam::1:role/host S3_ADDRESSING_STYLE=virtual
  rgw_start
  rgw_make_bucket bkt-test
  rgw_make_bucket bkt-other --user other
}

teardown_file() {
  rgw_stop
}

setup() {
  load helpers
  load lib/rgw
  load_bats_libs
  rgw_load_env
  rgw_env_for_tools
  T=$BATS_TEST_TMPDIR
}

teardown() {
  rgw_identity_stop
  rgw_proxy_stop
}

# boto3 SCRIPT: runs Python with boto3 and an `s3` client from the current
# AWS_* environment (endpoint AWS_ENDPOINT_URL_S3, path style).
boto3() {
  "$SYS_PYTHON" -c '
import os, sys, boto3, botocore
from botocore.config import Config
def client(service="s3", **kw):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name=os.environ["AWS_REGION"],
                        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": int(os.environ.get("RETRIES", "1")), "mode": "standard"}), **kw)
def code(f):
    try:
        f()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return "%s %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
s3 = client()
exec(sys.argv[1])
' "$1"
}

@test "the cluster lives under its temp dir, listens on loopback only, and took seconds" {
  [[ $RGW_CONF == "$BATS_FILE_TMPDIR"/* ]]
  [ ! -e /etc/ceph/ceph.conf ]
  run rgw_ceph health
  assert_success
  # radosgw, the monitor and the OSD listen on 127.0.0.1 only
  local pid listening
  listening=$(ss -Htlnp)
  for pid in $(cat "$RGW_DIR"/pids/{mon,osd,radosgw}); do
    run awk -v p="pid=$pid," 'index($0, p) { print $4 }' <<<"$listening"
    assert_success
    assert_output --regexp '^127\.0\.0\.1:'
    run grep -v '^127\.0\.0\.1:' <<<"$output"
    assert_output ""
  done
  cat "$RGW_DIR/start-time" >&3
}

@test "rgw_env_for_tools drops the host's AWS_* and S3_* and points every endpoint at loopback" {
  [ -z "${AWS_PROFILE:-}" ]
  [ -z "${AWS_SESSION_TOKEN:-}" ]
  [ -z "${AWS_ROLE_ARN:-}" ]
  [ -z "${S3_ADDRESSING_STYLE:-}" ]
  [ "$AWS_ACCESS_KEY_ID" = "$RGW_ACCESS_KEY" ]
  [ "$AWS_EC2_METADATA_DISABLED" = true ]
  local v
  for v in AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_STS AWS_EC2_METADATA_SERVICE_ENDPOINT; do
    [[ ${!v} == http://127.0.0.1:* ]] || fail "$v=${!v} is not loopback"
  done
  [ ! -e "$AWS_CONFIG_FILE" ]
  [ ! -e "$AWS_SHARED_CREDENTIALS_FILE" ]
  rgw_env_for_tools --no-keys
  [ -z "${AWS_ACCESS_KEY_ID:-}" ]
  [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]
}

@test "put and get round-trip byte-identical through boto3; other users are refused" {
  head -c 1048577 /dev/urandom >"$T/obj"
  rgw_s3 put bkt-test dir/obj "$T/obj"
  rgw_s3 get bkt-test dir/obj "$T/back"
  cmp "$T/obj" "$T/back"
  run rgw_s3 ls bkt-test dir/
  assert_output --regexp "^dir/obj 1048577 [0-9a-f]{32}$"
  run rgw_s3 --user other get bkt-test dir/obj "$T/x"
  assert_failure
  assert_output --partial "AccessDenied (403)"
  run rgw_s3 --user other ls bkt-test
  assert_failure
  assert_output --partial "AccessDenied (403)"
}

@test "multipart upload: the ETag ends in -N and the object reads back byte-identical" {
  head -c $((12 * 1024 * 1024 + 5)) /dev/urandom >"$T/big"
  rgw_s3 --part-size $((5 * 1024 * 1024)) put bkt-test big "$T/big"
  run rgw_s3 head bkt-test big
  assert_success
  assert_output --regexp '"ETag": "\\"[0-9a-f]{32}-3\\""'
  rgw_s3 get bkt-test big "$T/big.back"
  cmp "$T/big" "$T/big.back"
  # RGW enforces S3's 5 MiB minimum part size
  run boto3 '
u = s3.create_multipart_upload(Bucket="bkt-test", Key="small-parts")["UploadId"]
parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="bkt-test", Key="small-parts", UploadId=u, PartNumber=n, Body=b"x" * 1024)["ETag"]} for n in (1, 2)]
print(code(lambda: s3.complete_multipart_upload(Bucket="bkt-test", Key="small-parts", UploadId=u, MultipartUpload={"Parts": parts})))
s3.abort_multipart_upload(Bucket="bkt-test", Key="small-parts", UploadId=u)
'
  assert_success
  assert_output "400 EntityTooSmall"
  run rgw_s3 uploads bkt-test
  assert_output ""
}

@test "SigV4 is checked: a wrong secret is 403 SignatureDoesNotMatch, an unknown key 403 InvalidAccessKeyId" {
  export AWS_SECRET_ACCESS_KEY=wrong-secret
  run boto3 'print(code(lambda: s3.list_objects_v2(Bucket="bkt-test")))'
  assert_output "403 SignatureDoesNotMatch"
  export AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 AWS_SECRET_ACCESS_KEY=whatever
  run boto3 'print(code(lambda: s3.list_objects_v2(Bucket="bkt-test")))'
  assert_output "403 InvalidAccessKeyId"
  # an independent signer (curl's SigV4) agrees, path and virtual-hosted style
  echo curl-signed >"$T/c"
  rgw_s3 put bkt-test c "$T/c"
  local sig=(--aws-sigv4 "aws:amz:$RGW_REGION:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  run curl -fsS "${sig[@]}" --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" "$RGW_ENDPOINT/bkt-test/c"
  assert_output curl-signed
  # rgw_dns_name=s3.localhost; curl resolves *.localhost to loopback itself
  run curl -fsS "${sig[@]}" --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" "http://bkt-test.s3.localhost:$RGW_PORT/c"
  assert_output curl-signed
  run curl -sS -o /dev/null -w '%{http_code}' "${sig[@]}" --user "$RGW_ACCESS_KEY:nope" "$RGW_ENDPOINT/bkt-test/c"
  assert_output 403
  # unsigned requests are anonymous: refused on a private bucket
  run curl -sS -o /dev/null -w '%{http_code}' "$RGW_ENDPOINT/bkt-test/c"
  assert_output 403
}

@test "TLS: the same server on RGW_HTTPS_ENDPOINT, trusted only with RGW_CA_BUNDLE" {
  echo over-tls >"$T/tls"
  run rgw_s3 --endpoint "$RGW_HTTPS_ENDPOINT" put bkt-test tls "$T/tls"
  assert_failure
  assert_output --partial "SSL"
  run boto3 '
s3 = boto3.client("s3", endpoint_url=os.environ["RGW_HTTPS_ENDPOINT"], region_name="us-east-1", verify=os.environ["RGW_CA_BUNDLE"])
s3.put_object(Bucket="bkt-test", Key="tls", Body=b"over-tls\n")
print(s3.get_object(Bucket="bkt-test", Key="tls")["Body"].read().decode(), end="")
'
  assert_success
  assert_output over-tls
  local sig=(--aws-sigv4 "aws:amz:$RGW_REGION:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY")
  run curl -fsS "${sig[@]}" --cacert "$RGW_CA_BUNDLE" "https://bkt-test.s3.localhost:$RGW_HTTPS_PORT/tls"
  assert_output over-tls
  run curl -sS "${sig[@]}" "$RGW_HTTPS_ENDPOINT/bkt-test/tls"
  assert_failure 60
}

@test "the ops log shows a server-side copy as copy_obj with no body received" {
  head -c 300000 /dev/urandom >"$T/src"
  rgw_s3 put bkt-test copy/src "$T/src"
  run boto3 's3.copy_object(Bucket="bkt-test", Key="copy/dst", CopySource={"Bucket": "bkt-test", "Key": "copy/src"})'
  assert_success
  rgw_ops_log_wait $'^copy_obj\t200\t0\t'
  run rgw_ops_log
  assert_line --regexp $'^put_obj\t200\t300000\t0\tRGWTESTUSERKEY000001\tPUT /bkt-test/copy/src$'
  assert_line --regexp $'^copy_obj\t200\t0\t[0-9]+\tRGWTESTUSERKEY000001\tPUT /bkt-test/copy/dst$'
  rgw_s3 get bkt-test copy/dst "$T/dst"
  cmp "$T/src" "$T/dst"
  # UploadPartCopy (the copy above 5 GB) logs as put_obj with no body
  run boto3 '
u = s3.create_multipart_upload(Bucket="bkt-test", Key="copy/parts")["UploadId"]
e = s3.upload_part_copy(Bucket="bkt-test", Key="copy/parts", UploadId=u, PartNumber=1, CopySource={"Bucket": "bkt-test", "Key": "copy/src"})["CopyPartResult"]["ETag"]
s3.complete_multipart_upload(Bucket="bkt-test", Key="copy/parts", UploadId=u, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]})
'
  assert_success
  rgw_ops_log_wait $'^put_obj\t200\t0\t[0-9]+\t[A-Z0-9]+\tPUT /bkt-test/copy/parts\\?.*partNumber=1'
  rgw_s3 get bkt-test copy/parts "$T/parts"
  cmp "$T/src" "$T/parts"
}

@test "STS AssumeRoleWithWebIdentity (IRSA): the issuer's token buys credentials that work, and only that token" {
  rgw_make_web_identity_token "$T/token"
  run rgw_s3 web-identity "$RGW_ROLE_ARN" "$T/token"
  assert_success
  eval "$output"
  [[ -n $AWS_SESSION_TOKEN ]]
  [[ $AWS_ACCESS_KEY_ID != "$RGW_ACCESS_KEY" ]]
  echo via-irsa >"$T/irsa"
  rgw_s3 --keys "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" put bkt-test irsa/obj "$T/irsa"
  rgw_s3 --keys "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" get bkt-test irsa/obj "$T/irsa.back"
  cmp "$T/irsa" "$T/irsa.back"
  # as on S3 without "bucket owner enforced", the writer (the role) owns
  # the object: the bucket owner may list it but not read it
  run rgw_s3 ls bkt-test irsa/
  assert_output --regexp '^irsa/obj 9 '
  # (RGW 16 answers that GET with a bare 403, no XML error body)
  run rgw_s3 get bkt-test irsa/obj "$T/irsa.owner"
  assert_failure
  assert_output --partial "(403)"
  # the session key without its token is unknown
  run rgw_s3 --keys "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" ls bkt-test
  assert_failure
  assert_output --partial "(403)"
  # RGW fetched the issuer's discovery document and keys to check the token
  run curl -fsS "$RGW_OIDC_URL/_counts"
  assert_output --partial '"/jwks"'
  # a token for another service account, signed by an unknown key, or
  # expired: refused with 403 (RGW's STS error body is S3's <Error><Code>,
  # not AWS STS's <ErrorResponse><Error>, so boto3 finds no code in it)
  rgw_make_web_identity_token "$T/bad-sub" system:serviceaccount:neo4j:someone-else
  rgw_make_web_identity_token "$T/bad-key" "" 3600 key=other
  rgw_make_web_identity_token "$T/expired" "" 3600 "exp=$(($(date +%s) - 60))"
  local t
  for t in bad-sub bad-key expired; do
    run rgw_s3 web-identity "$RGW_ROLE_ARN" "$T/$t"
    assert_failure
    assert_output --partial "(403)"
  done
  run curl -sS -X POST "$RGW_ENDPOINT/" --data-urlencode Action=AssumeRoleWithWebIdentity \
    --data-urlencode Version=2011-06-15 --data-urlencode "RoleArn=$RGW_ROLE_ARN" \
    --data-urlencode RoleSessionName=s --data-urlencode "WebIdentityToken=$(<"$T/bad-key")"
  assert_output --regexp '^<\?xml [^>]*><Error><Code>AccessDenied</Code>'
}

@test "IMDSv2 stand-in: token first, 401 without it, and its credentials are real RGW sessions" {
  rgw_identity_start
  local base=$RGW_IDENTITY_URL/latest
  run curl -sS -o /dev/null -w '%{http_code}' "$base/meta-data/iam/security-credentials/"
  assert_output 401
  run curl -sS -o /dev/null -w '%{http_code}' -X PUT "$base/api/token"
  assert_output 400
  local tok role
  tok=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$base/api/token")
  run curl -sS -o /dev/null -w '%{http_code}' -H "X-aws-ec2-metadata-token: not-$tok" "$base/meta-data/iam/security-credentials/"
  assert_output 401
  role=$(curl -fsS -H "X-aws-ec2-metadata-token: $tok" "$base/meta-data/iam/security-credentials/")
  curl -fsS -H "X-aws-ec2-metadata-token: $tok" "$base/meta-data/iam/security-credentials/$role" >"$T/creds.json"
  [ "$(json_get "$T/creds.json" 'd["Code"]')" = Success ]
  rgw_s3 --keys "$(json_get "$T/creds.json" 'd["AccessKeyId"]')" "$(json_get "$T/creds.json" 'd["SecretAccessKey"]')" \
    "$(json_get "$T/creds.json" 'd["Token"]')" ls bkt-test
  [ "$(rgw_identity_count imds_unauthorized)" = 2 ]
  [ "$(rgw_identity_count imds_credentials)" = 1 ]
  # boto3's instance-metadata provider finds it through AWS_EC2_METADATA_SERVICE_ENDPOINT
  rgw_env_for_tools --no-keys
  rgw_identity_env_imds
  run boto3 'print(s3.list_objects_v2(Bucket="bkt-test")["ResponseMetadata"]["HTTPStatusCode"])'
  assert_success
  assert_output 200
  [ "$(rgw_identity_count imds_credentials)" = 2 ]
}

@test "Pod Identity stand-in: the Authorization token is required and each fetch is a new session" {
  rgw_identity_start --lifetime 2
  run curl -sS -o /dev/null -w '%{http_code}' "$RGW_POD_CREDENTIALS_URI"
  assert_output 401
  run curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: wrong" "$RGW_POD_CREDENTIALS_URI"
  assert_output 403
  curl -fsS -H "Authorization: $(<"$RGW_POD_TOKEN_FILE")" "$RGW_POD_CREDENTIALS_URI" >"$T/c1.json"
  curl -fsS -H "Authorization: $(<"$RGW_POD_TOKEN_FILE")" "$RGW_POD_CREDENTIALS_URI" >"$T/c2.json"
  local k1 k2
  k1=$(json_get "$T/c1.json" 'd["AccessKeyId"]')
  k2=$(json_get "$T/c2.json" 'd["AccessKeyId"]')
  [ "$k1" != "$k2" ]
  [ "$(rgw_identity_count pod_credentials)" = 2 ]
  run rgw_identity_ctl GET counts
  assert_output --partial "\"$k2\""
  # the Expiration is --lifetime ahead, and RGW refuses the session after it
  local creds=("$k1" "$(json_get "$T/c1.json" 'd["SecretAccessKey"]')" "$(json_get "$T/c1.json" 'd["Token"]')")
  rgw_s3 --keys "${creds[@]}" ls bkt-test
  local tries=100
  while rgw_s3 --keys "${creds[@]}" ls bkt-test 2>/dev/null && ((tries-- > 0)); do sleep 0.1; done
  run rgw_s3 --keys "${creds[@]}" ls bkt-test
  assert_failure
  # RGW 16 has no ExpiredToken: an expired session key is unknown
  assert_output --partial "InvalidAccessKeyId (403)"
  # injected failures of the endpoint, for retry tests
  rgw_identity_ctl POST config '{"fail_next": 1, "fail_status": 500}'
  run curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: $(<"$RGW_POD_TOKEN_FILE")" "$RGW_POD_CREDENTIALS_URI"
  assert_output 500
  # boto3's container provider uses it (boto3 1.26 reads the token from the variable)
  rgw_env_for_tools --no-keys
  rgw_identity_ctl POST config '{"lifetime": 900}'
  export AWS_CONTAINER_CREDENTIALS_FULL_URI=$RGW_POD_CREDENTIALS_URI
  AWS_CONTAINER_AUTHORIZATION_TOKEN=$(<"$RGW_POD_TOKEN_FILE")
  export AWS_CONTAINER_AUTHORIZATION_TOKEN
  run boto3 'print(s3.list_objects_v2(Bucket="bkt-test")["ResponseMetadata"]["HTTPStatusCode"])'
  assert_success
  assert_output 200
}

@test "fault proxy: SigV4 verifies through it, and SlowDown bursts are answered and logged" {
  rgw_proxy_start
  rgw_env_for_tools --endpoint "$RGW_PROXY_ENDPOINT"
  rgw_proxy_fault '{"action": "slowdown", "method": "PUT", "path": "^/bkt-test/slow$", "times": 2}'
  head -c 70000 /dev/urandom >"$T/slow"
  export RETRIES=3
  run boto3 's3.put_object(Bucket="bkt-test", Key="slow", Body=open("'"$T/slow"'", "rb").read()); print("stored")'
  assert_success
  assert_output stored
  run rgw_proxy_log
  assert_line --index 0 --regexp $'^PUT\t/bkt-test/slow\t-\t503\t[0-9]+\tslowdown\tRGWTESTUSERKEY000001$'
  assert_line --index 1 --regexp $'^PUT\t/bkt-test/slow\t-\t503\t'
  assert_line --index 2 --regexp $'^PUT\t/bkt-test/slow\t-\t200\t0\t-\tRGWTESTUSERKEY000001$'
  # the 503 carries S3's XML error body
  rgw_proxy_fault '{"action": "slowdown", "method": "GET"}'
  run curl -sS "$RGW_PROXY_ENDPOINT/bkt-test/slow"
  assert_output --partial "<Error><Code>SlowDown</Code>"
  rgw_s3 get bkt-test slow "$T/slow.back"
  cmp "$T/slow" "$T/slow.back"
}

@test "fault proxy: resets at a chosen body offset, drops, stalls and a rate cap; the log shows Range" {
  head -c 600000 /dev/urandom >"$T/obj"
  rgw_s3 put bkt-test faults/obj "$T/obj"
  rgw_proxy_start --rate 2000000
  rgw_env_for_tools --endpoint "$RGW_PROXY_ENDPOINT"
  rgw_proxy_fault '{"action": "reset", "after": 123456, "method": "GET", "path": "faults/obj"}'
  run boto3 'print(len(s3.get_object(Bucket="bkt-test", Key="faults/obj")["Body"].read()))'
  assert_failure
  assert_output --partial "Connection reset by peer"
  # resume from the last good byte, as the tools do, with a Range
  run boto3 '
b = s3.get_object(Bucket="bkt-test", Key="faults/obj", Range="bytes=123456-")["Body"].read()
open("'"$T/tail"'", "wb").write(b)
'
  assert_success
  cmp <(head -c 123456 "$T/obj"; cat "$T/tail") "$T/obj"
  rgw_proxy_fault '{"action": "stall", "after": 1000, "seconds": 0.3, "method": "GET"}'
  rgw_proxy_fault '{"action": "drop", "method": "HEAD"}'
  run boto3 'print(code(lambda: s3.head_object(Bucket="bkt-test", Key="faults/obj")))'
  assert_failure
  rgw_s3 --endpoint "$RGW_PROXY_ENDPOINT" get bkt-test faults/obj "$T/stalled"
  cmp "$T/obj" "$T/stalled"
  run rgw_proxy_log
  assert_line --index 0 --regexp $'^GET\t/bkt-test/faults/obj\t-\t200\t123456\treset\t'
  assert_line --index 1 --regexp $'^GET\t/bkt-test/faults/obj\tbytes=123456-\t206\t476544\t-\t'
  assert_line --index 2 --regexp $'^HEAD\t/bkt-test/faults/obj\t-\t-\t0\tdrop\t'
  assert_line --index 3 --regexp $'^GET\t/bkt-test/faults/obj\t-\t200\t600000\tstall\t'
  run rgw_proxy_log --json
  assert_output --partial '"session_token": false'
  rgw_proxy_reset
  run rgw_proxy_log
  assert_output ""
}

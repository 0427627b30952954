# Helpers for bats suites that need a real S3 server: a throwaway Ceph
# cluster (one ceph-mon, one ceph-osd on memstore, one radosgw) entirely
# under a temp dir, plus the loopback stand-ins around it (OIDC issuer,
# IMDSv2 / EKS Pod Identity, fault proxy). See tests/emulators/rgw/README.md.
#
#   load helpers
#   load lib/rgw
#   setup_file() { rgw_start; rgw_make_bucket backups; }
#   teardown_file() { rgw_stop; }
#   setup() { load helpers; load lib/rgw; rgw_load_env; rgw_env_for_tools; }
#
# shellcheck shell=bash
# The RGW_* set by rgw_start are exported in a loop (SC2034); the optional
# arguments of rgw_env_for_tools and rgw_ops_log are optional (SC2119/SC2120).
# shellcheck disable=SC2034,SC2119,SC2120

RGW_EMULATORS="${RGW_EMULATORS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/emulators}"
RGW_PYTHON="${SYS_PYTHON:-/usr/bin/python3}"
# RGW takes any region in a SigV4 credential scope (it signs with the one
# the client sent); a CreateBucket LocationConstraint must be empty or the
# zonegroup's api_name, "default". us-east-1 sends none.
RGW_REGION=us-east-1
RGW_STS_KEY=0123456789abcdef # 16 bytes, rgw_sts_key
RGW_WEB_IDENTITY_SUB=system:serviceaccount:neo4j:neo4j-backup
RGW_WEB_IDENTITY_AUD=sts.amazonaws.com

_rgw_free_port() {
  "$RGW_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

_rgw_fail() {
  echo "rgw: $*" >&2
  local f
  for f in "$RGW_DIR"/log/*.log; do
    [[ -f $f ]] || continue
    echo "--- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
  rgw_stop
  return 1
}

# _rgw_until TRIES CMD...: runs CMD every 0.05 s until it succeeds (bounded).
_rgw_until() {
  local tries=$1
  shift
  while ((tries-- > 0)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}

_rgw_http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

# _rgw_bg NAME CMD...: starts CMD in the background (not holding bats'
# fd 3), its output in $RGW_DIR/log/NAME.out, its pid in $RGW_DIR/pids/NAME.
_rgw_bg() {
  local name=$1
  shift
  "$@" >>"$RGW_DIR/log/$name.out" 2>&1 3>&- &
  echo $! >"$RGW_DIR/pids/$name"
}

# _rgw_kill NAME: stops a process started by _rgw_bg and waits (bounded).
_rgw_kill() {
  local f=$RGW_DIR/pids/$1 pid tries=100
  [[ -f $f ]] || return 0
  pid=$(<"$f")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((tries-- > 0)); do sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

# _rgw_wait_port_file FILE NAME: waits until a server wrote its port.
_rgw_wait_port_file() {
  local file=$1 name=$2 tries=400 pid
  pid=$(<"$RGW_DIR/pids/$name")
  while ((tries-- > 0)); do
    [[ -s $file ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "rgw: $name did not start; its output:" >&2
  cat "$RGW_DIR/log/$name.out" >&2
  return 1
}

# rgw_ceph ARGS...: the ceph CLI on this cluster. rgw_admin ARGS...: radosgw-admin.
rgw_ceph() { ceph -c "$RGW_CONF" "$@"; }
rgw_admin() { radosgw-admin -c "$RGW_CONF" "$@"; }

# rgw_start [DIR]
#   Starts the cluster under DIR (default $BATS_FILE_TMPDIR/rgw), creates
#   the users, the OIDC issuer, the OIDC provider and the roles, and
#   exports (saved in $DIR/env, see rgw_load_env):
#     RGW_DIR RGW_CONF RGW_PORT RGW_ENDPOINT=http://127.0.0.1:PORT RGW_REGION
#     RGW_HTTPS_PORT RGW_HTTPS_ENDPOINT=https://127.0.0.1:PORT (same server, TLS)
#     RGW_CA_BUNDLE                              the private CA that signed it
#     RGW_ACCESS_KEY RGW_SECRET_KEY              user "test" (owns the buckets)
#     RGW_OTHER_ACCESS_KEY RGW_OTHER_SECRET_KEY  user "other" (403 tests)
#     RGW_ADMIN_ACCESS_KEY RGW_ADMIN_SECRET_KEY  user "iam-admin" (IAM API)
#     RGW_OPS_LOG                                the ops log (JSON lines)
#     RGW_OIDC_URL RGW_OIDC_PROVIDER_ARN RGW_ROLE_ARN
#     RGW_WEB_IDENTITY_SUB RGW_WEB_IDENTITY_AUD  what RGW_ROLE_ARN's trust wants
#     RGW_INSTANCE_ROLE_ARN                      role the IMDS/Pod Identity
#                                                stand-ins hand out sessions of
#   and then calls rgw_env_for_tools (AWS_* for the test user).
rgw_start() {
  local dir=${1:-}
  if [[ -z $dir ]]; then
    if [[ -n ${BATS_FILE_TMPDIR:-} ]]; then dir=$BATS_FILE_TMPDIR/rgw; else dir=$(mktemp -d); fi
  fi
  local b
  for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool; do
    command -v "$b" >/dev/null || {
      echo "rgw: $b is not installed; run scripts/deps.sh" >&2
      return 1
    }
  done
  # a cluster still running from an earlier rgw_start in this dir goes first
  if [[ -d $dir/pids ]]; then RGW_DIR=$dir rgw_stop; fi
  RGW_DIR=$dir
  rm -rf "$dir" && mkdir -p "$dir"/{mon,osd,run,log,pids,crash} || return 1
  # a watchdog stops everything when the shell that started it is gone
  # (bats killed, or an interactive shell closed without rgw_stop)
  # shellcheck disable=SC2016 # $1, $2 are the inner script's arguments
  _rgw_bg watchdog bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
    for f in "$2"/pids/*; do [ "${f##*/}" = watchdog ] || kill "$(cat "$f")" 2>/dev/null; done' \
    rgw-watchdog "${RGW_WATCH_PID:-$$}" "$dir"
  RGW_CONF=$dir/ceph.conf
  RGW_OPS_LOG=$dir/log/ops.log
  local fsid mon_port osd_uuid osd_key
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(_rgw_free_port)
  RGW_PORT=$(_rgw_free_port)
  RGW_HTTPS_PORT=$(_rgw_free_port)
  # a private CA and radosgw's certificate (127.0.0.1, localhost, s3.localhost, *.s3.localhost)
  RGW_CA_BUNDLE=$dir/tls/ca.crt
  mkdir -p "$dir/tls" && (
    cd "$dir/tls" &&
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -keyout ca.key -out ca.crt -subj "/CN=neo4j-backup test CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout rgw.key -out rgw.csr -subj "/CN=localhost" &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:s3.localhost,DNS:*.s3.localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >rgw.ext &&
      openssl x509 -req -in rgw.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile rgw.ext -out rgw.crt
  ) >"$dir/log/tls.out" 2>&1 || _rgw_fail "making the test CA failed: $(cat "$dir/log/tls.out")" || return 1
  cat >"$RGW_CONF" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/\$name.keyring
run dir = $dir/run
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
crash dir = $dir/crash
# one OSD, no replicas, few placement groups, no manager
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
# every monitor change is committed at once, not after 1 s: pool creation
# (radosgw makes 6 pools at start) goes from ~10 s to well under 1 s
paxos propose interval = 0.01
mon data avail crit = 0
mon data avail warn = 0
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
[mon]
admin socket = $dir/run/\$name.asok
mon data = $dir/mon/\$name
keyring = $dir/mon/\$name/keyring
mon cluster log file = $dir/log/cluster.log
[osd]
admin socket = $dir/run/\$name.asok
osd data = $dir/osd/\$name
osd objectstore = memstore
# the capacity the OSD reports; memory is used only as objects are stored
memstore device bytes = 8589934592
[client.rgw]
admin socket = $dir/run/\$name.asok
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT ssl_endpoint=127.0.0.1:$RGW_HTTPS_PORT ssl_certificate=$dir/tls/rgw.crt ssl_private_key=$dir/tls/rgw.key
rgw data = $dir/rgw
rgw dns name = s3.localhost
rgw enable ops log = true
rgw ops log rados = false
rgw ops log file path = $RGW_OPS_LOG
rgw s3 auth use sts = true
# The last engine of this order is a fallback whose denial RGW discards
# (rgw_auth.cc strategy_handle_denied): with the default "sts, external,
# local" a wrong secret answers AccessDenied; local first gives AWS's
# answers for static keys (SignatureDoesNotMatch, InvalidAccessKeyId).
rgw s3 auth order = local, sts
rgw sts key = $RGW_STS_KEY
rgw sts min session duration = 1
rgw enable usage log = false
debug rgw = 1
EOF
  local t0=$EPOCHREALTIME
  # the OIDC issuer starts (Python, two RSA keys) while the cluster does
  _rgw_bg oidc "$RGW_PYTHON" "$RGW_EMULATORS/oidc/oidc_issuer.py" --port-file "$dir/oidc.port"
  # keys: the monitor's, the admin's, radosgw's (imported by mon --mkfs)
  {
    ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' &&
      ceph-authtool --create-keyring "$dir/client.admin.keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' &&
      ceph-authtool --create-keyring "$dir/client.rgw.keyring" --gen-key -n client.rgw \
        --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' &&
      ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/client.admin.keyring" &&
      ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/client.rgw.keyring" &&
      monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" &&
      ceph-mon -c "$RGW_CONF" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
  } >"$dir/log/mkfs.out" 2>&1 || _rgw_fail "monitor set-up failed: $(cat "$dir/log/mkfs.out")" || return 1
  _rgw_bg mon ceph-mon -c "$RGW_CONF" -i a -f
  # the OSD: registered with its key in one call, then its memstore made
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_key=$(ceph-authtool --gen-print-key)
  printf '{"cephx_secret": "%s"}' "$osd_key" >"$dir/osd-secret.json"
  local osd_id
  osd_id=$(rgw_ceph --connect-timeout 20 osd new "$osd_uuid" -i "$dir/osd-secret.json" 2>>"$dir/log/mkfs.out") ||
    _rgw_fail "the monitor did not answer" || return 1
  ceph-authtool --create-keyring "$dir/osd.$osd_id.keyring" --name "osd.$osd_id" --add-key "$osd_key" >>"$dir/log/mkfs.out" &&
    mkdir -p "$dir/osd/osd.$osd_id" &&
    ceph-osd -c "$RGW_CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$dir/log/mkfs.out" 2>&1 ||
    _rgw_fail "OSD set-up failed" || return 1
  _rgw_bg osd ceph-osd -c "$RGW_CONF" -i "$osd_id" -f
  # radosgw waits for the OSD by itself while it creates its pools
  _rgw_bg radosgw radosgw -c "$RGW_CONF" -n client.rgw -f
  RGW_ENDPOINT=http://127.0.0.1:$RGW_PORT
  RGW_HTTPS_ENDPOINT=https://127.0.0.1:$RGW_HTTPS_PORT
  local tries=1200 rgw_pid
  rgw_pid=$(<"$dir/pids/radosgw")
  until _rgw_http_ok "$RGW_ENDPOINT/" 2>/dev/null; do
    kill -0 "$rgw_pid" 2>/dev/null || _rgw_fail "radosgw exited during start" || return 1
    ((tries-- > 0)) || _rgw_fail "radosgw did not answer on $RGW_ENDPOINT within 60 s" || return 1
    sleep 0.05
  done
  local t1=$EPOCHREALTIME
  # users: the fixed keys make failures easy to read; the secrets are test-only
  RGW_ACCESS_KEY=RGWTESTUSERKEY000001 RGW_SECRET_KEY=rgw-test-user-secret-0000000000000000001
  RGW_OTHER_ACCESS_KEY=RGWOTHERUSERKEY00002 RGW_OTHER_SECRET_KEY=rgw-other-user-secret-000000000000000002
  RGW_ADMIN_ACCESS_KEY=RGWIAMADMINKEY000003 RGW_ADMIN_SECRET_KEY=rgw-iam-admin-secret-0000000000000000003
  {
    rgw_admin user create --uid=test --display-name="test user" \
      --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY" &&
      rgw_admin user create --uid=other --display-name="other user" \
        --access-key="$RGW_OTHER_ACCESS_KEY" --secret-key="$RGW_OTHER_SECRET_KEY" &&
      rgw_admin user create --uid=iam-admin --display-name="IAM admin" \
        --access-key="$RGW_ADMIN_ACCESS_KEY" --secret-key="$RGW_ADMIN_SECRET_KEY" \
        --caps="roles=*;oidc-provider=*;users=read"
  } >"$dir/log/users.out" 2>&1 || _rgw_fail "radosgw-admin user create failed (see $dir/log/users.out)" || return 1
  local t1b=$EPOCHREALTIME
  # OIDC provider and roles
  _rgw_wait_port_file "$dir/oidc.port" oidc || _rgw_fail "OIDC issuer did not start" || return 1
  RGW_OIDC_URL=http://127.0.0.1:$(<"$dir/oidc.port")
  local thumb
  thumb=$(curl -fsS --max-time 5 "$RGW_OIDC_URL/thumbprint") || _rgw_fail "OIDC issuer did not answer" || return 1
  RGW_ENDPOINT=$RGW_ENDPOINT "$RGW_PYTHON" "$RGW_EMULATORS/rgw/s3tool.py" \
    --access-key "$RGW_ADMIN_ACCESS_KEY" --secret-key "$RGW_ADMIN_SECRET_KEY" \
    setup-iam "$RGW_OIDC_URL" "$thumb" "$RGW_WEB_IDENTITY_SUB" "$RGW_WEB_IDENTITY_AUD" \
    "arn:aws:iam:::user/test" "$dir/iam.json" 2>"$dir/log/iam.out" ||
    _rgw_fail "IAM set-up failed: $(cat "$dir/log/iam.out")" || return 1
  RGW_OIDC_PROVIDER_ARN=$(json_field "$dir/iam.json" provider_arn)
  RGW_ROLE_ARN=$(json_field "$dir/iam.json" role_arn)
  RGW_INSTANCE_ROLE_ARN=$(json_field "$dir/iam.json" instance_role_arn)
  local t2=$EPOCHREALTIME
  awk -v a="$t0" -v b="$t1" -v u="$t1b" -v c="$t2" \
    'BEGIN { printf "rgw_start: cluster %.1f s, users %.1f s, OIDC and IAM %.1f s\n", b - a, u - b, c - u }' >"$dir/start-time"
  local v
  : >"$dir/env"
  for v in RGW_DIR RGW_CONF RGW_PORT RGW_ENDPOINT RGW_REGION RGW_OPS_LOG \
    RGW_HTTPS_PORT RGW_HTTPS_ENDPOINT RGW_CA_BUNDLE \
    RGW_ACCESS_KEY RGW_SECRET_KEY RGW_OTHER_ACCESS_KEY RGW_OTHER_SECRET_KEY \
    RGW_ADMIN_ACCESS_KEY RGW_ADMIN_SECRET_KEY RGW_OIDC_URL RGW_OIDC_PROVIDER_ARN \
    RGW_ROLE_ARN RGW_INSTANCE_ROLE_ARN RGW_WEB_IDENTITY_SUB RGW_WEB_IDENTITY_AUD; do
    export "${v?}"
    printf 'export %s=%q\n' "$v" "${!v}" >>"$dir/env"
  done
  rgw_env_for_tools
}

# json_field FILE KEY: a top-level field of a JSON file.
json_field() {
  "$RGW_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# rgw_load_env [DIR]: re-exports what rgw_start exported (for setup(),
# which bats runs in another process than setup_file()).
rgw_load_env() {
  local dir=${1:-${RGW_DIR:-$BATS_FILE_TMPDIR/rgw}}
  # shellcheck source=/dev/null
  source "$dir/env"
}

# rgw_stop: stops the stand-ins and the cluster (bounded waits).
rgw_stop() {
  [[ -n ${RGW_DIR:-} && -d $RGW_DIR/pids ]] || return 0
  local f
  _rgw_kill watchdog
  for f in "$RGW_DIR"/pids/*; do
    [[ -f $f ]] || continue
    case ${f##*/} in mon | osd | radosgw) ;; *) _rgw_kill "${f##*/}" ;; esac
  done
  _rgw_kill radosgw
  _rgw_kill osd
  _rgw_kill mon
}

# rgw_env_for_tools [--endpoint URL] [--no-keys] [--user other|admin]
#   Clears every AWS_* and S3_* variable inherited from the host, then
#   points everything the S3 driver (DESIGN section 10), boto3 and the aws
#   CLI read at loopback: S3 and STS at RGW (or URL, e.g. the fault proxy),
#   IMDS off and at a port where nothing listens, no shared config or
#   credentials file, and (unless --no-keys) the test user's keys.
rgw_env_for_tools() {
  local endpoint=$RGW_ENDPOINT keys=1 user=test
  while [[ $# -gt 0 ]]; do
    case $1 in
      --endpoint) endpoint=$2 && shift ;;
      --no-keys) keys= ;;
      --user) user=$2 && shift ;;
      *) echo "rgw_env_for_tools: unknown option $1" >&2 && return 1 ;;
    esac
    shift
  done
  local v
  for v in $(compgen -e); do
    case $v in AWS_* | S3_*) unset "$v" ;; esac
  done
  export AWS_ENDPOINT_URL=$endpoint AWS_ENDPOINT_URL_S3=$endpoint AWS_ENDPOINT_URL_STS=$RGW_ENDPOINT
  export AWS_REGION=$RGW_REGION AWS_DEFAULT_REGION=$RGW_REGION
  export AWS_EC2_METADATA_DISABLED=true AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
  export AWS_CONFIG_FILE=$RGW_DIR/aws-config-none AWS_SHARED_CREDENTIALS_FILE=$RGW_DIR/aws-credentials-none
  export AWS_STS_REGIONAL_ENDPOINTS=regional
  if [[ -n $keys ]]; then
    case $user in
      test) export AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY ;;
      other) export AWS_ACCESS_KEY_ID=$RGW_OTHER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_OTHER_SECRET_KEY ;;
      admin) export AWS_ACCESS_KEY_ID=$RGW_ADMIN_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$RGW_ADMIN_SECRET_KEY ;;
      *) echo "rgw_env_for_tools: unknown user $user" >&2 && return 1 ;;
    esac
  fi
}

# rgw_s3 [--user test|other|admin | --keys AK SK [TOKEN]] [--endpoint URL] CMD ARGS...
#   boto3 (tests/emulators/rgw/s3tool.py) as the given identity (default:
#   the test user) against RGW: mb, put [--part-size N], get, head, ls, rm,
#   uploads, web-identity. Independent of the AWS_* environment.
rgw_s3() {
  local ak=$RGW_ACCESS_KEY sk=$RGW_SECRET_KEY tok="" endpoint=$RGW_ENDPOINT
  while [[ $# -gt 0 ]]; do
    case $1 in
      --user)
        case $2 in
          test) ak=$RGW_ACCESS_KEY sk=$RGW_SECRET_KEY ;;
          other) ak=$RGW_OTHER_ACCESS_KEY sk=$RGW_OTHER_SECRET_KEY ;;
          admin) ak=$RGW_ADMIN_ACCESS_KEY sk=$RGW_ADMIN_SECRET_KEY ;;
          *) echo "rgw_s3: unknown user $2" >&2 && return 1 ;;
        esac
        shift 2
        ;;
      --keys)
        ak=$2 sk=$3 && shift 3
        if [[ $# -gt 0 && $1 != -* && ! $1 =~ ^(mb|put|get|head|ls|rm|uploads|web-identity)$ ]]; then
          tok=$1 && shift
        fi
        ;;
      --endpoint) endpoint=$2 && shift 2 ;;
      *) break ;;
    esac
  done
  "$RGW_PYTHON" "$RGW_EMULATORS/rgw/s3tool.py" --endpoint "$endpoint" \
    --access-key "$ak" --secret-key "$sk" ${tok:+--session-token "$tok"} "$@"
}

# rgw_make_bucket NAME [--user other]: creates a bucket (owned by the test
# user unless told).
rgw_make_bucket() {
  local name=$1
  shift
  rgw_s3 "$@" mb "$name"
}

# rgw_ops_log [--json]: the ops log so far, one line per request:
#   OPERATION HTTP_STATUS BYTES_RECEIVED BYTES_SENT ACCESS_KEY URI
# (tab-separated; URI as "METHOD /bucket/key?query"). --json: the raw lines.
# A server-side copy shows as "copy_obj ... 0 ..." (no body received).
rgw_ops_log() {
  [[ -f $RGW_OPS_LOG ]] || return 0
  if [[ ${1:-} == --json ]]; then
    cat "$RGW_OPS_LOG"
    return
  fi
  "$RGW_PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    uri = e.get("uri", "").rsplit(" HTTP/", 1)[0]
    parts = uri.split("?")
    if len(parts) == 3 and parts[1] == parts[2]:  # RGW 16 repeats the query
        uri = parts[0] + "?" + parts[1]
    print("\t".join(str(x) for x in (e.get("operation"), e.get("http_status"),
          e.get("bytes_received"), e.get("bytes_sent"), e.get("access_key_id", ""), uri)))
' "$RGW_OPS_LOG"
}

# rgw_ops_log_wait REGEX [TRIES]: waits (bounded) until a line of
# rgw_ops_log matches REGEX (radosgw writes the log asynchronously).
rgw_ops_log_wait() {
  local re=$1 tries=${2:-200}
  while ((tries-- > 0)); do
    rgw_ops_log | grep -Eq -- "$re" && return 0
    sleep 0.05
  done
  echo "rgw: no ops log line matches $re; the log:" >&2
  rgw_ops_log >&2
  return 1
}

# rgw_make_web_identity_token FILE [SUB] [TTL] [EXTRA_QUERY]: writes a web
# identity token signed by the loopback issuer (what EKS projects into
# AWS_WEB_IDENTITY_TOKEN_FILE). SUB defaults to RGW_WEB_IDENTITY_SUB (what
# RGW_ROLE_ARN trusts), TTL to 3600 s. EXTRA_QUERY e.g. "key=other" (signed
# by a key RGW does not know) or "aud=someone-else" or "exp=1".
rgw_make_web_identity_token() {
  local file=$1 sub=${2:-$RGW_WEB_IDENTITY_SUB} ttl=${3:-3600} extra=${4:-}
  curl -fsS --max-time 5 -X POST -o "$file.tmp" \
    "$RGW_OIDC_URL/token?sub=$sub&aud=$RGW_WEB_IDENTITY_AUD&ttl=$ttl${extra:+&$extra}" &&
    mv "$file.tmp" "$file"
}

# rgw_identity_start [--static] [--lifetime S]
#   Starts the IMDSv2 / EKS Pod Identity stand-in (tests/emulators/aws_identity.py).
#   By default each credentials request returns a fresh STS session of
#   RGW_INSTANCE_ROLE_ARN lasting --lifetime seconds (default 3600; RGW
#   really refuses it afterwards); --static hands out the test user's keys.
#   Exports RGW_IDENTITY_URL (its base, also IMDS's endpoint and the
#   control API under /_ctl/), RGW_POD_CREDENTIALS_URI (.../v1/credentials)
#   and RGW_POD_TOKEN_FILE (the token it wants in Authorization).
rgw_identity_start() {
  local args=(--access-key "$RGW_ACCESS_KEY" --secret-key "$RGW_SECRET_KEY"
    --role-arn "$RGW_INSTANCE_ROLE_ARN" --sts-endpoint "$RGW_ENDPOINT" --region "$RGW_REGION")
  while [[ $# -gt 0 ]]; do
    case $1 in
      --static) args=(--access-key "$RGW_ACCESS_KEY" --secret-key "$RGW_SECRET_KEY" --region "$RGW_REGION") ;;
      --lifetime) args+=(--lifetime "$2") && shift ;;
      *) echo "rgw_identity_start: unknown option $1" >&2 && return 1 ;;
    esac
    shift
  done
  RGW_POD_TOKEN_FILE=$RGW_DIR/pod-identity-token
  printf 'pod-identity-token-%s' "$RANDOM$RANDOM" >"$RGW_POD_TOKEN_FILE"
  rm -f "$RGW_DIR/identity.port"
  _rgw_bg identity "$RGW_PYTHON" "$RGW_EMULATORS/aws_identity.py" --port-file "$RGW_DIR/identity.port" \
    --pod-token-file "$RGW_POD_TOKEN_FILE" "${args[@]}"
  _rgw_wait_port_file "$RGW_DIR/identity.port" identity || return 1
  RGW_IDENTITY_URL=http://127.0.0.1:$(<"$RGW_DIR/identity.port")
  RGW_POD_CREDENTIALS_URI=$RGW_IDENTITY_URL/v1/credentials
  export RGW_IDENTITY_URL RGW_POD_CREDENTIALS_URI RGW_POD_TOKEN_FILE
  _rgw_until 100 _rgw_http_ok "$RGW_IDENTITY_URL/_ctl/health"
}

rgw_identity_stop() { _rgw_kill identity; }

# rgw_identity_ctl METHOD PATH [JSON]: the stand-in's control API, e.g.
#   rgw_identity_ctl POST config '{"lifetime": 5, "fail_next": 1}'
rgw_identity_ctl() {
  curl -fsS --max-time 5 -X "$1" ${3:+-H 'Content-Type: application/json' --data "$3"} "$RGW_IDENTITY_URL/_ctl/$2"
}

# rgw_identity_count NAME: how many requests of a kind the stand-in served:
#   imds_token imds_role_list imds_credentials imds_unauthorized
#   pod_credentials pod_unauthorized pod_forbidden sts_assume_role injected_failure
rgw_identity_count() {
  rgw_identity_ctl GET counts | "$RGW_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["counts"].get(sys.argv[1], 0))' "$1"
}

# rgw_identity_env_imds / rgw_identity_env_pod: the environment of a pod
# or instance with that identity (after rgw_env_for_tools --no-keys).
rgw_identity_env_imds() {
  export AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$RGW_IDENTITY_URL
}
rgw_identity_env_pod() {
  export AWS_CONTAINER_CREDENTIALS_FULL_URI=$RGW_POD_CREDENTIALS_URI
  export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$RGW_POD_TOKEN_FILE
}

# rgw_irsa_env TOKEN_FILE: the environment EKS gives a pod with IRSA
# (after rgw_env_for_tools --no-keys); writes a fresh token to TOKEN_FILE.
rgw_irsa_env() {
  rgw_make_web_identity_token "$1" || return 1
  export AWS_ROLE_ARN=$RGW_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE=$1 AWS_ROLE_SESSION_NAME=neo4j-backup-test
}

# rgw_proxy_start [FAULTPROXY_ARGS...]: starts the fault proxy in front of
# RGW (tests/emulators/faultproxy.py; args e.g. --rate 1000000, --fault
# JSON). Exports RGW_PROXY_ENDPOINT=http://127.0.0.1:PORT (point the tools
# at it: rgw_env_for_tools --endpoint "$RGW_PROXY_ENDPOINT") and
# RGW_PROXY_CTL (its control API).
rgw_proxy_start() {
  rm -f "$RGW_DIR/proxy.port" "$RGW_DIR/proxy.ctl"
  _rgw_bg proxy "$RGW_PYTHON" "$RGW_EMULATORS/faultproxy.py" --upstream "127.0.0.1:$RGW_PORT" \
    --port-file "$RGW_DIR/proxy.port" --control-port-file "$RGW_DIR/proxy.ctl" "$@"
  _rgw_wait_port_file "$RGW_DIR/proxy.port" proxy || return 1
  RGW_PROXY_ENDPOINT=http://127.0.0.1:$(<"$RGW_DIR/proxy.port")
  RGW_PROXY_CTL=http://127.0.0.1:$(<"$RGW_DIR/proxy.ctl")
  export RGW_PROXY_ENDPOINT RGW_PROXY_CTL
  _rgw_until 100 _rgw_http_ok "$RGW_PROXY_CTL/health"
}

rgw_proxy_stop() { _rgw_kill proxy; }

# rgw_proxy_fault JSON: adds a fault rule (see faultproxy.py), e.g.
#   rgw_proxy_fault '{"action": "slowdown", "method": "PUT", "times": 2}'
#   rgw_proxy_fault '{"action": "reset", "after": 1048576, "method": "GET"}'
rgw_proxy_fault() {
  curl -fsS --max-time 5 -X POST -H 'Content-Type: application/json' --data "$1" "$RGW_PROXY_CTL/faults" >/dev/null
}

# rgw_proxy_rate BYTES_PER_S [UP_BYTES_PER_S]: caps each connection's
# response (and request) bodies; 0 lifts the cap.
rgw_proxy_rate() {
  curl -fsS --max-time 5 -X POST --data "{\"rate\": $1, \"rate_up\": ${2:-0}}" "$RGW_PROXY_CTL/config" >/dev/null
}

# rgw_proxy_reset: no faults, no caps, empty request log.
rgw_proxy_reset() { curl -fsS --max-time 5 -X POST "$RGW_PROXY_CTL/reset" >/dev/null; }

# rgw_proxy_log [--json]: the requests the proxy saw, one per line:
#   METHOD PATH?QUERY RANGE STATUS RESP_BYTES FAULT KEY_ID
# (tab-separated; "-" for none). --json: the full entries.
rgw_proxy_log() {
  if [[ ${1:-} == --json ]]; then
    curl -fsS --max-time 5 "$RGW_PROXY_CTL/log"
    return
  fi
  curl -fsS --max-time 5 "$RGW_PROXY_CTL/log" | "$RGW_PYTHON" -c '
import json, sys
for e in json.load(sys.stdin):
    f = e["fault"]["action"] if e["fault"] else "-"
    pq = e["path"] + ("?" + e["query"] if e["query"] else "")
    print("\t".join(str(x) for x in (e["method"], pq, e["range"] or "-", e["status"] or "-",
          e["resp_bytes"], f, e["key_id"] or "-")))
'
}

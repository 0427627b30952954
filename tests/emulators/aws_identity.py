#!/usr/bin/python3
"""Loopback stand-ins for two AWS credential endpoints, handing out real
Ceph RGW credentials:

  IMDSv2 (EC2 instance profile), the paths an SDK uses:
    PUT /latest/api/token            needs X-aws-ec2-metadata-token-ttl-seconds
                                     (1..21600), answers a session token
    GET /latest/meta-data/iam/security-credentials/        the role name
    GET /latest/meta-data/iam/security-credentials/ROLE    the credentials
    GET /latest/meta-data/placement/region
    GET /latest/dynamic/instance-identity/document
    Every GET needs X-aws-ec2-metadata-token (401 without or when expired:
    IMDSv1 is off, as on hardened instances).

  EKS Pod Identity agent (AWS_CONTAINER_CREDENTIALS_FULL_URI):
    GET /v1/credentials              Authorization must equal the contents
                                     of --pod-token-file (read at each
                                     request, so tests can rotate it): 401
                                     when missing, 403 when wrong.

Credentials: with --role-arn, each credentials request calls RGW's STS
AssumeRole (signed with --access-key/--secret-key) for a session lasting
--lifetime seconds, so every renewal hands out new keys and an expired
session is refused by RGW for real; the Expiration says when. Without
--role-arn the static keys are handed out with an Expiration --lifetime
ahead (and no session token).

Control (JSON), for tests:
  GET  /_ctl/counts    how many requests of each kind, and the key ids handed out
  POST /_ctl/config    {"lifetime": S, "fail_next": N, "fail_status": 500}
  POST /_ctl/reset     zero the counts and the failures
  GET  /_ctl/health
"""

import argparse
import json
import os
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

STATE = {
    "lock": threading.Lock(),
    "counts": {},
    "issued": [],
    "imds_tokens": {},  # token -> expiry (epoch seconds)
    "fail_next": 0,
    "fail_status": 500,
}
ARGS = None


def count(name):
    with STATE["lock"]:
        STATE["counts"][name] = STATE["counts"].get(name, 0) + 1


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_credentials():
    """Real RGW credentials for one credentials response."""
    lifetime = ARGS.lifetime
    if ARGS.role_arn:
        import boto3
        from botocore.config import Config

        sts = boto3.client(
            "sts",
            endpoint_url=ARGS.sts_endpoint,
            region_name=ARGS.region,
            aws_access_key_id=ARGS.access_key,
            aws_secret_access_key=ARGS.secret_key,
            # RGW allows sessions shorter than AWS's 900 s minimum when
            # rgw_sts_min_session_duration says so; botocore would refuse.
            config=Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"}),
        )
        c = sts.assume_role(
            RoleArn=ARGS.role_arn,
            RoleSessionName="identity-standin-%d" % int(time.time() * 1000),
            DurationSeconds=lifetime,
        )["Credentials"]
        count("sts_assume_role")
        creds = {
            "AccessKeyId": c["AccessKeyId"],
            "SecretAccessKey": c["SecretAccessKey"],
            "Token": c["SessionToken"],
            "Expiration": iso(c["Expiration"].timestamp()),
        }
    else:
        creds = {
            "AccessKeyId": ARGS.access_key,
            "SecretAccessKey": ARGS.secret_key,
            "Expiration": iso(time.time() + lifetime),
        }
    with STATE["lock"]:
        STATE["issued"].append(creds["AccessKeyId"])
    return creds


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("aws-identity: " + (fmt % args) + "\n")

    def reply(self, code, body, ctype="text/plain", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            ctype = "application/json"
        if not isinstance(body, bytes):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def injected_failure(self):
        with STATE["lock"]:
            if STATE["fail_next"] > 0:
                STATE["fail_next"] -= 1
                status = STATE["fail_status"]
            else:
                return False
        count("injected_failure")
        self.reply(status, "injected failure\n")
        return True

    # ---- control -----------------------------------------------------
    def control(self, path):
        if path == "/_ctl/health":
            return self.reply(200, "ok\n")
        if path == "/_ctl/counts":
            with STATE["lock"]:
                return self.reply(200, {"counts": dict(STATE["counts"]), "issued": list(STATE["issued"])})
        if path == "/_ctl/reset" and self.command == "POST":
            self.body()
            with STATE["lock"]:
                STATE["counts"].clear()
                STATE["issued"].clear()
                STATE["fail_next"] = 0
            return self.reply(200, "reset\n")
        if path == "/_ctl/config" and self.command == "POST":
            cfg = json.loads(self.body() or b"{}")
            with STATE["lock"]:
                if "lifetime" in cfg:
                    ARGS.lifetime = int(cfg["lifetime"])
                if "fail_next" in cfg:
                    STATE["fail_next"] = int(cfg["fail_next"])
                if "fail_status" in cfg:
                    STATE["fail_status"] = int(cfg["fail_status"])
            return self.reply(200, "ok\n")
        return self.reply(404, "no such control endpoint\n")

    # ---- IMDSv2 ------------------------------------------------------
    def imds_token_ok(self):
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with STATE["lock"]:
            exp = STATE["imds_tokens"].get(tok) if tok else None
        return exp is not None and exp > time.time()

    def imds(self, path):
        if path == "/latest/api/token":
            if self.command != "PUT":
                return self.reply(405, "")
            self.body()
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                count("imds_bad_token_request")
                return self.reply(400, "Missing or invalid X-aws-ec2-metadata-token-ttl-seconds\n")
            count("imds_token")
            tok = secrets.token_urlsafe(32)
            with STATE["lock"]:
                STATE["imds_tokens"][tok] = time.time() + int(ttl)
            return self.reply(200, tok, headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        if self.command not in ("GET", "HEAD"):
            return self.reply(405, "")
        if not self.imds_token_ok():
            count("imds_unauthorized")
            return self.reply(401, "")
        prefix = "/latest/meta-data/iam/security-credentials/"
        if path == prefix:
            count("imds_role_list")
            return self.reply(200, ARGS.imds_role)
        if path == prefix + ARGS.imds_role:
            count("imds_credentials")
            if self.injected_failure():
                return None
            c = new_credentials()
            c.update({"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": iso(time.time())})
            return self.reply(200, c)
        if path == "/latest/meta-data/placement/region":
            return self.reply(200, ARGS.region)
        if path == "/latest/dynamic/instance-identity/document":
            return self.reply(200, {"region": ARGS.region, "instanceId": "i-0standin", "accountId": "000000000000"})
        count("imds_not_found")
        return self.reply(404, "")

    # ---- EKS Pod Identity -----------------------------------------------
    def pod_identity(self):
        auth = self.headers.get("Authorization")
        if not auth:
            count("pod_unauthorized")
            return self.reply(401, {"Message": "Authorization header is missing"})
        try:
            with open(ARGS.pod_token_file) as f:
                want = f.read().strip()
        except OSError:
            want = None
        if auth.strip() != want:
            count("pod_forbidden")
            return self.reply(403, {"Message": "Authorization token is not valid"})
        count("pod_credentials")
        if self.injected_failure():
            return None
        c = new_credentials()
        c["AccountId"] = "000000000000"
        return self.reply(200, c)

    def dispatch(self):
        path = urlsplit(self.path).path
        if path.startswith("/_ctl/"):
            return self.control(path)
        if path.startswith("/latest/"):
            return self.imds(path)
        if path == ARGS.pod_path and self.command == "GET":
            return self.pod_identity()
        count("not_found")
        return self.reply(404, "")

    do_GET = do_PUT = do_POST = do_HEAD = dispatch


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--role-arn", help="hand out STS AssumeRole sessions of this role")
    ap.add_argument("--sts-endpoint", help="RGW's URL (STS)")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--lifetime", type=int, default=3600, help="seconds each credential lasts")
    ap.add_argument("--imds-role", default="neo4j-backup-instance-role")
    ap.add_argument("--pod-path", default="/v1/credentials")
    ap.add_argument("--pod-token-file", default="/nonexistent")
    ARGS = ap.parse_args()
    # boto3 (for STS) sees nothing of the host's AWS set-up
    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    os.environ.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
                      AWS_EC2_METADATA_DISABLED="true")
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    if ARGS.port_file:
        with open(ARGS.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A small boto3 client for the tests: an independent S3 client to put
what the tools should read and to read what they wrote, plus the IAM and
STS set-up of the RGW harness (tests/lib/rgw.bash).

  s3tool.py [--endpoint URL] [--access-key K --secret-key S [--session-token T]] CMD ...

  mb BUCKET                            create a bucket
  put BUCKET KEY FILE [--part-size N]  upload (multipart with N-byte parts)
  get BUCKET KEY FILE                  download
  head BUCKET KEY                      print the object's metadata as JSON
  ls BUCKET [PREFIX]                   print "KEY SIZE ETAG" lines
  rm BUCKET KEY...                     delete objects
  uploads BUCKET                       print in-progress multipart uploads as "KEY UPLOAD_ID"
  web-identity ROLE_ARN TOKEN_FILE [--duration S]
                                       AssumeRoleWithWebIdentity; prints the
                                       credentials as shell assignments
  setup-iam ISSUER_URL THUMBPRINT SUB AUD USER_ARN OUT_JSON
                                       registers the OIDC provider and two
                                       roles (web identity; AssumeRole for
                                       the identity stand-ins); writes ARNs

The endpoint and keys default to RGW_ENDPOINT and AWS_ACCESS_KEY_ID/
AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN. Exit 1 with the S3 error code
on stderr when a request fails (e.g. "error: AccessDenied (403)").
"""

import argparse
import json
import os
import shlex
import sys

import boto3
import botocore
from botocore.config import Config

REGION = os.environ.get("RGW_REGION", "us-east-1")


def client(args, service="s3"):
    cfg = Config(
        s3={"addressing_style": "path"},
        retries={"total_max_attempts": 1, "mode": "standard"},
        parameter_validation=service != "sts",
        connect_timeout=10,
        read_timeout=120,
    )
    return boto3.client(
        service,
        endpoint_url=args.endpoint,
        region_name=REGION,
        aws_access_key_id=args.access_key,
        aws_secret_access_key=args.secret_key,
        aws_session_token=args.session_token or None,
        config=cfg,
    )


def isolate_from_host():
    """Nothing of the host's AWS set-up (profiles, config files, IMDS) may
    reach boto3: only what the command line says."""
    for k in list(os.environ):
        if k.startswith("AWS_"):
            del os.environ[k]
    os.environ.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
                      AWS_EC2_METADATA_DISABLED="true")


def compact(doc):
    # RGW 16's IAM API reads form values without turning '+' back into a
    # space, so a policy with spaces arrives as invalid JSON: no spaces.
    return json.dumps(doc, separators=(",", ":"))


def cmd_setup_iam(args):
    iam = client(args, "iam")
    issuer, thumb, sub, aud, user_arn, out = args.rest
    host = issuer.split("://", 1)[1]
    prov = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=[aud], ThumbprintList=[thumb])
    prov_arn = prov["OpenIDConnectProviderArn"]
    s3_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]}]}
    trust_web = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": [prov_arn]},
            "Action": ["sts:AssumeRoleWithWebIdentity"],
            # RGW 16 puts the token's aud under ISSUER:app_id (not :aud)
            "Condition": {"StringEquals": {host + ":sub": sub, host + ":app_id": aud}},
        }],
    }
    web = iam.create_role(RoleName="neo4j-backup-irsa", AssumeRolePolicyDocument=compact(trust_web))["Role"]
    iam.put_role_policy(RoleName="neo4j-backup-irsa", PolicyName="s3", PolicyDocument=compact(s3_all))
    trust_user = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": [user_arn]}, "Action": ["sts:AssumeRole"]}],
    }
    inst = iam.create_role(RoleName="neo4j-backup-instance", AssumeRolePolicyDocument=compact(trust_user))["Role"]
    iam.put_role_policy(RoleName="neo4j-backup-instance", PolicyName="s3", PolicyDocument=compact(s3_all))
    with open(out, "w") as f:
        json.dump({"provider_arn": prov_arn, "role_arn": web["Arn"], "instance_role_arn": inst["Arn"]}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", default=os.environ.get("RGW_ENDPOINT"))
    ap.add_argument("--access-key", default=os.environ.get("AWS_ACCESS_KEY_ID"))
    ap.add_argument("--secret-key", default=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    ap.add_argument("--session-token", default=os.environ.get("AWS_SESSION_TOKEN"))
    ap.add_argument("--part-size", type=int, default=0)
    ap.add_argument("--duration", type=int, default=3600)
    ap.add_argument("cmd")
    ap.add_argument("rest", nargs="*")
    args = ap.parse_args()
    isolate_from_host()
    r = args.rest
    try:
        if args.cmd == "mb":
            client(args).create_bucket(Bucket=r[0])
        elif args.cmd == "put":
            s3 = client(args)
            if args.part_size:
                from boto3.s3.transfer import TransferConfig
                tc = TransferConfig(multipart_threshold=args.part_size, multipart_chunksize=args.part_size, use_threads=False)
                s3.upload_file(r[2], r[0], r[1], Config=tc)
            else:
                with open(r[2], "rb") as f:
                    s3.put_object(Bucket=r[0], Key=r[1], Body=f)
        elif args.cmd == "get":
            s3 = client(args)
            body = s3.get_object(Bucket=r[0], Key=r[1])["Body"]
            with open(r[2], "wb") as f:
                for chunk in iter(lambda: body.read(1 << 20), b""):
                    f.write(chunk)
        elif args.cmd == "head":
            h = client(args).head_object(Bucket=r[0], Key=r[1])
            h.pop("ResponseMetadata", None)
            print(json.dumps(h, default=str))
        elif args.cmd == "ls":
            s3 = client(args)
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=r[0], Prefix=r[1] if len(r) > 1 else "")
            for page in pages:
                for o in page.get("Contents", []):
                    print(o["Key"], o["Size"], o["ETag"].strip('"'))
        elif args.cmd == "rm":
            s3 = client(args)
            for k in r[1:]:
                s3.delete_object(Bucket=r[0], Key=k)
        elif args.cmd == "uploads":
            for u in client(args).list_multipart_uploads(Bucket=r[0]).get("Uploads", []):
                print(u["Key"], u["UploadId"])
        elif args.cmd == "web-identity":
            with open(r[1]) as f:
                token = f.read().strip()
            c = client(args, "sts").assume_role_with_web_identity(
                RoleArn=r[0], RoleSessionName="s3tool", WebIdentityToken=token, DurationSeconds=args.duration
            )["Credentials"]
            print("AWS_ACCESS_KEY_ID=" + shlex.quote(c["AccessKeyId"]))
            print("AWS_SECRET_ACCESS_KEY=" + shlex.quote(c["SecretAccessKey"]))
            print("AWS_SESSION_TOKEN=" + shlex.quote(c["SessionToken"]))
            print("AWS_CREDENTIAL_EXPIRATION=" + shlex.quote(c["Expiration"].isoformat()))
        elif args.cmd == "setup-iam":
            cmd_setup_iam(args)
        else:
            ap.error("unknown command %s" % args.cmd)
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        print("error: %s (%s) %s" % (err.get("Code"), status, err.get("Message") or ""), file=sys.stderr)
        sys.exit(1)
    except botocore.exceptions.BotoCoreError as e:
        print("error: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

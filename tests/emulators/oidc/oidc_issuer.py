#!/usr/bin/python3
"""A loopback OpenID Connect issuer for the tests: it signs web identity
tokens (the projected service-account tokens IRSA hands to a pod) and
serves what Ceph RGW fetches to check them.

RGW 16 (Pacific) checks a token of AssumeRoleWithWebIdentity like this:
GET {iss}/.well-known/openid-configuration, take `jwks_uri`, GET it, take
the first key's `x5c` certificate, verify the JWT's RS256 signature and
`exp` with it. So the JWKS carries a self-signed certificate of the
signing key. Plain http is accepted (the issuer URL in the token and in
the provider registration is http://127.0.0.1:PORT).

Endpoints:
  GET  /.well-known/openid-configuration
  GET  /jwks                          the signing key as JWKS with x5c
  POST /token?sub=..&aud=..&ttl=..&kid=..&exp=..&key=other
                                      a signed token (text/plain); key=other
                                      signs with a key RGW does not know
  GET  /thumbprint                    SHA-1 of the certificate (hex), what
                                      CreateOpenIDConnectProvider wants
  GET  /_counts                       JSON: how often each path was served
  GET  /health

Standard library plus Debian's python3-jwt and python3-cryptography.
"""

import argparse
import base64
import datetime
import hashlib
import json
import sys
import threading
import time
import os
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def b64url_uint(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_key_and_cert(common_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, cert


class Issuer:
    def __init__(self):
        self.key, self.cert = make_key_and_cert("oidc-test-issuer")
        self.other_key, _ = make_key_and_cert("oidc-unknown-issuer")
        self.kid = "test-key-1"
        self.url = None
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, path):
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1

    def thumbprint(self):
        der = self.cert.public_bytes(serialization.Encoding.DER)
        return hashlib.sha1(der).hexdigest()

    def jwks(self):
        pub = self.key.public_key().public_numbers()
        der = self.cert.public_bytes(serialization.Encoding.DER)
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": b64url_uint(pub.n),
                    "e": b64url_uint(pub.e),
                    "x5c": [base64.b64encode(der).decode()],
                    "x5t": base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode(),
                }
            ]
        }

    def token(self, sub, aud, ttl, other_key=False, exp=None, iss=None):
        now = int(time.time())
        claims = {
            "iss": iss or self.url,
            "sub": sub,
            "aud": aud,
            "iat": now,
            "nbf": now - 5,
            "exp": exp if exp is not None else now + ttl,
            "jti": str(uuid.uuid4()),
        }
        key = self.other_key if other_key else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    issuer = None  # set in main

    def log_message(self, fmt, *args):
        sys.stderr.write("oidc: " + (fmt % args) + "\n")

    def reply(self, code, body, ctype="application/json"):
        if not isinstance(body, bytes):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        iss = self.issuer
        path = urlsplit(self.path).path
        iss.count(path)
        if path == "/.well-known/openid-configuration":
            self.reply(200, json.dumps({
                "issuer": iss.url,
                "jwks_uri": iss.url + "/jwks",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }))
        elif path == "/jwks":
            self.reply(200, json.dumps(iss.jwks()))
        elif path == "/thumbprint":
            self.reply(200, iss.thumbprint() + "\n", "text/plain")
        elif path == "/_counts":
            with iss.lock:
                self.reply(200, json.dumps(iss.counts))
        elif path == "/health":
            self.reply(200, "ok\n", "text/plain")
        else:
            self.reply(404, json.dumps({"error": "not found"}))

    def do_POST(self):
        iss = self.issuer
        url = urlsplit(self.path)
        iss.count(url.path)
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if url.path != "/token":
            self.reply(404, json.dumps({"error": "not found"}))
            return
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        tok = iss.token(
            sub=q.get("sub", "system:serviceaccount:default:neo4j-backup"),
            aud=q.get("aud", "sts.amazonaws.com"),
            ttl=int(q.get("ttl", "3600")),
            other_key=q.get("key") == "other",
            exp=int(q["exp"]) if "exp" in q else None,
            iss=q.get("iss"),
        )
        self.reply(200, tok, "text/plain")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    args = ap.parse_args()
    issuer = Issuer()
    Handler.issuer = issuer
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    issuer.url = "http://127.0.0.1:%d" % port
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()

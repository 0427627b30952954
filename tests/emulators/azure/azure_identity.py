#!/usr/bin/python3
"""Loopback Microsoft Entra ID (Azure AD) token authority for the test suites.

Serves the two ways a pod gets a token for Azure Storage:

- workload identity: POST /{tenant}/oauth2/v2.0/token with
  grant_type=client_credentials, client_id, client_assertion_type=
  urn:ietf:params:oauth:client-assertion-type:jwt-bearer, client_assertion
  (the federated token file's content) and scope=RESOURCE/.default.  The
  tenant, the client id and the assertion (exactly the current content of
  --federated-token-file, read again at every request) are checked before a
  token is issued, with the error bodies Entra ID gives (AADSTS codes).
- managed identity (IMDS): GET /metadata/identity/oauth2/token?api-version=
  2018-02-01&resource=RESOURCE with the header `Metadata: true` (400
  without), optional client_id / object_id / msi_res_id choosing the identity.

Access tokens are RS256 JWTs signed by a key made at start (published at
/{tenant}/discovery/v2.0/keys), with iss=https://sts.windows.net/{tenant}/,
aud=RESOURCE (no trailing slash), iat/nbf/exp, appid, oid, tid: what
azurite's `--oauth basic` checks (issuer prefix, audience, nbf/exp).

Listens on --https-port (TLS with --cert/--key) and/or --http-port (plain,
as the real IMDS is); both answer every route.  Writes "https PORT" /
"http PORT" lines to --port-file once listening (port 0 = pick a free one).

Control API under /_emulator/ (no auth): health, requests (counts and log;
DELETE clears), config (token_lifetime), faults (next N requests of a route
answer STATUS), mint (a token with chosen claims, for negative tests).
See tests/emulators/azure/README.md.  Run with Debian's /usr/bin/python3.
"""

import argparse
import json
import os
import re
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ISSUER_PREFIX = "https://sts.windows.net/"
MAX_BODY = 1 << 20
TOKEN_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
KEYS_PATH = re.compile(r"^/([^/]+)/discovery/v2\.0/keys$")
OIDC_PATH = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$")
IMDS_PATH = "/metadata/identity/oauth2/token"
IMDS_VERSIONS = {"2018-02-01", "2019-08-01", "2019-11-01", "2021-02-01"}


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.tenant = args.tenant
        self.client_id = args.client_id
        self.token_file = args.federated_token_file
        self.mi_client_id = args.mi_client_id
        self.mi_object_id = args.mi_object_id
        self.token_lifetime = args.token_lifetime
        self.public_base = ""
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.counts = {}
        self.log = []
        self.faults = []

    def record(self, route, status, **extra):
        with self.lock:
            self.counts[route] = self.counts.get(route, 0) + 1
            entry = {"route": route, "status": status, "time": time.time()}
            entry.update(extra)
            self.log.append(entry)
            del self.log[:-1000]

    def take_fault(self, route):
        with self.lock:
            for fault in self.faults:
                if fault["route"] in (route, "*") and fault["count"] > 0:
                    fault["count"] -= 1
                    return dict(fault)
        return None

    def mint(self, subject, aud, lifetime=None, iss=None, nbf_offset=0, extra=None):
        now = int(time.time())
        life = self.token_lifetime if lifetime is None else int(lifetime)
        claims = {
            "aud": aud,
            "iss": iss if iss is not None else ISSUER_PREFIX + self.tenant + "/",
            "iat": now + min(0, int(nbf_offset)),
            "nbf": now + int(nbf_offset),
            "exp": now + life,
            "appid": subject,
            "appidacr": "2",
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, "oid:" + subject)),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, "sub:" + subject)),
            "tid": self.tenant,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        if extra:
            claims.update(extra)
        token = jwt.encode(claims, self.key, algorithm="RS256",
                           headers={"kid": self.kid, "x5t": self.kid})
        return token, claims

    def jwks(self):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}


def resource_of_scope(scope):
    """'https://storage.azure.com/.default' -> 'https://storage.azure.com'."""
    scopes = scope.split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return None
    resource = scopes[0][: -len("/.default")]
    return resource if resource.startswith("https://") or re.fullmatch(r"[0-9a-f-]{36}", resource) else None


def aad_error(status, error, code, description):
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace = str(uuid.uuid4())
    return status, {
        "error": error,
        "error_description": "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s"
        % (code, description, trace, str(uuid.uuid4()), stamp),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": str(uuid.uuid4()),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "azure-identity-emulator/1"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.server.scheme, fmt % args))

    @property
    def state(self):
        return self.server.state

    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store, no-cache")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        n = int(length)
        if n < 0 or n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n)

    def fault_answer(self, route):
        fault = self.state.take_fault(route)
        if not fault:
            return False
        headers = {}
        if fault.get("retry_after") is not None:
            headers["Retry-After"] = str(fault["retry_after"])
        status = int(fault["status"])
        body = {"error": "temporarily_unavailable",
                "error_description": "injected fault %d" % status}
        self.state.record(route, status, fault=True)
        self.send_json(status, body, headers)
        return True

    # -- routes -----------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if url.path.startswith("/_emulator/"):
            return self.control("GET", url.path[len("/_emulator/"):], query)
        if url.path.rstrip("/") == IMDS_PATH:  # MSAL sends a trailing '/'
            return self.imds(query)
        m = KEYS_PATH.match(url.path)
        if m:
            self.state.record("keys", 200)
            return self.send_json(200, self.state.jwks())
        m = OIDC_PATH.match(url.path)
        if m:
            return self.openid_configuration(m.group(1))
        self.state.record("unknown", 404, path=url.path)
        self.send_json(404, {"error": "not_found", "error_description": "no route " + url.path})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        try:
            body = self.read_body()
        except ValueError:
            return self.send_json(413, {"error": "invalid_request", "error_description": "body too large"})
        if url.path.startswith("/_emulator/"):
            return self.control("POST", url.path[len("/_emulator/"):], body)
        m = TOKEN_PATH.match(url.path)
        if m:
            return self.token(m.group(1), body)
        self.state.record("unknown", 404, path=url.path)
        self.send_json(404, {"error": "not_found", "error_description": "no route " + url.path})

    def do_DELETE(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_emulator/"):
            return self.control("DELETE", url.path[len("/_emulator/"):], None)
        self.send_json(405, {"error": "method_not_allowed"})

    def openid_configuration(self, tenant):
        self.state.record("openid", 200)
        base = "%s://%s" % (self.server.scheme, self.headers.get("Host", ""))
        self.send_json(200, {
            "token_endpoint": "%s/%s/oauth2/v2.0/token" % (base, tenant),
            "jwks_uri": "%s/%s/discovery/v2.0/keys" % (base, tenant),
            "issuer": "%s/%s/v2.0" % (base, tenant),
            "authorization_endpoint": "%s/%s/oauth2/v2.0/authorize" % (base, tenant),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "WW",
        })

    def token(self, tenant, body):
        st = self.state
        if self.fault_answer("token"):
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            status, err = aad_error(400, "invalid_request", 900144,
                                    "The request body must contain the following parameter: 'grant_type'.")
            st.record("token", status, reason="content-type")
            return self.send_json(status, err)
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            form = {}
        form = {k: v[0] for k, v in form.items()}
        client_id = form.get("client_id", "")

        def fail(status, error, code, description, reason):
            status, err = aad_error(status, error, code, description)
            st.record("token", status, reason=reason, tenant=tenant, client_id=client_id)
            self.send_json(status, err)

        if tenant != st.tenant:
            return fail(400, "invalid_request", 90002,
                        "Tenant '%s' not found. Check to make sure you have the correct tenant ID "
                        "and are signing into the correct cloud." % tenant, "tenant")
        if form.get("grant_type") != "client_credentials":
            return fail(400, "unsupported_grant_type", 70003,
                        "The app requested an unsupported grant type '%s'." % form.get("grant_type", ""),
                        "grant_type")
        if not client_id:
            return fail(400, "invalid_request", 900144,
                        "The request body must contain the following parameter: 'client_id'.", "client_id")
        if client_id != st.client_id:
            return fail(400, "unauthorized_client", 700016,
                        "Application with identifier '%s' was not found in the directory '%s'."
                        % (client_id, tenant), "client_id")
        if form.get("client_assertion_type") != ASSERTION_TYPE or "client_assertion" not in form:
            return fail(400, "invalid_request", 7000218,
                        "The request body must contain the following parameter: "
                        "'client_assertion' or 'client_secret'.", "assertion_type")
        try:
            with open(st.token_file, encoding="utf-8") as f:
                expected = f.read().strip()
        except OSError:
            expected = None
        if not expected or not secrets.compare_digest(form["client_assertion"].encode(), expected.encode()):
            return fail(401, "invalid_client", 700213,
                        "No matching federated identity record found for presented assertion.",
                        "assertion")
        resource = resource_of_scope(form.get("scope", ""))
        if resource is None:
            return fail(400, "invalid_scope", 1002012,
                        "The provided value for scope %s is not valid. Client credential flows must "
                        "have a scope value with /.default suffixed to the resource identifier."
                        % form.get("scope", ""), "scope")
        token, claims = st.mint(client_id, resource)
        life = claims["exp"] - int(time.time())
        st.record("token", 200, tenant=tenant, client_id=client_id, resource=resource,
                  expires_on=claims["exp"])
        self.send_json(200, {"token_type": "Bearer", "expires_in": life, "ext_expires_in": life,
                             "access_token": token})

    def imds(self, query):
        st = self.state
        if self.fault_answer("imds"):
            return
        q = {k: v[0] for k, v in query.items()}

        def fail(status, error, description, reason):
            st.record("imds", status, reason=reason)
            self.send_json(status, {"error": error, "error_description": description})

        if (self.headers.get("Metadata") or "").lower() != "true":
            return fail(400, "invalid_request", "Required metadata header not specified", "metadata")
        if self.headers.get("X-Forwarded-For"):
            return fail(400, "invalid_request", "Request contains X-Forwarded-For header", "forwarded")
        if q.get("api-version") not in IMDS_VERSIONS:
            return fail(400, "invalid_request",
                        "Required query variable 'api-version' is missing or invalid", "api-version")
        resource = (q.get("resource") or "").rstrip("/")
        if not resource.startswith("https://"):
            return fail(400, "invalid_resource",
                        "AADSTS500011: The resource principal named %s was not found." % q.get("resource", ""),
                        "resource")
        for name, known in (("client_id", st.mi_client_id), ("object_id", st.mi_object_id)):
            if name in q and q[name] != known:
                return fail(400, "invalid_request", "Identity not found", name)
        token, claims = st.mint(st.mi_client_id, resource)
        now = int(time.time())
        st.record("imds", 200, resource=resource, expires_on=claims["exp"])
        self.send_json(200, {
            "access_token": token,
            "client_id": st.mi_client_id,
            "expires_in": str(claims["exp"] - now),
            "expires_on": str(claims["exp"]),
            "ext_expires_in": str(claims["exp"] - now),
            "not_before": str(claims["nbf"]),
            "resource": q.get("resource"),
            "token_type": "Bearer",
        })

    # -- control API ------------------------------------------------------

    def control(self, method, call, arg):
        st = self.state
        try:
            spec = json.loads(arg) if method == "POST" and arg else {}
        except ValueError:
            return self.send_json(400, {"error": "control body is not JSON"})
        if call == "health":
            return self.send_json(200, {"ok": True})
        if call == "requests":
            if method == "DELETE":
                with st.lock:
                    st.counts.clear()
                    st.log.clear()
                return self.send_json(200, {"ok": True})
            route = (arg or {}).get("route", [None])[0] if isinstance(arg, dict) else None
            with st.lock:
                log = [e for e in st.log if route is None or e["route"] == route]
                return self.send_json(200, {"counts": dict(st.counts), "requests": log})
        if call == "config":
            if method == "POST":
                with st.lock:
                    if "token_lifetime" in spec:
                        st.token_lifetime = int(spec["token_lifetime"])
            return self.send_json(200, {"token_lifetime": st.token_lifetime, "tenant": st.tenant,
                                        "client_id": st.client_id, "mi_client_id": st.mi_client_id})
        if call == "faults":
            if method == "DELETE":
                with st.lock:
                    st.faults.clear()
                return self.send_json(200, {"ok": True})
            if method == "POST":
                route = spec.get("route", "*")
                if route not in ("token", "imds", "*") or not 100 <= int(spec.get("status", 0)) <= 599:
                    return self.send_json(400, {"error": "fault needs route token|imds|* and a status"})
                fault = {"route": route, "status": int(spec["status"]), "count": int(spec.get("count", 1)),
                         "retry_after": spec.get("retry_after")}
                with st.lock:
                    st.faults.append(fault)
                return self.send_json(200, fault)
            with st.lock:
                return self.send_json(200, {"faults": list(st.faults)})
        if call == "mint" and method == "POST":
            token, claims = st.mint(spec.get("subject", st.client_id),
                                    spec.get("aud", "https://storage.azure.com"),
                                    lifetime=spec.get("lifetime"), iss=spec.get("iss"),
                                    nbf_offset=spec.get("nbf_offset", 0), extra=spec.get("claims"))
            return self.send_json(200, {"access_token": token, "claims": claims})
        self.send_json(404, {"error": "no control call " + call})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:
            # The handshake runs in the request's thread (on first read), so
            # a client that never speaks TLS cannot block the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--https-port", type=int, help="TLS listener (needs --cert, --key); 0 = any free port")
    p.add_argument("--http-port", type=int, help="plain listener (IMDS is plain HTTP); 0 = any free port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--cert", help="server certificate chain (PEM)")
    p.add_argument("--key", help="server private key (PEM)")
    p.add_argument("--port-file", help="written once listening: 'https PORT' / 'http PORT' lines")
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True, help="the workload identity's application id")
    p.add_argument("--federated-token-file", required=True,
                   help="the assertion expected: this file's content, read at every request")
    p.add_argument("--mi-client-id", default="", help="the managed identity's client id")
    p.add_argument("--mi-object-id", default="", help="the managed identity's object id")
    p.add_argument("--token-lifetime", type=int, default=3600, help="seconds (default 3600)")
    args = p.parse_args()
    if args.https_port is None and args.http_port is None:
        p.error("give --https-port and/or --http-port")
    if args.https_port is not None and not (args.cert and args.key):
        p.error("--https-port needs --cert and --key")
    if not args.mi_client_id:
        args.mi_client_id = str(uuid.uuid4())
    if not args.mi_object_id:
        args.mi_object_id = str(uuid.uuid4())

    state = State(args)
    servers = []
    if args.https_port is not None:
        srv = Server((args.host, args.https_port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.tls = ctx
        srv.scheme = "https"
        servers.append(srv)
    if args.http_port is not None:
        srv = Server((args.host, args.http_port), Handler)
        srv.scheme = "http"
        servers.append(srv)
    for srv in servers:
        srv.state = state
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            for srv in servers:
                f.write("%s %d\n" % (srv.scheme, srv.server_address[1]))
        os.rename(tmp, args.port_file)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers[1:]]
    for t in threads:
        t.start()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Google Cloud Storage JSON-API emulator for the test suites.

Holds a client to the real protocol: OAuth2 JWT-bearer token exchange with
signature checks, a GCE metadata server, bearer tokens on every storage call,
project-scoped buckets, the JSON API (objects get/list/delete/rewrite/copy,
buckets get/list/insert/delete), media/multipart/resumable uploads under
/upload/ and /resumable/upload/, and media downloads with ranges.  Objects
live on disk under --data-dir and stream in and out in bounded chunks.

A control API under /_emulator/ (no auth) injects failures, changes settings
and exposes the request log.  See tests/emulators/gcs/README.md.

Run with Debian's /usr/bin/python3 (python3-cryptography, python3-jwt).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization

IO_CHUNK = 1 << 20            # bytes read or written per step
RESUMABLE_QUANTUM = 256 * 1024
REWRITE_QUANTUM = 1 << 20
MAX_JSON_BODY = 1 << 20
MAX_MULTIPART_HEAD = 8 << 20
GOOGLE_TOKEN_URIS = ("https://oauth2.googleapis.com/token",
                     "https://www.googleapis.com/oauth2/v4/token")
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE_PREFIX = "https://www.googleapis.com/auth/"
READ_SCOPES = {"devstorage.read_only", "devstorage.read_write",
               "devstorage.full_control", "cloud-platform",
               "cloud-platform.read-only"}
WRITE_SCOPES = {"devstorage.read_write", "devstorage.full_control",
                "cloud-platform"}
STORAGE_PREFIXES = ("/storage/", "/upload/", "/resumable/", "/download/")


# ---------------------------------------------------------------------------
# CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven,
# slicing-by-32: TABLES[k][b] is the CRC contribution of byte b followed by
# k zero bytes, so 32 input bytes cost 32 lookups and one loop step.  About
# 20-25 MB/s in CPython; hashing runs as the data streams in.

def _make_crc_tables(count):
    base = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        base.append(c)
    tables = [base]
    for _ in range(1, count):
        prev = tables[-1]
        tables.append([(prev[i] >> 8) ^ base[prev[i] & 0xFF] for i in range(256)])
    return tables


_CRC_TABLES = _make_crc_tables(32)


def crc32c_update(crc, data):
    """Continues a CRC32C over data; crc is the finished value so far (0 to start)."""
    (t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15,
     t16, t17, t18, t19, t20, t21, t22, t23, t24, t25, t26, t27, t28, t29, t30, t31) = _CRC_TABLES
    crc ^= 0xFFFFFFFF
    mv = memoryview(data)
    n32 = len(mv) - len(mv) % 32
    # The first 4 bytes (little-endian) meet the running CRC; byte i of the
    # block then lies 31 - i bytes before the block's end.
    for (w, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19,
         b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31) in \
            struct.iter_unpack("<I28B", mv[:n32]):
        w ^= crc
        crc = (t31[w & 0xFF] ^ t30[(w >> 8) & 0xFF] ^ t29[(w >> 16) & 0xFF] ^ t28[w >> 24]
               ^ t27[b4] ^ t26[b5] ^ t25[b6] ^ t24[b7] ^ t23[b8] ^ t22[b9] ^ t21[b10]
               ^ t20[b11] ^ t19[b12] ^ t18[b13] ^ t17[b14] ^ t16[b15] ^ t15[b16]
               ^ t14[b17] ^ t13[b18] ^ t12[b19] ^ t11[b20] ^ t10[b21] ^ t9[b22]
               ^ t8[b23] ^ t7[b24] ^ t6[b25] ^ t5[b26] ^ t4[b27] ^ t3[b28] ^ t2[b29]
               ^ t1[b30] ^ t0[b31])
    for b in mv[n32:]:
        crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_b64(crc):
    return base64.b64encode(struct.pack(">I", crc)).decode()


class Hasher:
    """md5 + crc32c of a stream, updated chunk by chunk."""

    def __init__(self):
        self.md5 = hashlib.md5()
        self.crc = 0
        self.size = 0

    def update(self, data):
        self.md5.update(data)
        self.crc = crc32c_update(self.crc, data)
        self.size += len(data)

    def md5_b64(self):
        return base64.b64encode(self.md5.digest()).decode()

    def crc_b64(self):
        return crc32c_b64(self.crc)


# ---------------------------------------------------------------------------
# helpers

def now_rfc3339(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def quote_name(name):
    return urllib.parse.quote(name, safe="")


def name_key(name):
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")


def valid_bucket_name(name):
    return bool(BUCKET_RE.match(name)) and ".." not in name


def object_name_problem(name):
    if not name:
        return "Required"
    if len(name.encode("utf-8")) > 1024:
        return "The object name is too long."
    if "\r" in name or "\n" in name:
        return "Object names cannot contain carriage return or line feed characters."
    if name in (".", ".."):
        return "Object name cannot be . or .."
    return None


class ApiError(Exception):
    """An error answered in Google's JSON error format."""

    def __init__(self, code, message, reason, headers=None, extra=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.headers = headers or {}
        self.extra = extra or {}


def not_found_object(bucket, name):
    return ApiError(404, "No such object: %s/%s" % (bucket, name), "notFound")


def not_found_bucket():
    return ApiError(404, "The specified bucket does not exist.", "notFound")


def precondition_failed():
    return ApiError(412, "At least one of the pre-conditions you specified did not hold.",
                    "conditionNotMet",
                    extra={"locationType": "header", "location": "If-Match"})


def bad_request(message, reason="invalid"):
    return ApiError(400, message, reason)


def parse_int_param(query, name, minimum=None):
    if name not in query:
        return None
    raw = query[name]
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("Invalid value for %s: %s" % (name, raw)) from None
    if minimum is not None and value < minimum:
        raise bad_request("Invalid value for %s: %s" % (name, raw))
    return value


# --- partial responses (the `fields` parameter) ----------------------------

def parse_fields(spec):
    """Parses `a,b/c,items(name,size)` into a tree {key: subtree or None}."""
    pos = 0

    def parse_list(depth):
        nonlocal pos
        tree = {}
        while True:
            m = re.compile(r"[A-Za-z0-9_*]+(/[A-Za-z0-9_*]+)*").match(spec, pos)
            if not m:
                raise ValueError
            pos = m.end()
            parts = m.group(0).split("/")
            sub = None
            if pos < len(spec) and spec[pos] == "(":
                pos += 1
                sub = parse_list(depth + 1)
                if pos >= len(spec) or spec[pos] != ")":
                    raise ValueError
                pos += 1
            node = tree
            for p in parts[:-1]:
                nxt = node.get(p)
                if nxt is None and p in node:
                    break  # already selected whole
                node = node.setdefault(p, {})
            else:
                last = parts[-1]
                if sub is None or node.get(last, {}) is None:
                    node[last] = None
                else:
                    node.setdefault(last, {}).update(sub)
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
                continue
            if depth == 0 and pos != len(spec):
                raise ValueError
            return tree

    spec = spec.replace(" ", "")
    tree = parse_list(0)
    return tree


def apply_fields(value, tree):
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply_fields(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        return value
    out = {}
    for key, sub in tree.items():
        if key in value:
            out[key] = apply_fields(value[key], sub)
    return out


# ---------------------------------------------------------------------------
# state

class Key:
    def __init__(self, info, source):
        for field in ("client_email", "private_key", "private_key_id"):
            if not info.get(field):
                raise ValueError("service-account key lacks %s" % field)
        self.email = info["client_email"]
        self.key_id = info["private_key_id"]
        self.project = info.get("project_id") or ""
        private = serialization.load_pem_private_key(info["private_key"].encode(), None)
        self.public_key = private.public_key()
        self.source = source


class Token:
    def __init__(self, value, email, project, scopes, expires_at, origin):
        self.value = value
        self.email = email
        self.project = project
        self.scopes = scopes
        self.expires_at = expires_at
        self.origin = origin


class Fault:
    KINDS = ("status", "cut_download", "corrupt_download", "fail_chunk")

    def __init__(self, spec):
        kind = spec.get("kind", "status")
        if kind not in self.KINDS:
            raise ValueError("unknown fault kind %r (want one of %s)" % (kind, ", ".join(self.KINDS)))
        self.kind = kind
        self.count = int(spec.get("count", 1))
        if self.count < 1:
            raise ValueError("count must be >= 1")
        self.method = spec.get("method")
        self.path = spec.get("path")
        self.path_re = re.compile(self.path) if self.path else None
        self.status = int(spec.get("status", 503))
        self.retry_after = spec.get("retry_after")
        self.after_bytes = int(spec.get("after_bytes", 0))
        self.store_bytes = int(spec.get("store_bytes", 0))
        self.offset = int(spec.get("offset", 0))
        self.skip = int(spec.get("skip", 0))
        self.hits = 0
        if kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("status must be 4xx or 5xx")
        if kind == "fail_chunk" and not (self.status == 0 or 400 <= self.status <= 599):
            raise ValueError("status must be 0 (drop the connection) or 4xx/5xx")

    def matches(self, method, target):
        if self.method and self.method.upper() != method:
            return False
        if self.path_re:
            return bool(self.path_re.search(target))
        return target.startswith(STORAGE_PREFIXES)

    def describe(self):
        d = {"kind": self.kind, "remaining": self.count, "hits": self.hits, "skip": self.skip}
        for k in ("method", "path", "retry_after"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        if self.kind in ("status", "fail_chunk"):
            d["status"] = self.status
        if self.kind == "cut_download":
            d["after_bytes"] = self.after_bytes
        if self.kind == "corrupt_download":
            d["offset"] = self.offset
        if self.kind == "fail_chunk":
            d["store_bytes"] = self.store_bytes
        return d


class Session:
    """A resumable upload session."""

    def __init__(self, sid, bucket, name, meta, content_type, declared, preconditions, email, path):
        self.id = sid
        self.bucket = bucket
        self.name = name
        self.meta = meta
        self.content_type = content_type
        self.declared = declared       # X-Upload-Content-Length, or None
        self.total = None              # total size once a client stated it
        self.preconditions = preconditions
        self.email = email
        self.path = path
        self.hasher = Hasher()
        self.committed = 0
        self.result = None             # object metadata once finalized
        self.lock = threading.Lock()


class Rewrite:
    def __init__(self, token, src_bucket, src_name, src_gen, dst_bucket, dst_name, dst_meta,
                 preconditions, path, size):
        self.token = token
        self.src_bucket = src_bucket
        self.src_name = src_name
        self.src_gen = src_gen
        self.dst_bucket = dst_bucket
        self.dst_name = dst_name
        self.dst_meta = dst_meta
        self.preconditions = preconditions
        self.path = path
        self.size = size
        self.done = 0
        self.lock = threading.Lock()


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.data_dir = os.path.abspath(args.data_dir)
        self.tmp_dir = os.path.join(self.data_dir, "tmp")
        self.obj_dir = os.path.join(self.data_dir, "objects")
        self.bucket_dir = os.path.join(self.data_dir, "buckets")
        for d in (self.tmp_dir, self.obj_dir, self.bucket_dir):
            os.makedirs(d, exist_ok=True)
        for leftover in os.listdir(self.tmp_dir):
            try:
                os.unlink(os.path.join(self.tmp_dir, leftover))
            except OSError:
                pass
        self.keys = {}          # private_key_id -> Key
        self.startup_keys = set()
        self.tokens = {}        # value -> Token
        self.buckets = {}       # name -> dict
        self.objects = {}       # bucket -> {name -> meta}
        self.sessions = {}
        self.rewrites = {}
        self.grants = {}        # bucket -> set(email)
        self.denies = {}        # bucket -> set(email)
        self.faults = []
        self.requests = []
        self.seq = 0
        self.last_generation = 0
        self.defaults = {
            "token_lifetime": args.token_lifetime,
            "rewrite_bytes_per_call": args.rewrite_bytes_per_call,
            "metadata_email": args.metadata_email or "emulator-default@%s.iam.gserviceaccount.com" % args.metadata_project,
            "metadata_project": args.metadata_project,
            "metadata_scopes": args.metadata_scopes.split(),
            "session_auth": args.session_auth,
        }
        self.config = dict(self.defaults)
        self._load()
        for path in args.key or []:
            with open(path, encoding="utf-8") as f:
                key = Key(json.load(f), path)
            self.keys[key.key_id] = key
            self.startup_keys.add(key.key_id)
        for spec in args.bucket or []:
            name, _, project = spec.partition(":")
            self.create_bucket(name, project or args.metadata_project)

    # --- persistence ---
    def _load(self):
        for fn in sorted(os.listdir(self.bucket_dir)):
            if fn.endswith(".json"):
                with open(os.path.join(self.bucket_dir, fn), encoding="utf-8") as f:
                    b = json.load(f)
                self.buckets[b["name"]] = b
                self.objects[b["name"]] = {}
        for bucket in self.buckets:
            d = os.path.join(self.obj_dir, bucket)
            os.makedirs(d, exist_ok=True)
            for fn in os.listdir(d):
                if fn.endswith(".json"):
                    with open(os.path.join(d, fn), encoding="utf-8") as f:
                        m = json.load(f)
                    self.objects[bucket][m["name"]] = m
                    self.last_generation = max(self.last_generation, m["generation"])

    def _write_json(self, path, value):
        tmp = path + ".tmp-%s" % secrets.token_hex(4)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(value, f)
        os.replace(tmp, path)

    def tmp_path(self, what):
        return os.path.join(self.tmp_dir, "%s-%s" % (what, secrets.token_hex(8)))

    def data_path(self, bucket, meta):
        return os.path.join(self.obj_dir, bucket, meta["file"])

    # --- buckets ---
    def create_bucket(self, name, project):
        if not valid_bucket_name(name):
            raise ApiError(400, "Invalid bucket name: '%s'" % name, "invalid")
        with self.lock:
            if name in self.buckets:
                if self.buckets[name]["project"] != project:
                    raise ApiError(409, "Your previous request to create the named bucket "
                                   "succeeded and you already own it.", "conflict")
                return self.buckets[name], False
            b = {"name": name, "project": project, "timeCreated": now_rfc3339(),
                 "metageneration": 1}
            os.makedirs(os.path.join(self.obj_dir, name), exist_ok=True)
            self._write_json(os.path.join(self.bucket_dir, name + ".json"), b)
            self.buckets[name] = b
            self.objects[name] = {}
            return b, True

    def delete_bucket(self, name):
        with self.lock:
            if name not in self.buckets:
                raise not_found_bucket()
            if self.objects[name]:
                raise ApiError(409, "The bucket you tried to delete is not empty.", "conflict")
            del self.buckets[name]
            del self.objects[name]
            os.unlink(os.path.join(self.bucket_dir, name + ".json"))
            try:
                os.rmdir(os.path.join(self.obj_dir, name))
            except OSError:
                pass

    def allowed(self, email, project, bucket):
        b = self.buckets[bucket]
        if email in self.denies.get(bucket, ()):
            return False
        return project == b["project"] or email in self.grants.get(bucket, ())

    # --- objects ---
    def next_generation(self):
        with self.lock:
            g = max(int(time.time() * 1e6), self.last_generation + 1)
            self.last_generation = g
            return g

    def get_object(self, bucket, name):
        with self.lock:
            if bucket not in self.buckets:
                raise not_found_bucket()
            meta = self.objects[bucket].get(name)
            if meta is None:
                raise not_found_object(bucket, name)
            return dict(meta)

    def check_preconditions(self, current, pre):
        gen = current["generation"] if current else 0
        mgen = current["metageneration"] if current else None
        if pre.get("ifGenerationMatch") is not None and pre["ifGenerationMatch"] != gen:
            raise precondition_failed()
        if pre.get("ifGenerationNotMatch") is not None and pre["ifGenerationNotMatch"] == gen:
            raise precondition_failed()
        if pre.get("ifMetagenerationMatch") is not None and (
                current is None or pre["ifMetagenerationMatch"] != mgen):
            raise precondition_failed()
        if pre.get("ifMetagenerationNotMatch") is not None and (
                current is not None and pre["ifMetagenerationNotMatch"] == mgen):
            raise precondition_failed()

    def commit_object(self, bucket, name, tmp, size, md5, crc, content_type, custom, pre,
                      extra=None):
        """Makes tmp the new generation of bucket/name; returns its metadata."""
        with self.lock:
            if bucket not in self.buckets:
                os.unlink(tmp)
                raise not_found_bucket()
            current = self.objects[bucket].get(name)
            try:
                self.check_preconditions(current, pre)
            except ApiError:
                os.unlink(tmp)
                raise
            gen = self.next_generation()
            key = name_key(name)
            t = time.time()
            meta = {
                "name": name, "bucket": bucket, "generation": gen, "metageneration": 1,
                "size": size, "md5Hash": md5, "crc32c": crc,
                "contentType": content_type or "application/octet-stream",
                "timeCreated": now_rfc3339(t), "updated": now_rfc3339(t),
                "file": "%s.%d.data" % (key, gen),
            }
            if custom:
                meta["metadata"] = custom
            for k, v in (extra or {}).items():
                meta[k] = v
            os.replace(tmp, self.data_path(bucket, meta))
            self._write_json(os.path.join(self.obj_dir, bucket, key + ".json"), meta)
            self.objects[bucket][name] = meta
            if current is not None:
                try:
                    os.unlink(self.data_path(bucket, current))
                except OSError:
                    pass
            return dict(meta)

    def delete_object(self, bucket, name, pre, generation=None):
        with self.lock:
            current = self.get_object(bucket, name)
            if generation is not None and generation != current["generation"]:
                raise not_found_object(bucket, name)
            self.check_preconditions(current, pre)
            del self.objects[bucket][name]
            os.unlink(os.path.join(self.obj_dir, bucket, name_key(name) + ".json"))
            try:
                os.unlink(self.data_path(bucket, current))
            except OSError:
                pass

    # --- tokens ---
    def issue_token(self, email, project, scopes, origin):
        lifetime = int(self.config["token_lifetime"])
        value = "ya29.emu-" + secrets.token_urlsafe(32)
        tok = Token(value, email, project, scopes, time.time() + lifetime, origin)
        with self.lock:
            self.tokens[value] = tok
        return tok, lifetime

    # --- faults ---
    def take_fault(self, kinds, method, target):
        with self.lock:
            for f in self.faults:
                if f.kind in kinds and f.matches(method, target):
                    if f.skip > 0:
                        f.skip -= 1
                        continue
                    f.count -= 1
                    f.hits += 1
                    if f.count <= 0:
                        self.faults.remove(f)
                    return f
        return None

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.requests.append(entry)
            if len(self.requests) > 20000:
                del self.requests[:1000]


# ---------------------------------------------------------------------------
# HTTP handler

class BodyReader:
    """Reads a request body (Content-Length or chunked) in bounded pieces."""

    def __init__(self, rfile, headers):
        self.rfile = rfile
        te = (headers.get("Transfer-Encoding") or "").lower()
        self.chunked = "chunked" in te
        cl = headers.get("Content-Length")
        if not self.chunked and cl is not None:
            try:
                self.remaining = int(cl)
            except ValueError:
                raise bad_request("Invalid Content-Length") from None
            if self.remaining < 0:
                raise bad_request("Invalid Content-Length")
        else:
            self.remaining = None if self.chunked else 0
        self.length = self.remaining
        self.chunk_left = 0
        self.eof = self.remaining == 0
        self.read_bytes = 0

    def read(self, n=IO_CHUNK):
        if self.eof:
            return b""
        if not self.chunked:
            data = self.rfile.read(min(n, self.remaining))
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            self.remaining -= len(data)
            self.eof = self.remaining == 0
            self.read_bytes += len(data)
            return data
        if self.chunk_left == 0:
            line = self.rfile.readline(1024)
            if not line:
                raise ConnectionError("client closed the connection mid-body")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise bad_request("Invalid chunked encoding") from None
            if size == 0:
                while True:  # trailers
                    line = self.rfile.readline(1024)
                    if line in (b"\r\n", b"\n", b""):
                        break
                self.eof = True
                return b""
            self.chunk_left = size
        data = self.rfile.read(min(n, self.chunk_left))
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self.chunk_left -= len(data)
        if self.chunk_left == 0:
            self.rfile.readline(16)
        self.read_bytes += len(data)
        return data

    def read_all(self, limit):
        parts = []
        total = 0
        while True:
            d = self.read()
            if not d:
                return b"".join(parts)
            total += len(d)
            if total > limit:
                raise ApiError(413, "Request body too large.", "uploadTooLarge")
            parts.append(d)

    def drain(self, limit):
        """Discards up to limit bytes; returns True when the body ended."""
        while not self.eof and limit > 0:
            d = self.read(min(IO_CHUNK, limit))
            limit -= len(d)
        return self.eof


class DropConnection(Exception):
    """Ends the exchange by closing the socket without (more of) an answer."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gcs-emulator"
    sys_version = ""
    timeout = 300
    state = None  # set by main()

    # --- plumbing ---
    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        pass

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def dispatch(self):
        st = self.state
        self.t0 = time.time()
        self.status_sent = None
        self.bytes_out = 0
        self.note = None
        self.route = None
        self.email = None
        split = urllib.parse.urlsplit(self.path)
        self.raw_path = split.path
        self.query = {}
        for k, v in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
            self.query.setdefault(k, v)
        self.target = self.path
        self.body = None
        control = self.raw_path.startswith("/_emulator/") or self.raw_path == "/_emulator"
        try:
            self.body = BodyReader(self.rfile, self.headers)
            if not control:
                fault = st.take_fault(("status",), self.command, self.target)
                if fault is not None:
                    self.note = "fault:status=%d" % fault.status
                    headers = {}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(fault.retry_after)
                    reason, msg = {
                        429: ("rateLimitExceeded", "The rate of change requests to the object exceeds the rate limit. Please reduce the rate of create, update, and delete requests."),
                        500: ("backendError", "Internal Error"),
                        502: ("backendError", "Bad Gateway"),
                        503: ("backendError", "Backend Error"),
                        504: ("backendError", "Deadline Exceeded"),
                    }.get(fault.status, ("injected", "Injected failure"))
                    raise ApiError(fault.status, msg, reason, headers=headers)
            self.route_request(control)
        except ApiError as e:
            if self.status_sent is None:
                self.send_error_json(e)
        except DropConnection:
            self.close_connection = True
            self.note = (self.note or "") + " dropped"
            try:
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        except (ConnectionError, socket.timeout, BrokenPipeError) as e:
            self.close_connection = True
            self.note = (self.note or "") + " client-gone:%s" % type(e).__name__
        except Exception as e:  # a bug in the emulator: say so loudly
            import traceback
            traceback.print_exc(file=sys.stderr)
            if self.status_sent is None:
                try:
                    self.send_error_json(ApiError(500, "emulator bug: %s" % e, "backendError"))
                except OSError:
                    pass
            self.close_connection = True
        finally:
            self.finish_body()
            if not control:
                self.log_entry()

    def finish_body(self):
        b = self.body
        if b is None or b.eof or self.close_connection:
            return
        try:
            if not b.drain(16 << 20):
                self.close_connection = True
        except Exception:
            self.close_connection = True

    def log_entry(self):
        st = self.state
        target = re.sub(r"(access_token|key)=[^&]*", r"\1=REDACTED", self.target)
        entry = {
            "time": round(self.t0, 3),
            "method": self.command,
            "path": self.raw_path,
            "target": target,
            "route": self.route,
            "status": self.status_sent,
            "bytes_in": self.body.read_bytes if self.body else 0,
            "bytes_out": self.bytes_out,
            "ms": int((time.time() - self.t0) * 1000),
        }
        if self.headers.get("Content-Range"):
            entry["content_range"] = self.headers.get("Content-Range")
        if self.headers.get("Range"):
            entry["range"] = self.headers.get("Range")
        if self.email:
            entry["identity"] = self.email
        if self.note:
            entry["note"] = self.note.strip()
        st.record(entry)
        sys.stderr.write("gcs-emulator: %s %s%s -> %s in=%d out=%d%s\n" % (
            self.command, target,
            "".join(" %s=%s" % (k, entry[k]) for k in ("content_range", "range") if k in entry),
            self.status_sent, entry["bytes_in"], self.bytes_out,
            (" [%s]" % entry["note"]) if self.note else ""))
        sys.stderr.flush()

    def base_url(self):
        host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
        return "http://" + host

    def send_head(self, code, headers, length):
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.status_sent = code

    def send_bytes(self, code, data, content_type="application/json; charset=UTF-8", headers=None):
        h = {"Content-Type": content_type} if content_type else {}
        h.update(headers or {})
        self.send_head(code, h, len(data))
        if self.command != "HEAD" and data:
            self.wfile.write(data)
            self.bytes_out += len(data)

    def send_json(self, code, value, headers=None):
        fields = self.query.get("fields")
        if fields and code < 300:
            try:
                value = apply_fields(value, parse_fields(fields))
            except ValueError:
                raise ApiError(400, "Invalid field selection %s" % fields, "invalidParameter",
                               extra={"locationType": "parameter", "location": "fields"}) from None
        self.send_bytes(code, (json.dumps(value, indent=1) + "\n").encode(), headers=headers)

    def send_error_json(self, e):
        err = {"message": e.message, "domain": "global", "reason": e.reason}
        err.update(e.extra)
        body = {"error": {"code": e.code, "message": e.message, "errors": [err]}}
        self.send_bytes(e.code, (json.dumps(body, indent=1) + "\n").encode(), headers=e.headers)

    def send_oauth_error(self, code, error, description):
        body = json.dumps({"error": error, "error_description": description}).encode()
        self.send_bytes(code, body)

    def read_json_body(self, required=False):
        data = self.body.read_all(MAX_JSON_BODY)
        if not data.strip():
            if required:
                raise bad_request("Required request body is missing", "required")
            return {}
        try:
            value = json.loads(data)
        except ValueError:
            raise bad_request("Parse Error", "parseError") from None
        if not isinstance(value, dict):
            raise bad_request("Invalid JSON payload received.", "parseError")
        return value

    # --- routing ---
    def route_request(self, control):
        p = self.raw_path
        if control:
            self.route = "control"
            return self.handle_control()
        if p == "/token":
            self.route = "oauth.token"
            return self.handle_token()
        if p == "/" or p.startswith("/computeMetadata/"):
            self.route = "metadata"
            return self.handle_metadata()
        try:
            segs = [urllib.parse.unquote(s, errors="strict") for s in p.split("/")[1:]]
        except UnicodeDecodeError:
            raise bad_request("Invalid UTF-8 in path") from None
        method = self.command
        n = len(segs)
        if segs[:2] == ["storage", "v1"]:
            rest = segs[2:]
            if rest == ["b"]:
                if method == "GET":
                    return self.buckets_list()
                if method == "POST":
                    return self.buckets_insert()
            elif len(rest) == 2 and rest[0] == "b":
                if method == "GET":
                    return self.buckets_get(rest[1])
                if method == "DELETE":
                    return self.buckets_delete(rest[1])
            elif len(rest) == 3 and rest[0] == "b" and rest[2] == "o":
                if method == "GET":
                    return self.objects_list(rest[1])
            elif len(rest) == 4 and rest[0] == "b" and rest[2] == "o":
                if method in ("GET", "HEAD"):
                    return self.objects_get(rest[1], rest[3])
                if method == "DELETE":
                    return self.objects_delete(rest[1], rest[3])
            elif (len(rest) == 9 and rest[0] == "b" and rest[2] == "o"
                  and rest[4] in ("rewriteTo", "copyTo") and rest[5] == "b" and rest[7] == "o"):
                if method == "POST":
                    if rest[4] == "rewriteTo":
                        return self.objects_rewrite(rest[1], rest[3], rest[6], rest[8])
                    return self.objects_copy(rest[1], rest[3], rest[6], rest[8])
        elif (n == 6 and segs[0] == "upload" and segs[1:3] == ["storage", "v1"]
              and segs[3] == "b" and segs[5] == "o") or \
             (n == 7 and segs[0] == "resumable" and segs[1] == "upload"
              and segs[2:4] == ["storage", "v1"] and segs[4] == "b" and segs[6] == "o"):
            bucket = segs[-2]
            prefix = "/resumable/upload" if segs[0] == "resumable" else "/upload"
            if method == "POST":
                return self.upload_start(bucket, prefix)
            if method in ("PUT", "POST") or method == "DELETE":
                return self.upload_session(bucket, method)
        elif (n == 7 and segs[0] == "download" and segs[1:3] == ["storage", "v1"]
              and segs[3] == "b" and segs[5] == "o"):
            if method == "GET":
                self.route = "objects.download"
                self.authorize(segs[4], write=False)
                return self.send_media(segs[4], segs[6])
        self.route = "unknown"
        raise ApiError(404, "Not Found", "notFound")

    # --- authentication and authorization ---
    def bearer(self):
        auth = self.headers.get("Authorization")
        if auth is None:
            return None
        m = re.match(r"^\s*Bearer\s+(\S+)\s*$", auth, re.I)
        if not m:
            raise ApiError(401, "Invalid Credentials", "authError",
                           headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
                           extra={"locationType": "header", "location": "Authorization"})
        return m.group(1)

    def token_from_request(self):
        """The caller's Token, or ApiError 401."""
        st = self.state
        value = self.bearer()
        if value is None:
            raise ApiError(401, "Anonymous caller does not have storage.objects.get access to the "
                           "Google Cloud Storage object. Permission 'storage.objects.get' denied "
                           "on resource (or it may not exist).", "required",
                           headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
                           extra={"locationType": "header", "location": "Authorization"})
        with st.lock:
            tok = st.tokens.get(value)
        if tok is None or tok.expires_at <= time.time():
            self.note = "token " + ("expired" if tok else "unknown")
            raise ApiError(401, "Invalid Credentials", "authError",
                           headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
                           extra={"locationType": "header", "location": "Authorization"})
        self.email = tok.email
        return tok

    def authorize(self, bucket, write, permission=None):
        """Checks token, scope, bucket existence and access; returns the Token."""
        st = self.state
        tok = self.token_from_request()
        needed = WRITE_SCOPES if write else READ_SCOPES
        if not any(s.startswith(SCOPE_PREFIX) and s[len(SCOPE_PREFIX):] in needed for s in tok.scopes):
            raise ApiError(403, "Request had insufficient authentication scopes.",
                           "insufficientPermissions")
        if bucket is None:
            return tok
        with st.lock:
            if bucket not in st.buckets:
                raise not_found_bucket()
            ok = st.allowed(tok.email, tok.project, bucket)
        if not ok:
            perm = permission or ("storage.objects.create" if write else "storage.objects.get")
            raise ApiError(403, "%s does not have %s access to the Google Cloud Storage bucket. "
                           "Permission '%s' denied on resource (or it may not exist)."
                           % (tok.email, perm, perm), "forbidden")
        return tok

    def preconditions(self, prefix=""):
        pre = {}
        for name in ("ifGenerationMatch", "ifGenerationNotMatch",
                     "ifMetagenerationMatch", "ifMetagenerationNotMatch"):
            qn = prefix + name[0].upper() + name[1:] if prefix else name
            v = parse_int_param(self.query, qn, 0)
            if v is not None:
                pre[name] = v
        return pre

    # --- OAuth2 token endpoint ---
    def handle_token(self):
        st = self.state
        if self.command != "POST":
            raise ApiError(405, "Method Not Allowed", "methodNotAllowed")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        raw = self.body.read_all(MAX_JSON_BODY)
        if ctype != "application/x-www-form-urlencoded":
            return self.send_oauth_error(400, "invalid_request",
                                         "Invalid Content-Type; expected application/x-www-form-urlencoded")
        form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        grant = form.get("grant_type")
        if grant != JWT_GRANT:
            return self.send_oauth_error(400, "unsupported_grant_type", "Invalid grant_type: %s" % (grant or ""))
        assertion = form.get("assertion")
        if not assertion:
            return self.send_oauth_error(400, "invalid_request", "Missing required parameter: assertion")
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return self.send_oauth_error(400, "invalid_grant", "Invalid JWT: malformed assertion.")
        if header.get("alg") != "RS256":
            return self.send_oauth_error(400, "invalid_grant", "Invalid JWT: unsupported signing algorithm.")
        iss = claims.get("iss")
        kid = header.get("kid")
        with st.lock:
            if kid is not None:
                candidates = [k for k in st.keys.values() if k.key_id == kid]
            else:
                candidates = [k for k in st.keys.values() if k.email == iss]
            known_email = any(k.email == iss for k in st.keys.values())
        if not candidates and not known_email:
            self.note = "unknown account"
            return self.send_oauth_error(400, "invalid_grant", "Invalid grant: account not found")
        key = None
        for cand in candidates:
            try:
                jwt.decode(assertion, cand.public_key, algorithms=["RS256"],
                           options={"verify_exp": False, "verify_aud": False,
                                    "verify_iat": False, "verify_nbf": False})
                key = cand
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError:
                continue
        if key is None:
            self.note = "bad signature"
            return self.send_oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        if iss != key.email:
            self.note = "iss mismatch"
            return self.send_oauth_error(400, "invalid_grant", "Invalid JWT: iss does not match the key's client_email.")
        own = self.base_url() + "/token"
        port = self.server.server_address[1]
        accepted = {own, "http://127.0.0.1:%d/token" % port, "http://localhost:%d/token" % port}
        accepted.update(GOOGLE_TOKEN_URIS)
        aud = claims.get("aud")
        if aud not in accepted:
            self.note = "bad aud"
            return self.send_oauth_error(400, "invalid_grant",
                                         "Invalid JWT: Failed audience check. The expected value was %s" % own)
        iat, exp = claims.get("iat"), claims.get("exp")
        now = time.time()
        if (not isinstance(iat, int) or not isinstance(exp, int) or exp <= iat
                or exp - iat > 3600 or iat > now + 60 or exp <= now):
            self.note = "bad iat/exp"
            return self.send_oauth_error(400, "invalid_grant",
                                         "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                                         "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        scope = claims.get("scope")
        if not isinstance(scope, str) or not scope.split():
            self.note = "no scope"
            return self.send_oauth_error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        self.email = key.email
        tok, lifetime = st.issue_token(key.email, key.project, scope.split(), "jwt")
        self.send_json(200, {"access_token": tok.value, "expires_in": lifetime, "token_type": "Bearer"})

    # --- metadata server ---
    def handle_metadata(self):
        st = self.state
        headers = {"Metadata-Flavor": "Google"}
        if self.raw_path == "/":  # the GCE detection ping
            return self.send_bytes(200, b"computeMetadata/\n", content_type="application/text", headers=headers)
        if self.headers.get("Metadata-Flavor") != "Google" or self.headers.get("X-Forwarded-For"):
            self.note = "no Metadata-Flavor header"
            return self.send_bytes(403, b"Missing required header \"Metadata-Flavor\": \"Google\"\n",
                                   content_type="text/plain; charset=utf-8", headers=headers)
        if self.command != "GET":
            return self.send_bytes(405, b"Method not allowed\n", content_type="text/plain", headers=headers)
        cfg = st.config
        p = self.raw_path.rstrip("/")
        email = cfg["metadata_email"]
        sa = "/computeMetadata/v1/instance/service-accounts/"
        m = re.match("^" + re.escape(sa) + r"([^/]+)(?:/(.*))?$", p + "/" if p + "/" == sa else p)
        if p in ("/computeMetadata", "/computeMetadata/v1"):
            return self.send_bytes(200, b"instance/\nproject/\n", "application/text", headers)
        if p == "/computeMetadata/v1/project/project-id":
            return self.send_bytes(200, cfg["metadata_project"].encode(), "application/text", headers)
        if p == "/computeMetadata/v1/project/numeric-project-id":
            return self.send_bytes(200, b"123456789012", "application/text", headers)
        if m and m.group(1) in ("default", email):
            what = m.group(2) or ""
            if what == "token":
                self.email = email
                tok, lifetime = st.issue_token(email, cfg["metadata_project"],
                                               list(cfg["metadata_scopes"]), "metadata")
                self.note = "metadata token"
                return self.send_bytes(200, json.dumps({"access_token": tok.value, "expires_in": lifetime,
                                                        "token_type": "Bearer"}).encode(),
                                       "application/json", headers)
            if what == "email":
                return self.send_bytes(200, email.encode(), "application/text", headers)
            if what == "scopes":
                return self.send_bytes(200, ("\n".join(cfg["metadata_scopes"]) + "\n").encode(),
                                       "application/text", headers)
            if what == "aliases":
                return self.send_bytes(200, b"default\n", "application/text", headers)
            if what == "" and self.query.get("recursive") == "true":
                return self.send_bytes(200, json.dumps({"aliases": ["default"], "email": email,
                                                        "scopes": cfg["metadata_scopes"]}).encode(),
                                       "application/json", headers)
        return self.send_bytes(404, b"Not Found\n", "text/plain", headers)

    # --- buckets ---
    def bucket_resource(self, b):
        base = self.base_url()
        return {
            "kind": "storage#bucket", "id": b["name"], "name": b["name"],
            "selfLink": "%s/storage/v1/b/%s" % (base, b["name"]),
            "projectNumber": "123456789012", "metageneration": str(b["metageneration"]),
            "location": "US", "locationType": "multi-region", "storageClass": "STANDARD",
            "timeCreated": b["timeCreated"], "updated": b["timeCreated"],
            "etag": "CAE=", "iamConfiguration": {
                "uniformBucketLevelAccess": {"enabled": True},
                "publicAccessPrevention": "enforced"},
        }

    def buckets_list(self):
        self.route = "buckets.list"
        st = self.state
        tok = self.authorize(None, write=False)
        project = self.query.get("project")
        if not project:
            raise ApiError(400, "Required parameter: project", "required",
                           extra={"locationType": "parameter", "location": "project"})
        if project != tok.project:
            raise ApiError(403, "%s does not have storage.buckets.list access to the Google Cloud project."
                           % tok.email, "forbidden")
        prefix = self.query.get("prefix", "")
        with st.lock:
            items = [self.bucket_resource(b) for n, b in sorted(st.buckets.items())
                     if b["project"] == project and n.startswith(prefix)]
        out = {"kind": "storage#buckets"}
        if items:
            out["items"] = items
        self.send_json(200, out)

    def buckets_insert(self):
        self.route = "buckets.insert"
        tok = self.authorize(None, write=True)
        project = self.query.get("project")
        if not project:
            raise ApiError(400, "Required parameter: project", "required")
        if project != tok.project:
            raise ApiError(403, "%s does not have storage.buckets.create access to the Google Cloud project."
                           % tok.email, "forbidden")
        body = self.read_json_body(required=True)
        name = body.get("name")
        if not name:
            raise ApiError(400, "Required", "required")
        with self.state.lock:
            if name in self.state.buckets:
                raise ApiError(409, "Your previous request to create the named bucket succeeded and "
                               "you already own it.", "conflict")
            b, _ = self.state.create_bucket(name, project)
        self.send_json(200, self.bucket_resource(b))

    def buckets_get(self, bucket):
        self.route = "buckets.get"
        self.authorize(bucket, write=False, permission="storage.buckets.get")
        with self.state.lock:
            b = dict(self.state.buckets[bucket])
        self.send_json(200, self.bucket_resource(b))

    def buckets_delete(self, bucket):
        self.route = "buckets.delete"
        self.authorize(bucket, write=True, permission="storage.buckets.delete")
        self.state.delete_bucket(bucket)
        self.send_bytes(204, b"", content_type=None)

    # --- objects ---
    def object_resource(self, m):
        base = self.base_url()
        q = quote_name(m["name"])
        r = {
            "kind": "storage#object",
            "id": "%s/%s/%d" % (m["bucket"], m["name"], m["generation"]),
            "selfLink": "%s/storage/v1/b/%s/o/%s" % (base, m["bucket"], q),
            "mediaLink": "%s/download/storage/v1/b/%s/o/%s?generation=%d&alt=media"
                         % (base, m["bucket"], q, m["generation"]),
            "name": m["name"], "bucket": m["bucket"],
            "generation": str(m["generation"]), "metageneration": str(m["metageneration"]),
            "contentType": m["contentType"], "storageClass": "STANDARD",
            "size": str(m["size"]), "md5Hash": m["md5Hash"], "crc32c": m["crc32c"],
            "etag": base64.b64encode(("%d/%d" % (m["generation"], m["metageneration"])).encode()).decode(),
            "timeCreated": m["timeCreated"], "updated": m["updated"],
            "timeStorageClassUpdated": m["timeCreated"],
        }
        if m.get("metadata"):
            r["metadata"] = m["metadata"]
        for k in ("contentEncoding", "contentDisposition", "cacheControl", "contentLanguage"):
            if m.get(k):
                r[k] = m[k]
        return r

    def objects_get(self, bucket, name):
        self.authorize(bucket, write=False)
        if self.query.get("alt") == "media":
            self.route = "objects.media"
            return self.send_media(bucket, name)
        self.route = "objects.get"
        if self.query.get("alt", "json") != "json":
            raise bad_request("Invalid value for alt: %s" % self.query["alt"])
        m = self.state.get_object(bucket, name)
        gen = parse_int_param(self.query, "generation", 1)
        if gen is not None and gen != m["generation"]:
            raise not_found_object(bucket, name)
        self.state.check_preconditions(m, self.preconditions())
        self.send_json(200, self.object_resource(m))

    def send_media(self, bucket, name):
        st = self.state
        m = st.get_object(bucket, name)
        gen = parse_int_param(self.query, "generation", 1)
        if gen is not None and gen != m["generation"]:
            raise not_found_object(bucket, name)
        st.check_preconditions(m, self.preconditions())
        try:
            f = open(st.data_path(bucket, m), "rb")
        except FileNotFoundError:
            raise not_found_object(bucket, name) from None  # replaced meanwhile
        with f:
            size = m["size"]
            start, end, code = 0, size - 1, 200
            headers = {
                "Content-Type": m["contentType"],
                "x-goog-hash": "crc32c=%s,md5=%s" % (m["crc32c"], m["md5Hash"]),
                "x-goog-generation": str(m["generation"]),
                "x-goog-metageneration": str(m["metageneration"]),
                "x-goog-stored-content-length": str(size),
                "x-goog-stored-content-encoding": "identity",
                "x-goog-storage-class": "STANDARD",
                "ETag": '"%s"' % base64.b64decode(m["md5Hash"]).hex(),
                "Last-Modified": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                               time.gmtime(m["generation"] / 1e6)),
                "Accept-Ranges": "bytes",
            }
            rng = self.headers.get("Range")
            if rng:
                mm = re.match(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", rng)
                if not mm or (mm.group(1) == "" and mm.group(2) == ""):
                    mm = None  # unparsable or multi-range: ignored, as RFC 7233 allows
                if mm:
                    a, b = mm.group(1), mm.group(2)
                    if a == "":
                        n = int(b)
                        start, end = max(0, size - n), size - 1
                        ok = n > 0 and size > 0
                    else:
                        start = int(a)
                        end = min(int(b), size - 1) if b else size - 1
                        ok = start < size and (b == "" or int(b) >= start)
                    if not ok:
                        self.send_bytes(416, json.dumps({"error": {
                            "code": 416, "message": "The requested range cannot be satisfied.",
                            "errors": [{"message": "Request range not satisfiable", "domain": "global",
                                        "reason": "requestedRangeNotSatisfiable"}]}}).encode(),
                            headers={"Content-Range": "bytes */%d" % size})
                        return
                    code = 206
                    headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
            length = max(0, end - start + 1)
            fault = st.take_fault(("cut_download",), self.command, self.target)
            limit = length
            if fault is not None:
                limit = min(length, fault.after_bytes)
                self.note = "fault:cut_download after %d bytes" % limit
                self.close_connection = True
            flip = None
            if length > 0:
                bad = st.take_fault(("corrupt_download",), self.command, self.target)
                if bad is not None:
                    flip = min(max(bad.offset, start), end)
                    self.note = (self.note or "") + " fault:corrupt_download at %d" % flip
            self.send_head(code, headers, length)
            if self.command == "HEAD":
                return
            f.seek(start)
            pos = start
            left = limit
            while left > 0:
                chunk = f.read(min(IO_CHUNK, left))
                if not chunk:
                    break
                if flip is not None and pos <= flip < pos + len(chunk):
                    i = flip - pos
                    chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1:]
                self.wfile.write(chunk)
                self.bytes_out += len(chunk)
                left -= len(chunk)
                pos += len(chunk)
            if fault is not None:
                self.wfile.flush()
                raise DropConnection()

    def objects_delete(self, bucket, name):
        self.route = "objects.delete"
        self.authorize(bucket, write=True, permission="storage.objects.delete")
        gen = parse_int_param(self.query, "generation", 1)
        self.state.delete_object(bucket, name, self.preconditions(), gen)
        self.send_bytes(204, b"", content_type=None)

    def objects_list(self, bucket):
        self.route = "objects.list"
        st = self.state
        self.authorize(bucket, write=False, permission="storage.objects.list")
        prefix = self.query.get("prefix", "")
        delim = self.query.get("delimiter", "")
        max_results = parse_int_param(self.query, "maxResults", 0)
        if max_results is None or max_results == 0 or max_results > 1000:
            max_results = 1000
        start_off = self.query.get("startOffset", "")
        end_off = self.query.get("endOffset")
        trailing = self.query.get("includeTrailingDelimiter") == "true"
        marker, marker_is_prefix = None, False
        tokn = self.query.get("pageToken")
        if tokn:
            try:
                d = json.loads(base64.urlsafe_b64decode(tokn.encode() + b"==").decode())
                marker, marker_is_prefix = d["k"], bool(d["p"])
                if d.get("q") != [bucket, prefix, delim]:
                    raise ValueError
            except Exception:
                raise ApiError(400, "Invalid page token.", "invalid",
                               extra={"locationType": "parameter", "location": "pageToken"}) from None
        with st.lock:
            if bucket not in st.objects:
                raise not_found_bucket()
            names = sorted(st.objects[bucket])
            metas = {n: dict(st.objects[bucket][n]) for n in names if n.startswith(prefix)}
        items, prefixes, emitted = [], [], 0
        last_key, last_is_prefix, more = None, False, False
        skip_prefix = marker if marker_is_prefix else None
        seen_prefix = None
        for name in names:
            if not name.startswith(prefix) or name < start_off:
                continue
            if end_off is not None and end_off != "" and name >= end_off:
                continue
            if marker is not None:
                if skip_prefix is not None and name.startswith(skip_prefix):
                    continue
                if name <= marker:
                    continue
            key, is_prefix = name, False
            if delim:
                i = name.find(delim, len(prefix))
                if i >= 0:
                    key, is_prefix = name[:i + len(delim)], True
            if is_prefix and key == seen_prefix:
                continue  # names under one prefix are contiguous
            if emitted >= max_results:
                more = True
                break
            if is_prefix:
                seen_prefix = key
                prefixes.append(key)
                if trailing and key in metas:
                    items.append(self.object_resource(metas[key]))
            else:
                items.append(self.object_resource(metas[name]))
            emitted += 1
            last_key, last_is_prefix = key, is_prefix
        out = {"kind": "storage#objects"}
        if more:
            out["nextPageToken"] = base64.urlsafe_b64encode(json.dumps(
                {"k": last_key, "p": last_is_prefix, "q": [bucket, prefix, delim]}).encode()).decode().rstrip("=")
        if prefixes:
            out["prefixes"] = prefixes
        if items:
            out["items"] = items
        self.send_json(200, out)

    # --- rewrite / copy ---
    def _copy_source(self, sbucket, sname, dbucket, dname, write_perm=True):
        self.authorize(sbucket, write=False)
        self.authorize(dbucket, write=True)
        src = self.state.get_object(sbucket, sname)
        sgen = parse_int_param(self.query, "sourceGeneration", 1)
        if sgen is not None and sgen != src["generation"]:
            raise not_found_object(sbucket, sname)
        self.state.check_preconditions(src, self.preconditions("ifSource"))
        problem = object_name_problem(dname)
        if problem:
            raise bad_request(problem)
        return src

    def _dest_fields(self, src, body):
        ctype = body.get("contentType") or src["contentType"]
        custom = body.get("metadata") if "metadata" in body else src.get("metadata")
        extra = {k: body.get(k, src.get(k)) for k in
                 ("contentEncoding", "contentDisposition", "cacheControl", "contentLanguage")
                 if body.get(k, src.get(k))}
        return ctype, custom, extra

    def objects_rewrite(self, sbucket, sname, dbucket, dname):
        self.route = "objects.rewrite"
        st = self.state
        body = self.read_json_body()
        per_call = parse_int_param(self.query, "maxBytesRewrittenPerCall", 0)
        if per_call is not None and per_call % REWRITE_QUANTUM != 0:
            raise bad_request("maxBytesRewrittenPerCall must be a multiple of 1048576 bytes.")
        token = self.query.get("rewriteToken")
        pre = self.preconditions()
        if token:
            self.authorize(sbucket, write=False)
            self.authorize(dbucket, write=True)
            with st.lock:
                rw = st.rewrites.get(token)
            if rw is None or (rw.src_bucket, rw.src_name, rw.dst_bucket, rw.dst_name) != \
                    (sbucket, sname, dbucket, dname):
                raise bad_request("Invalid rewrite token.")
            src = st.get_object(sbucket, sname)
            if src["generation"] != rw.src_gen:
                raise not_found_object(sbucket, sname)
        else:
            src = self._copy_source(sbucket, sname, dbucket, dname)
            with st.lock:
                cur = st.objects[dbucket].get(dname)
            st.check_preconditions(cur, pre)
            token = "rw-" + secrets.token_urlsafe(24)
            rw = Rewrite(token, sbucket, sname, src["generation"], dbucket, dname, body, pre,
                         st.tmp_path("rewrite"), src["size"])
            open(rw.path, "wb").close()
            with st.lock:
                st.rewrites[token] = rw
        limits = [x for x in (per_call, int(st.config["rewrite_bytes_per_call"] or 0)) if x]
        with rw.lock:
            budget = min(limits) if limits else rw.size
            try:
                fin = open(st.data_path(sbucket, src), "rb")
            except FileNotFoundError:
                raise not_found_object(sbucket, sname) from None
            with fin, open(rw.path, "r+b") as fout:
                fin.seek(rw.done)
                fout.seek(rw.done)
                while budget > 0 and rw.done < rw.size:
                    chunk = fin.read(min(IO_CHUNK, budget, rw.size - rw.done))
                    if not chunk:
                        break
                    fout.write(chunk)
                    rw.done += len(chunk)
                    budget -= len(chunk)
            out = {"kind": "storage#rewriteResponse", "totalBytesRewritten": str(rw.done),
                   "objectSize": str(rw.size), "done": rw.done >= rw.size}
            if rw.done < rw.size:
                out["rewriteToken"] = token
                self.note = "rewrite %d/%d" % (rw.done, rw.size)
                return self.send_json(200, out)
            with st.lock:
                st.rewrites.pop(token, None)
            ctype, custom, extra = self._dest_fields(src, rw.dst_meta)
            meta = st.commit_object(dbucket, dname, rw.path, src["size"], src["md5Hash"],
                                    src["crc32c"], ctype, custom, rw.preconditions, extra)
            out["resource"] = self.object_resource(meta)
            self.send_json(200, out)

    def objects_copy(self, sbucket, sname, dbucket, dname):
        self.route = "objects.copy"
        st = self.state
        body = self.read_json_body()
        src = self._copy_source(sbucket, sname, dbucket, dname)
        tmp = st.tmp_path("copy")
        try:
            with open(st.data_path(sbucket, src), "rb") as fin, open(tmp, "wb") as fout:
                while True:
                    chunk = fin.read(IO_CHUNK)
                    if not chunk:
                        break
                    fout.write(chunk)
        except FileNotFoundError:
            raise not_found_object(sbucket, sname) from None
        ctype, custom, extra = self._dest_fields(src, body)
        meta = st.commit_object(dbucket, dname, tmp, src["size"], src["md5Hash"], src["crc32c"],
                                ctype, custom, self.preconditions(), extra)
        self.send_json(200, self.object_resource(meta))

    # --- uploads ---
    def _check_supplied_hashes(self, meta, hasher, tmp):
        problems = []
        if meta.get("md5Hash") and meta["md5Hash"] != hasher.md5_b64():
            problems.append('Provided MD5 hash "%s" doesn\'t match calculated MD5 hash "%s".'
                            % (meta["md5Hash"], hasher.md5_b64()))
        if meta.get("crc32c") and meta["crc32c"] != hasher.crc_b64():
            problems.append('Provided CRC32C "%s" doesn\'t match calculated CRC32C "%s".'
                            % (meta["crc32c"], hasher.crc_b64()))
        xgh = self.headers.get("X-Goog-Hash")
        if xgh:
            for part in xgh.split(","):
                algo, _, val = part.strip().partition("=")
                if algo == "md5" and val != hasher.md5_b64():
                    problems.append("Provided MD5 hash doesn't match calculated MD5 hash.")
                if algo == "crc32c" and val != hasher.crc_b64():
                    problems.append("Provided CRC32C doesn't match calculated CRC32C.")
        if problems:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise bad_request(" ".join(problems))

    def _object_meta_fields(self, meta, fallback_ctype):
        ctype = meta.get("contentType") or fallback_ctype or "application/octet-stream"
        custom = meta.get("metadata")
        if custom is not None and not isinstance(custom, dict):
            raise bad_request("Invalid metadata")
        extra = {k: meta[k] for k in ("contentEncoding", "contentDisposition", "cacheControl",
                                      "contentLanguage") if meta.get(k)}
        return ctype, custom, extra

    def upload_start(self, bucket, prefix):
        st = self.state
        utype = self.query.get("uploadType")
        if utype == "resumable" and self.query.get("upload_id"):
            return self.upload_session(bucket, "POST")
        self.authorize(bucket, write=True)
        pre = self.preconditions()
        if utype == "media":
            self.route = "objects.insert.media"
            name = self.query.get("name")
            problem = object_name_problem(name or "")
            if problem:
                raise bad_request(problem if name else "Required", "required" if not name else "invalid")
            tmp, hasher = self.receive_to_file(self.body)
            ctype = (self.headers.get("Content-Type") or "").strip() or None
            self._check_supplied_hashes({}, hasher, tmp)
            meta = st.commit_object(bucket, name, tmp, hasher.size, hasher.md5_b64(),
                                    hasher.crc_b64(), ctype, None, pre)
            return self.send_json(200, self.object_resource(meta))
        if utype == "multipart":
            self.route = "objects.insert.multipart"
            return self.upload_multipart(bucket, pre)
        if utype == "resumable":
            self.route = "objects.insert.resumable"
            meta = self.read_json_body()
            name = self.query.get("name") or meta.get("name")
            problem = object_name_problem(name or "")
            if problem:
                raise bad_request(problem if name else "Required", "required" if not name else "invalid")
            declared = self.headers.get("X-Upload-Content-Length")
            if declared is not None:
                try:
                    declared = int(declared)
                except ValueError:
                    raise bad_request("Invalid X-Upload-Content-Length") from None
            ctype = self.headers.get("X-Upload-Content-Type")
            sid = "emu-" + secrets.token_urlsafe(24)
            sess = Session(sid, bucket, name, meta, ctype, declared, pre, self.email,
                           st.tmp_path("session"))
            open(sess.path, "wb").close()
            with st.lock:
                st.sessions[sid] = sess
            loc = "%s%s/storage/v1/b/%s/o?uploadType=resumable&name=%s&upload_id=%s" % (
                self.base_url(), prefix, bucket, urllib.parse.quote(name, safe=""), sid)
            self.note = "session started"
            return self.send_bytes(200, b"", content_type="text/plain; charset=utf-8",
                                   headers={"Location": loc, "X-GUploader-UploadID": sid})
        raise bad_request("Invalid upload type %r; expected media, multipart or resumable" % utype
                          if utype else "Upload requests must include an uploadType URL parameter and a URL "
                          "parameter for the object name.", "invalidParameter" if utype else "required")

    def receive_to_file(self, reader, skip=0):
        """Streams a body into a temp file, hashing it; returns (path, Hasher)."""
        tmp = self.state.tmp_path("upload")
        hasher = Hasher()
        ok = False
        try:
            with open(tmp, "wb") as f:
                while True:
                    chunk = reader.read()
                    if not chunk:
                        break
                    f.write(chunk)
                    hasher.update(chunk)
            ok = True
        finally:
            if not ok:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        return tmp, hasher

    def upload_multipart(self, bucket, pre):
        st = self.state
        ctype = self.headers.get("Content-Type") or ""
        m = re.match(r"^\s*multipart/related\s*;(.*)$", ctype, re.I | re.S)
        if not m:
            raise bad_request("Invalid multipart request: Content-Type must be multipart/related.")
        boundary = None
        for param in m.group(1).split(";"):
            k, _, v = param.strip().partition("=")
            if k.strip().lower() == "boundary":
                boundary = v.strip().strip("\"'")
        if not boundary:
            raise bad_request("Invalid multipart request with no boundary.")
        delim = b"--" + boundary.encode()
        # Head: everything up to the start of the media part's body.
        buf = b""
        while True:
            if len(buf) > MAX_MULTIPART_HEAD:
                raise bad_request("Metadata part is too large.")
            parsed = self._parse_multipart_head(buf, delim)
            if parsed is not None:
                break
            chunk = self.body.read()
            if not chunk:
                raise bad_request("Invalid multipart request: malformed body.")
            buf += chunk
        meta_json, media_headers, media_start, eol = parsed
        try:
            meta = json.loads(meta_json) if meta_json.strip() else {}
            if not isinstance(meta, dict):
                raise ValueError
        except ValueError:
            raise bad_request("Invalid multipart request: the metadata part is not a JSON object.") from None
        name = self.query.get("name") or meta.get("name")
        problem = object_name_problem(name or "")
        if problem:
            raise bad_request(problem if name else "Required", "required" if not name else "invalid")
        # Media: stream, holding back enough to find the closing delimiter.
        closing = eol + delim + b"--"
        hold = len(closing) + 64
        tmp = st.tmp_path("upload")
        hasher = Hasher()
        pending = buf[media_start:]
        done = False
        try:
            with open(tmp, "wb") as f:
                while True:
                    if len(pending) > hold:
                        out, pending = pending[:-hold], pending[-hold:]
                        f.write(out)
                        hasher.update(out)
                    chunk = self.body.read()
                    if not chunk:
                        break
                    pending += chunk
                i = pending.rfind(closing)
                if i < 0:
                    raise bad_request("Invalid multipart request: missing closing boundary.")
                if pending[i + len(closing):].strip(b"\r\n \t"):
                    pass  # an epilogue: allowed and ignored
                f.write(pending[:i])
                hasher.update(pending[:i])
            done = True
        finally:
            if not done:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        self._check_supplied_hashes(meta, hasher, tmp)
        fallback = media_headers.get("content-type")
        ct, custom, extra = self._object_meta_fields(meta, fallback)
        obj = st.commit_object(bucket, name, tmp, hasher.size, hasher.md5_b64(), hasher.crc_b64(),
                               ct, custom, pre, extra)
        self.send_json(200, self.object_resource(obj))

    @staticmethod
    def _parse_multipart_head(buf, delim):
        """Finds part 1 (JSON) and the start of part 2 in buf, or None if more is needed.

        Accepts CRLF or bare-LF line ends (the style of the first delimiter
        line is used throughout)."""
        i = buf.find(delim)
        if i < 0:
            return None
        if i > 0 and not buf[:i].endswith(b"\n"):
            raise bad_request("Invalid multipart request: no opening boundary.")
        j = i + len(delim)
        if len(buf) < j + 2:
            return None
        if buf[j:j + 2] == b"\r\n":
            eol = b"\r\n"
        elif buf[j:j + 1] == b"\n":
            eol = b"\n"
        else:
            raise bad_request("Invalid multipart request: malformed boundary line.")
        pos = j + len(eol)

        def headers_at(p):
            if buf[p:p + len(eol)] == eol:
                return {}, p + len(eol)
            end = buf.find(eol + eol, p)
            if end < 0:
                return None
            hdrs = {}
            for line in buf[p:end].split(eol):
                k, _, v = line.decode("latin-1").partition(":")
                hdrs[k.strip().lower()] = v.strip()
            return hdrs, end + 2 * len(eol)

        h1 = headers_at(pos)
        if h1 is None:
            return None
        hdrs1, body1 = h1
        sep = eol + delim
        k = buf.find(sep, body1)
        if k < 0:
            return None
        meta_json = buf[body1:k]
        p2 = k + len(sep)
        if len(buf) < p2 + 2:
            return None
        if buf[p2:p2 + 2] == b"--":
            raise bad_request("Invalid multipart request: the media part is missing.")
        if buf[p2:p2 + len(eol)] != eol:
            if len(buf) < p2 + len(eol):
                return None
            raise bad_request("Invalid multipart request: malformed boundary line.")
        h2 = headers_at(p2 + len(eol))
        if h2 is None:
            return None
        hdrs2, body2 = h2
        ct1 = hdrs1.get("content-type", "application/json").split(";")[0].strip().lower()
        if ct1 != "application/json":
            raise bad_request("Invalid multipart request: the first part must be application/json.")
        return meta_json, hdrs2, body2, eol

    def upload_session(self, bucket, method):
        st = self.state
        self.route = "upload.chunk"
        sid = self.query.get("upload_id")
        with st.lock:
            sess = st.sessions.get(sid) if sid else None
        if sess is None or sess.bucket != bucket:
            self.route = "upload.unknown"
            raise ApiError(404, "No such upload session.", "notFound")
        # The session URI is itself the credential; a bearer token, when
        # sent, must still be valid (configurable).
        mode = st.config["session_auth"]
        if mode == "required" or (mode == "if-present" and self.headers.get("Authorization")):
            self.token_from_request()
        if method == "DELETE":
            self.route = "upload.cancel"
            with sess.lock:
                with st.lock:
                    st.sessions.pop(sid, None)
                try:
                    os.unlink(sess.path)
                except OSError:
                    pass
            return self.send_bytes(499, b"", content_type="text/plain")
        with sess.lock:
            return self._upload_chunk(sess)

    def _range_header(self, sess):
        return {"Range": "bytes=0-%d" % (sess.committed - 1)} if sess.committed > 0 else {}

    def _upload_chunk(self, sess):
        st = self.state
        if sess.result is not None:
            self.body.drain(16 << 20)
            return self.send_json(200, self.object_resource(sess.result))
        cr = self.headers.get("Content-Range")
        length = self.body.length
        if cr is None:
            if length is None:
                raise bad_request("Content-Range is required with chunked transfer encoding.")
            cr = "bytes */0" if length == 0 else "bytes 0-%d/%d" % (length - 1, length)
        m = re.match(r"^\s*bytes\s+(?:\*|(\d+)-(\d+))/(\*|\d+)\s*$", cr)
        if not m:
            raise bad_request("Failed to parse Content-Range header.")
        total = None if m.group(3) == "*" else int(m.group(3))
        if total is not None and sess.total is not None and total != sess.total:
            raise bad_request("The total size %d differs from the size %d stated before." % (total, sess.total))
        if total is not None and sess.declared is not None and total != sess.declared:
            raise bad_request("Upload total %d differs from X-Upload-Content-Length %d." % (total, sess.declared))
        if m.group(1) is None:
            # status query (or finishing an upload whose bytes are all here)
            if length not in (0, None) or (length is None and self.body.read_all(MAX_JSON_BODY)):
                raise bad_request("A status query (bytes */N) must have no body.")
            self.route = "upload.status"
            if total is not None:
                if total < sess.committed:
                    raise bad_request("The stated total %d is less than the %d bytes received."
                                      % (total, sess.committed))
                sess.total = total
                if sess.committed == total:
                    return self._finalize(sess)
            return self.send_bytes(308, b"", content_type="text/plain; charset=utf-8",
                                   headers=self._range_header(sess))
        a, b = int(m.group(1)), int(m.group(2))
        if b < a:
            raise bad_request("Failed to parse Content-Range header.")
        n = b - a + 1
        if length is not None and length != n:
            raise bad_request("Content-Range states %d bytes but the body has %d." % (n, length))
        if total is not None and b >= total:
            raise bad_request("Content-Range end %d is beyond the total size %d." % (b, total))
        if a > sess.committed:
            raise bad_request("Invalid request. According to the Content-Range header, the upload "
                              "offset is %d byte(s), which exceeds already uploaded size of %d byte(s)."
                              % (a, sess.committed))
        final = total is not None and b == total - 1
        if not final and n % RESUMABLE_QUANTUM != 0:
            raise bad_request("Invalid request. The number of bytes uploaded is required to be equal "
                              "or greater than 262144, except for the final request (it's recommended "
                              "to be the exact multiple of 262144). The received request contained %d "
                              "bytes, which does not meet this requirement." % n)
        if total is not None:
            sess.total = total
        fault = st.take_fault(("fail_chunk",), self.command, self.target)
        skip = sess.committed - a
        store_limit = None
        if fault is not None:
            store_limit = fault.store_bytes
            self.note = "fault:fail_chunk status=%d stored<=%d" % (fault.status, fault.store_bytes)
        got = 0
        stored = 0
        with open(sess.path, "r+b") as f:
            f.seek(sess.committed)
            while True:
                chunk = self.body.read()
                if not chunk:
                    break
                got += len(chunk)
                if skip:
                    drop = min(skip, len(chunk))
                    chunk = chunk[drop:]
                    skip -= drop
                if store_limit is not None:
                    chunk = chunk[:max(0, store_limit - stored)]
                if chunk:
                    f.write(chunk)
                    sess.hasher.update(chunk)
                    sess.committed += len(chunk)
                    stored += len(chunk)
            f.truncate(sess.committed)
        if length is None and got != n:
            raise bad_request("Content-Range states %d bytes but the body has %d." % (n, got))
        if fault is not None:
            if fault.status == 0:
                raise DropConnection()
            raise ApiError(fault.status, "Backend Error" if fault.status >= 500 else "Injected failure",
                           "backendError" if fault.status >= 500 else "injected")
        if final and sess.committed == sess.total:
            return self._finalize(sess)
        return self.send_bytes(308, b"", content_type="text/plain; charset=utf-8",
                               headers=self._range_header(sess))

    def _finalize(self, sess):
        st = self.state
        if sess.declared is not None and sess.committed != sess.declared:
            raise bad_request("Upload size %d differs from X-Upload-Content-Length %d."
                              % (sess.committed, sess.declared))
        # Keep the session file until the commit: hash check failures leave it.
        final_tmp = st.tmp_path("final")
        os.link(sess.path, final_tmp)
        self._check_supplied_hashes(sess.meta, sess.hasher, final_tmp)
        ct, custom, extra = self._object_meta_fields(sess.meta, sess.content_type)
        meta = st.commit_object(sess.bucket, sess.name, final_tmp, sess.committed,
                                sess.hasher.md5_b64(), sess.hasher.crc_b64(), ct, custom,
                                sess.preconditions, extra)
        sess.result = meta
        try:
            os.unlink(sess.path)
        except OSError:
            pass
        self.note = "upload complete"
        return self.send_json(200, self.object_resource(meta))

    # --- control API ---
    def handle_control(self):
        st = self.state
        parts = [urllib.parse.unquote(s) for s in self.raw_path.split("/")[2:]]
        what = parts[0] if parts else ""
        method = self.command
        body = self.read_json_body() if method in ("POST", "PUT", "PATCH") else {}
        try:
            return self._control(st, method, what, parts[1:], body)
        except (ValueError, KeyError, TypeError) as e:
            raise ApiError(400, "bad control request: %s" % e, "invalid") from None

    def _control(self, st, method, what, rest, body):
        ok = {"ok": True}
        if what == "health" and method == "GET":
            return self.send_json(200, {"ok": True, "port": self.server.server_address[1],
                                        "data_dir": st.data_dir})
        if what == "requests":
            if method == "GET":
                with st.lock:
                    reqs = list(st.requests)
                since = int(self.query.get("since", 0))
                reqs = [r for r in reqs if r["seq"] > since]
                for k in ("method", "route", "status"):
                    if k in self.query:
                        reqs = [r for r in reqs if str(r.get(k)) == self.query[k]]
                if "path" in self.query:
                    rx = re.compile(self.query["path"])
                    reqs = [r for r in reqs if rx.search(r["target"])]
                return self.send_json(200, {"count": len(reqs), "last_seq": st.seq, "requests": reqs})
            if method == "DELETE":
                with st.lock:
                    st.requests.clear()
                return self.send_json(200, ok)
        if what == "faults":
            if method == "GET":
                with st.lock:
                    return self.send_json(200, {"faults": [f.describe() for f in st.faults]})
            if method == "POST":
                specs = body.get("faults") if "faults" in body else [body]
                faults = [Fault(s) for s in specs]
                with st.lock:
                    st.faults.extend(faults)
                return self.send_json(200, {"ok": True, "faults": [f.describe() for f in faults]})
            if method == "DELETE":
                with st.lock:
                    st.faults.clear()
                return self.send_json(200, ok)
        if what == "config":
            if method == "GET":
                return self.send_json(200, st.config)
            if method == "POST":
                for k, v in body.items():
                    if k not in st.defaults:
                        raise ValueError("unknown setting %r (known: %s)" % (k, ", ".join(st.defaults)))
                    if k == "session_auth" and v not in ("if-present", "required", "ignored"):
                        raise ValueError("session_auth is if-present, required or ignored")
                    if k in ("token_lifetime", "rewrite_bytes_per_call"):
                        v = int(v)
                        if v < 0 or (k == "token_lifetime" and v == 0):
                            raise ValueError("%s must be positive" % k)
                    if k == "metadata_scopes" and isinstance(v, str):
                        v = v.split()
                    with st.lock:
                        st.config[k] = v
                return self.send_json(200, st.config)
        if what == "keys":
            if method == "GET":
                with st.lock:
                    return self.send_json(200, {"keys": [
                        {"private_key_id": k.key_id, "client_email": k.email, "project_id": k.project}
                        for k in st.keys.values()]})
            if method == "POST":
                if "path" in body:
                    with open(body["path"], encoding="utf-8") as f:
                        info = json.load(f)
                else:
                    info = body
                key = Key(info, "control")
                with st.lock:
                    st.keys[key.key_id] = key
                return self.send_json(200, {"ok": True, "private_key_id": key.key_id,
                                            "client_email": key.email})
            if method == "DELETE" and rest:
                with st.lock:
                    key = st.keys.pop(rest[0], None)
                    if key is not None and self.query.get("revoke_tokens") == "true":
                        for v in [v for v, t in st.tokens.items() if t.email == key.email and t.origin == "jwt"]:
                            del st.tokens[v]
                if key is None:
                    raise ApiError(404, "no such key", "notFound")
                return self.send_json(200, ok)
        if what == "buckets" and method == "POST":
            b, created = st.create_bucket(body["name"], body.get("project") or st.config["metadata_project"])
            return self.send_json(200, {"ok": True, "created": created, "bucket": b})
        if what == "buckets" and method == "GET":
            with st.lock:
                return self.send_json(200, {"buckets": [dict(b, objects=len(st.objects[n]))
                                                        for n, b in sorted(st.buckets.items())]})
        if what in ("grant", "revoke") and method == "POST":
            bucket, email = body["bucket"], body["email"]
            with st.lock:
                if bucket not in st.buckets:
                    raise ApiError(404, "no such bucket", "notFound")
                if what == "grant":
                    st.grants.setdefault(bucket, set()).add(email)
                    st.denies.get(bucket, set()).discard(email)
                else:
                    st.grants.get(bucket, set()).discard(email)
                    st.denies.setdefault(bucket, set()).add(email)
            return self.send_json(200, ok)
        if what == "tokens" and method == "GET":
            now = time.time()
            with st.lock:
                toks = [{"identity": t.email, "origin": t.origin, "expires_in": round(t.expires_at - now, 1)}
                        for t in st.tokens.values()]
            return self.send_json(200, {"tokens": toks})
        if what == "tokens" and rest == ["expire"] and method == "POST":
            after = float(body.get("after", 0))
            who = body.get("identity")
            limit = time.time() + after
            with st.lock:
                n = 0
                for t in st.tokens.values():
                    if who is not None and t.email != who:
                        continue
                    if t.expires_at > limit:
                        t.expires_at = limit
                        n += 1
            return self.send_json(200, {"ok": True, "tokens": n})
        if what == "sessions" and method == "GET":
            with st.lock:
                ss = [{"upload_id": s.id, "bucket": s.bucket, "name": s.name, "committed": s.committed,
                       "total": s.total, "done": s.result is not None} for s in st.sessions.values()]
            return self.send_json(200, {"sessions": ss})
        if what == "reset" and method == "POST":
            with st.lock:
                st.faults.clear()
                st.requests.clear()
                st.config = dict(st.defaults)
                st.grants.clear()
                st.denies.clear()
                if body.get("all"):
                    for v in list(st.sessions.values()):
                        try:
                            os.unlink(v.path)
                        except OSError:
                            pass
                    st.sessions.clear()
                    st.rewrites.clear()
                    st.tokens.clear()
                    for kid in [k for k in st.keys if k not in st.startup_keys]:
                        del st.keys[kid]
                    for bname in list(st.buckets):
                        for oname in list(st.objects[bname]):
                            st.delete_object(bname, oname, {})
                        st.delete_bucket(bname)
            return self.send_json(200, ok)
        raise ApiError(404, "unknown control call %s %s" % (method, self.raw_path), "notFound")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port (see --port-file)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--data-dir", required=True, help="objects, buckets and upload state live here")
    ap.add_argument("--key", action="append", help="register a service-account JSON key (repeatable)")
    ap.add_argument("--bucket", action="append", help="create NAME[:PROJECT] at start (repeatable)")
    ap.add_argument("--token-lifetime", type=int, default=3600, help="seconds (expires_in)")
    ap.add_argument("--metadata-project", default="test")
    ap.add_argument("--metadata-email", help="identity of the metadata server's default account")
    ap.add_argument("--metadata-scopes", default="https://www.googleapis.com/auth/cloud-platform")
    ap.add_argument("--rewrite-bytes-per-call", type=int, default=0,
                    help="emulator-side cap per rewriteTo call (0: none)")
    ap.add_argument("--session-auth", choices=("if-present", "required", "ignored"), default="if-present",
                    help="bearer token check on resumable session PUTs")
    args = ap.parse_args()
    state = State(args)
    Handler.state = state
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    sys.stderr.write("gcs-emulator: listening on http://%s:%d data=%s keys=%d buckets=%d\n"
                     % (args.host, port, state.data_dir, len(state.keys), len(state.buckets)))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

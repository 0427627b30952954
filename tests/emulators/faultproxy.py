#!/usr/bin/python3
"""A fault-injecting HTTP/1.1 proxy for the tests, between a client and an
S3 server (Ceph RGW) on loopback.

It forwards each request's bytes unchanged (request line, every header
including Host and Authorization, the body, Content-Length or chunked), so
a SigV4 signature made for the proxy's address still verifies at RGW. It
relays responses (100 Continue included) and, when a rule says so:

  {"action": "slowdown"}                     answer 503 SlowDown itself (S3
                                             XML body), request not forwarded
  {"action": "status", "status": 500, "code": "InternalError",
   "message": "...", "retry_after": 2}      any status with an S3 XML error
  {"action": "reset", "after": N}            relay N bytes of the response
                                             body, then reset (RST) the
                                             connection
  {"action": "drop"}                         reset the connection without
                                             forwarding or answering
  {"action": "stall", "after": N, "seconds": S}
                                             pause S seconds after N body
                                             bytes (after -1: before the
                                             response head), then go on
  {"action": "headers", "set": {"x-ms-copy-status": "pending"}}
                                             relay the response with these
                                             headers set (replaced or added)

"status" and "slowdown" answers also carry a rule's "headers" ({name:
value}); for Azure: {"action": "status", "status": 503, "code":
"ServerBusy", "headers": {"x-ms-error-code": "ServerBusy"}}. The proxy
works for Azure Blob (azurite) as for S3: Shared Key does not sign the
host, so signatures made for the proxy's address verify upstream.

A rule matches requests by "method" (exact), "path" and "query" (regular
expressions searched in the request path / raw query), "range" (true: only
requests with a Range header); it lets "skip" matching requests through
first, then applies to the next "times" (default 1; -1: all).

Every connection's response bodies can be capped at "rate" bytes/s and its
request bodies at "rate_up" bytes/s.

Control (JSON) on a second port:
  GET    /health
  GET    /log[?since=N]     one entry per request: n, conn, method, path,
                            query, range, if_match, key_id (from the SigV4
                            Authorization), session_token (true/false),
                            req_bytes, status, resp_bytes, fault, complete
  GET    /faults            the rules with what is left of them
  POST   /faults            add a rule ({...}) or rules ({"rules": [...]})
  DELETE /faults            remove all rules
  POST   /config            {"rate": B, "rate_up": B} (0: no cap)
  POST   /reset             no rules, no caps, empty log

Command line: --upstream HOST:PORT, --port/--port-file, --control-port/
--control-port-file, --fault JSON (repeatable), --rate, --rate-up.
"""

import argparse
import itertools
import json
import os
import queue
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
RULES = []  # dicts; "_seen" counts matches, "_applied" counts applications
LOG = []
CONFIG = {"rate": 0, "rate_up": 0}
UPSTREAM = None
SEQ = itertools.count(1)
CONNS = itertools.count(1)
KEY_ID = re.compile(r"Credential=([^/,\s]+)/")
SHARED_KEY = re.compile(r"SharedKey ([^:\s]+):")  # Azure: the account


class Closed(Exception):
    pass


class Reader:
    """Buffered reads over a socket: lines, exact counts, or what comes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        try:
            data = self.sock.recv(262144)
        except OSError:
            data = b""
        if not data:
            raise Closed()
        self.buf += data

    def head(self):
        """The bytes up to and including the blank line after the headers."""
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                out, self.buf = self.buf[: i + 4], self.buf[i + 4:]
                return out
            if len(self.buf) > 1 << 20:
                raise Closed()
            self._fill()

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out, self.buf = self.buf[: i + 2], self.buf[i + 2:]
                return out
            self._fill()

    def some(self, limit):
        if not self.buf:
            self._fill()
        out, self.buf = self.buf[:limit], self.buf[limit:]
        return out


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return first, headers


def reset(sock):
    """Closes with RST. SHUT_RD first wakes a thread blocked reading it
    (without sending a FIN), so the last reference goes and RST goes out."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Pacer:
    """Caps a byte stream at CONFIG[key] bytes/s (read at each step)."""

    def __init__(self, key):
        self.key = key
        self.start = time.monotonic()
        self.sent = 0

    def chunk(self):
        rate = CONFIG[self.key]
        return 262144 if not rate else max(1024, min(262144, rate // 20))

    def pace(self, n):
        self.sent += n
        rate = CONFIG[self.key]
        if rate:
            ahead = self.sent / rate - (time.monotonic() - self.start)
            if ahead > 0:
                time.sleep(ahead)  # the cap itself, not a test wait


def pick_rule(info):
    with LOCK:
        for r in RULES:
            if r.get("method") and r["method"].upper() != info["method"]:
                continue
            if r.get("path") and not re.search(r["path"], info["path"]):
                continue
            if r.get("query") and not re.search(r["query"], info["query"]):
                continue
            if r.get("range") and not info["range"]:
                continue
            times = r.get("times", 1)
            if times >= 0 and r["_applied"] >= times:
                continue
            r["_seen"] += 1
            if r["_seen"] <= r.get("skip", 0):
                continue
            r["_applied"] += 1
            return {k: v for k, v in r.items() if not k.startswith("_")}
    return None


def error_response(rule, info):
    status = int(rule.get("status", 503))
    code = rule.get("code", "SlowDown" if status == 503 else "InternalError")
    message = rule.get("message", "Please reduce your request rate." if code == "SlowDown" else "Injected by the fault proxy.")
    rid = uuid.uuid4().hex
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource>"
        "<RequestId>%s</RequestId></Error>" % (code, message, info["path"], rid)
    ).encode()
    reason = {503: "Service Unavailable", 500: "Internal Server Error"}.get(status, "Error")
    head = "HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n" "x-amz-request-id: %s\r\nConnection: close\r\n" % (
        status, reason, len(body), rid)
    if rule.get("retry_after") is not None:
        head += "Retry-After: %s\r\n" % rule["retry_after"]
    for name, value in (rule.get("headers") or {}).items():
        head += "%s: %s\r\n" % (name, value)
    return (head + "\r\n").encode() + body


def set_headers(raw, values):
    """A response head with the headers of `values` replaced or added."""
    lines = raw.decode("latin-1").split("\r\n")
    # lines: status line, headers, then "" "" (the head ends with a blank line)
    end = lines.index("", 1)
    wanted = {k.lower(): (k, v) for k, v in values.items()}
    out = [lines[0]]
    for ln in lines[1:end]:
        name = ln.split(":", 1)[0].strip().lower()
        if name in wanted:
            k, v = wanted.pop(name)
            out.append("%s: %s" % (k, v))
        else:
            out.append(ln)
    out += ["%s: %s" % kv for kv in wanted.values()]
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


def relay_body(reader, dst, headers, pacer, on_bytes=None):
    """Relays one message body framed by headers; returns its byte count."""
    total = 0

    def send(data):
        nonlocal total
        n = len(data)
        if on_bytes:
            data = on_bytes(total, data)  # may send itself, or raise Closed
        if data:
            dst.sendall(data)
        total += n
        pacer.pace(n)

    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = reader.line()
            send(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers, then the blank line
                    ln = reader.line()
                    send(ln)
                    if ln == b"\r\n":
                        return total
            left = size + 2
            while left:
                data = reader.some(min(left, pacer.chunk()))
                left -= len(data)
                send(data)
    elif "content-length" in headers:
        left = int(headers["content-length"])
        while left:
            data = reader.some(min(left, pacer.chunk()))
            left -= len(data)
            send(data)
        return total
    return None  # no framing: the caller decides


class Connection:
    def __init__(self, client):
        self.client = client
        self.cid = next(CONNS)
        self.up = None
        self.q = queue.Queue()
        self.done = threading.Event()

    def finish(self, hard=False):
        if self.done.is_set():
            return
        self.done.set()
        for s in (self.client, self.up):
            if s is not None:
                (reset if hard else close)(s)

    def log(self, entry):
        entry["n"] = next(SEQ)
        with LOCK:
            LOG.append(entry)

    # client -> upstream
    def requests(self):
        creader = Reader(self.client)
        try:
            while not self.done.is_set():
                raw = creader.head()
                first, headers = parse_head(raw)
                parts = first.split(" ")
                method, target = parts[0].upper(), parts[1] if len(parts) > 1 else "/"
                u = urlsplit(target)
                auth = headers.get("authorization", "")
                m = KEY_ID.search(auth) or SHARED_KEY.match(auth)
                if not m:
                    q = parse_qs(u.query)
                    cred = q.get("X-Amz-Credential", [""])[0]
                    key = cred.split("/")[0] if cred else None
                else:
                    key = m.group(1)
                info = {
                    "conn": self.cid,
                    "method": method,
                    "path": u.path,
                    "query": u.query,
                    "range": headers.get("range"),
                    "if_match": headers.get("if-match"),
                    "key_id": key,
                    "session_token": "x-amz-security-token" in headers,
                    "req_bytes": 0,
                    "status": None,
                    "resp_bytes": 0,
                    "fault": None,
                    "complete": False,
                }
                rule = pick_rule(info)
                if rule:
                    info["fault"] = rule
                if rule and rule["action"] == "drop":
                    self.log(info)
                    self.finish(hard=True)
                    return
                if rule and rule["action"] in ("slowdown", "status"):
                    self.q.put((info, rule))
                    return  # the answer closes the connection
                if self.up is None:
                    self.up = socket.create_connection(UPSTREAM)
                    self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    threading.Thread(target=self.responses, daemon=True).start()
                self.q.put((info, rule))
                self.up.sendall(raw)
                n = relay_body(creader, self.up, headers, Pacer("rate_up"))
                info["req_bytes"] = n or 0
        except (Closed, OSError):
            pass
        finally:
            self.q.put(None)
            if self.up is None:
                # no upstream thread: answer injected errors here
                self.responses()

    # upstream -> client
    def responses(self):
        ureader = Reader(self.up) if self.up is not None else None
        try:
            while True:
                item = self.q.get()
                if item is None:
                    break
                info, rule = item
                if rule and rule["action"] in ("slowdown", "status"):
                    if rule["action"] == "slowdown":
                        rule = dict(rule, status=503, code="SlowDown")
                    resp = error_response(rule, info)
                    info["status"] = int(rule.get("status", 503))
                    self.client.sendall(resp)
                    info["complete"] = True
                    self.log(info)
                    break
                if rule and rule["action"] == "stall" and rule.get("after", 0) < 0:
                    time.sleep(float(rule.get("seconds", 1)))
                while True:
                    raw = ureader.head()
                    first, headers = parse_head(raw)
                    status = int(first.split(" ")[1])
                    if status >= 200 and rule and rule["action"] == "headers":
                        raw = set_headers(raw, rule.get("set") or {})
                    self.client.sendall(raw)
                    if status >= 200:
                        break
                info["status"] = status

                def fault(sent, data, rule=rule):
                    """Applies a reset or stall rule at its body offset."""
                    if not rule or rule["action"] not in ("reset", "stall"):
                        return data
                    after = int(rule.get("after", 0))
                    if after < 0 or not sent <= after < sent + len(data):
                        return data
                    if after > sent:
                        self.client.sendall(data[: after - sent])
                    if rule["action"] == "reset":
                        info["resp_bytes"] = after
                        raise Closed("reset")
                    time.sleep(float(rule.get("seconds", 1)))  # the stall itself
                    return data[after - sent:]

                if info["method"] == "HEAD" or status in (204, 304):
                    n = 0
                else:
                    try:
                        n = relay_body(ureader, self.client, headers, Pacer("rate"), fault)
                        if n is None:  # no framing: until the server closes
                            pacer, n = Pacer("rate"), 0
                            try:
                                while True:
                                    data = ureader.some(pacer.chunk())
                                    out = fault(n, data)
                                    if out:
                                        self.client.sendall(out)
                                    n += len(data)
                                    pacer.pace(len(data))
                            except Closed as e:
                                if str(e) == "reset":
                                    raise
                    except Closed as e:
                        if str(e) == "reset":
                            self.log(info)
                            self.finish(hard=True)
                            return
                        raise
                info["resp_bytes"] = n
                info["complete"] = True
                self.log(info)
                if headers.get("connection", "").lower() == "close":
                    break
        except (Closed, OSError):
            pass
        self.finish()


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def shutdown_request(self, request):
        pass  # Connection.finish closes (or resets) it


class ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(self.request)
        conn.requests()
        conn.done.wait()

    def finish(self):
        pass


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj):
        body = (json.dumps(obj, indent=1) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}") if n else {}

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path == "/health":
            return self.reply(200, {"ok": True})
        if u.path == "/log":
            since = int(parse_qs(u.query).get("since", ["0"])[0])
            with LOCK:
                return self.reply(200, [e for e in LOG if e["n"] > since])
        if u.path == "/faults":
            with LOCK:
                return self.reply(200, RULES)
        return self.reply(404, {"error": "not found"})

    def do_POST(self):
        u = urlsplit(self.path)
        try:
            doc = self.body()
        except ValueError as e:
            return self.reply(400, {"error": "bad JSON: %s" % e})
        if u.path == "/faults":
            rules = doc.get("rules", [doc])
            for r in rules:
                if r.get("action") not in ("slowdown", "status", "reset", "drop", "stall", "headers"):
                    return self.reply(400, {"error": "unknown action %r" % r.get("action")})
            with LOCK:
                for r in rules:
                    RULES.append(dict(r, _seen=0, _applied=0))
            return self.reply(200, {"rules": len(RULES)})
        if u.path == "/config":
            for k in ("rate", "rate_up"):
                if k in doc:
                    CONFIG[k] = int(doc[k])
            return self.reply(200, CONFIG)
        if u.path == "/reset":
            with LOCK:
                RULES.clear()
                LOG.clear()
            CONFIG.update(rate=0, rate_up=0)
            return self.reply(200, {"ok": True})
        return self.reply(404, {"error": "not found"})

    def do_DELETE(self):
        if urlsplit(self.path).path == "/faults":
            with LOCK:
                RULES.clear()
            return self.reply(200, {"rules": 0})
        return self.reply(404, {"error": "not found"})


def write_port(path, port):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(path + ".tmp", path)


def main():
    global UPSTREAM
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--control-port-file")
    ap.add_argument("--fault", action="append", default=[], help="a rule as JSON")
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--rate-up", type=int, default=0)
    args = ap.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    UPSTREAM = (host, int(port))
    CONFIG.update(rate=args.rate, rate_up=args.rate_up)
    for f in args.fault:
        RULES.append(dict(json.loads(f), _seen=0, _applied=0))
    ctl = ThreadingHTTPServer(("127.0.0.1", args.control_port), ControlHandler)
    ctl.daemon_threads = True
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    srv = ProxyServer(("127.0.0.1", args.port), ProxyHandler)
    write_port(args.control_port_file, ctl.server_address[1])
    write_port(args.port_file, srv.server_address[1])
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A loopback stand-in for the Prometheus Pushgateway's push API
(github.com/prometheus/pushgateway README, "API"):

  PUT    /metrics/job/<JOB>{/<LABEL>/<VALUE>}   replace the group's metrics
  POST   /metrics/job/<JOB>{/<LABEL>/<VALUE>}   add/replace the pushed families
  DELETE /metrics/job/<JOB>{/<LABEL>/<VALUE>}   delete the group

Bodies are parsed with the strict text-format parser (tests/lib/promtext.py);
a bad body is 400 as the real one answers. PUT/POST answer 200. Every push is
appended to --log as one JSON line {"method","path","grouping","content_type",
"body","status"}. GET /api/v1/metrics returns the groups as JSON.
--fail-status N answers every push with N (a broken gateway).
--port 0 picks a free port, written to --port-file."""
import argparse
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
import promtext  # noqa: E402

LOCK = threading.Lock()
GROUPS = {}


def grouping(path):
    parts = path.split("/")
    # ["", "metrics", "job", JOB, label, value, ...]
    if len(parts) < 4 or parts[1] != "metrics" or parts[2] != "job" or not parts[3]:
        return None
    if len(parts) % 2 != 0:
        return None
    labels = {"job": urllib.parse.unquote(parts[3])}
    for i in range(4, len(parts), 2):
        if not parts[i] or not promtext.LABEL.fullmatch(parts[i]):
            return None
        labels[parts[i]] = urllib.parse.unquote(parts[i + 1])
    return labels


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, labels, body, status):
        entry = {"method": self.command, "path": self.path, "grouping": labels,
                 "content_type": self.headers.get("Content-Type"),
                 "body": body.decode("utf-8", "replace"), "status": status}
        with LOCK, open(self.server.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def push(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        labels = grouping(urllib.parse.urlsplit(self.path).path)
        if labels is None:
            self.record(None, body, 400)
            return self.reply(400, b"bad grouping key in the path\n")
        if self.server.fail_status:
            self.record(labels, body, self.server.fail_status)
            return self.reply(self.server.fail_status, b"injected failure\n")
        if self.command != "DELETE":
            try:
                fams = promtext.parse(body.decode("utf-8"))
            except (promtext.ParseError, UnicodeDecodeError) as e:
                self.record(labels, body, 400)
                return self.reply(400, ("text format parsing error: %s\n" % e).encode())
        key = json.dumps(labels, sort_keys=True)
        with LOCK:
            if self.command == "DELETE":
                GROUPS.pop(key, None)
            elif self.command == "PUT":
                GROUPS[key] = {"labels": labels, "families": list(fams)}
            else:
                g = GROUPS.setdefault(key, {"labels": labels, "families": []})
                g["families"] = sorted(set(g["families"]) | set(fams))
        self.record(labels, body, 200 if self.command != "DELETE" else 202)
        self.reply(200 if self.command != "DELETE" else 202)

    do_PUT = do_POST = do_DELETE = push

    def do_GET(self):
        if self.path == "/api/v1/metrics":
            with LOCK:
                data = json.dumps({"status": "success", "data": list(GROUPS.values())})
            return self.reply(200, data.encode(), "application/json")
        if self.path == "/-/healthy":
            return self.reply(200, b"OK\n")
        self.reply(404, b"not found\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-status", type=int, default=0)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.log_path = args.log
    srv.fail_status = args.fail_status
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Deterministic generator of a Neo4j-like database folder for `make bench`.

    gen_db.py OUT_DIR SIZE [--db NAME] [--seed SEED] [--artifact PATH]

SIZE is bytes, or a number with K, M or G (powers of 1024). OUT_DIR/NAME/
receives a Neo4j 4.4 style store folder of about SIZE bytes:

  - a few large record stores (nodes 15 B, relationships 34 B, properties
    41 B records, in 8 KiB pages): constant record headers, counters and a
    few random bytes per record, whole zero pages scattered through them
    (deleted or unused ids) and a zeroed, preallocated tail;
  - a string store (letters and spaces: compresses less than records) and
    an array store (random bytes: does not compress);
  - many small files: id files, token stores, the counts store and one
    folder per schema index (range indexes and Lucene-like segments);
  - transaction logs (entry headers with increasing ids and timestamps,
    record images and random payloads) split into a few files.

gzip -6 compresses the whole about 2.5 to 3 times, zstd -3 a little more.
The same SIZE, NAME and SEED always give the same bytes (and mtimes).

--artifact PATH also writes a Neo4j 5 style backup artifact of the folder:
a gzip-compressed tar (gzip -1, no name or time in the header), the
"already compressed" variant the 5.x dialect backs up.
"""

import argparse
import os
import random
import subprocess
import sys

PAGE = 8192
CHUNK = 128 * PAGE  # generated and written 1 MiB at a time
MTIME = 1704164645  # 2024-01-02 03:04:05 UTC
VERSION = "bench-gen/1"  # bump when the bytes change (invalidates caches)
ZERO_PAGE = bytes(PAGE)


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B").rstrip("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


class Records:
    """Fixed-size records: a constant template with some varying columns.

    columns: (offset, kind) with kind "c0"/"c1"/"c2" (byte 0/1/2 of a
    counter that increases by one per record), "rand" (a random byte),
    "few" (one of four values)."""

    def __init__(self, size, template, columns):
        self.size = size
        self.template = template.ljust(size, b"\0")[:size]
        self.columns = columns
        self.counter = 1

    def fresh(self, counter=1):
        """A copy with its own counter."""
        r = Records(self.size, self.template, self.columns)
        r.counter = counter
        return r

    def chunk(self, g, nbytes):
        n = nbytes // self.size + 1
        buf = bytearray(self.template * n)
        start = self.counter
        for off, kind in self.columns:
            if kind == "rand":
                col = g.randbytes(n)
            elif kind == "few":
                col = g.randbytes(n).translate(FEW)
            else:
                shift = {"c0": 0, "c1": 8, "c2": 16}[kind]
                col = counter_bytes(start, n, shift)
            buf[off::self.size] = col[: len(range(off, len(buf), self.size))]
        self.counter += n
        return buf[:nbytes]


FEW = bytes((0x01, 0x03, 0x11, 0x21)[b & 3] for b in range(256))
LETTERS = bytes(b"etaoin shrdlucmfwypvbgkqjxz  e  t"[b % 33] for b in range(256))


def counter_bytes(start, n, shift):
    """Byte `shift // 8` of start, start+1, ... start+n-1 (little endian)."""
    if shift == 0:
        cycle = bytes(range(256))
        first = start & 0xFF
        seq = (cycle[first:] + cycle * (n // 256 + 2))[:n]
        return seq
    step = 1 << shift
    out = bytearray()
    v = start
    while len(out) < n:
        run = min(step - (v % step), n - len(out))
        out += bytes(((v >> shift) & 0xFF,)) * run
        v += run
    return bytes(out)


class Writer:
    """Writes files under root, fixes their mtime, counts bytes."""

    def __init__(self, root):
        self.root = root
        self.total = 0
        self.files = 0

    def write(self, rel, chunks):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            for c in chunks:
                f.write(c)
                self.total += len(c)
        os.utime(path, (MTIME, MTIME))
        self.files += 1


def store_chunks(g, rec, nbytes, zero_share, tail_share):
    """Pages of records; zero_share of them zero pages, tail_share of the
    file a zeroed preallocated tail."""
    body = int(nbytes * (1 - tail_share)) // PAGE * PAGE
    done = 0
    while done < body:
        n = min(CHUNK, body - done)
        buf = rec.chunk(g, n)
        for p in range(n // PAGE):
            if g.random() < zero_share:
                buf[p * PAGE:(p + 1) * PAGE] = ZERO_PAGE
        yield bytes(buf)
        done += n
    yield from zeros(nbytes - body)


def zeros(n):
    while n > 0:
        k = min(n, CHUNK)
        yield bytes(k)
        n -= k


def random_chunks(g, n):
    while n > 0:
        k = min(n, CHUNK)
        yield g.randbytes(k)
        n -= k


def text_chunks(g, n, block=128):
    """String-store blocks: an 8-byte header (counter) and text."""
    rec = Records(block, b"\x01\0\0\0\0\0\0\0", [(1, "c0"), (2, "c1"), (3, "c2")])
    while n > 0:
        k = min(n, CHUNK)
        buf = rec.chunk(g, k)
        text = g.randbytes(k).translate(LETTERS)
        for off in range(8, block):
            buf[off::block] = text[off::block]
        yield bytes(buf)
        n -= k


# Record layouts: an in-use byte, id counters, a group of random bytes
# (pointers and inlined values), constant padding and flags.
NODE = Records(15, b"\x01\0\0\0\0\0\0\0\0\0\x01\0\0\0\xff", [(1, "c0")]
               + [(o, "rand") for o in range(2, 7)])
REL = Records(34, b"\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02\0\0\0\x03",
              [(1, "c0"), (2, "c1"), (3, "c2")] + [(o, "rand") for o in range(5, 12)] + [(28, "few")])
PROP = Records(41, b"\x01\0\0\0\0\0\0\0\0\x0b\0\0\0\0\0\0\0\0\0\x01\x02",
               [(1, "c0"), (2, "c1"), (9, "few")] + [(o, "rand") for o in range(10, 19)])
SMALLREC = Records(24, b"\x02KEY", [(4, "c0"), (5, "c1"), (8, "few")]
                   + [(o, "rand") for o in range(12, 16)])
IDREC = Records(8, b"", [(0, "c0"), (1, "c1")])
TXREC = Records(96, b"\x09\x01TX\0\0\0\0\0\0\0\0\x8a\x01\0\0" + b"\x01" * 16,
                [(4, "c0"), (5, "c1"), (6, "c2"), (13, "few"), (14, "c1"), (15, "c2")]
                + [(o, "rand") for o in range(48, 80)])


def txlog_chunks(g, n, first_tx):
    """A log header, then entries: tx id, time, record images, payload."""
    entry = TXREC.fresh(first_tx)
    header = (b"NEOLOG\x07\x00" + first_tx.to_bytes(8, "little")).ljust(64, b"\0")
    yield header
    n -= len(header)
    while n > 0:
        k = min(n, CHUNK)
        yield bytes(entry.chunk(g, k))
        n -= k


def small_files(g, w, budget, count):
    """count small files sharing budget bytes: id files, token stores, the
    counts store, range and full-text schema index folders."""
    fixed = ["neostore.nodestore.db.id", "neostore.relationshipstore.db.id",
             "neostore.propertystore.db.id", "neostore.labeltokenstore.db",
             "neostore.labeltokenstore.db.names", "neostore.relationshiptypestore.db",
             "neostore.relationshiptypestore.db.names", "neostore.propertystore.db.index",
             "neostore.propertystore.db.index.keys", "neostore.relationshipgroupstore.db",
             "neostore.schemastore.db", "neostore.counts.db", "neostore.indexstats.db"]
    weights = [g.randint(1, 16) for _ in range(count)]
    scale = budget / sum(weights)
    for i, weight in enumerate(weights):
        nbytes = max(PAGE, int(weight * scale) // PAGE * PAGE)
        idx = i - len(fixed) + 1
        if i < len(fixed):
            rel = fixed[i]
        elif i % 3:
            rel = "schema/index/range-1.0/%d/index-%d" % (idx, idx)
        else:
            rel = "schema/index/fulltext-1.0/%d/1/_%x.cfs" % (idx, i)
        kind = g.random()
        if rel.endswith(".id") or kind < 0.3:
            w.write(rel, store_chunks(g, IDREC.fresh(), nbytes, 0.5, 0.3))
        elif kind < 0.7:
            w.write(rel, store_chunks(g, SMALLREC.fresh(), nbytes, 0.1, 0.2))
        else:
            w.write(rel, text_chunks(g, nbytes))


# Shares of SIZE: (file, kind, share, zero-page share, zeroed tail share).
STORES = [
    ("neostore.nodestore.db", NODE, 0.15, 0.25, 0.30),
    ("neostore.relationshipstore.db", REL, 0.27, 0.25, 0.30),
    ("neostore.propertystore.db", PROP, 0.18, 0.25, 0.30),
    ("neostore.propertystore.db.strings", "text", 0.04, 0, 0),
    ("neostore.propertystore.db.arrays", "random", 0.12, 0, 0),
]
SMALL_SHARE = 0.05  # the rest, about 19 %, is transaction logs


def generate(out, size, db, seed):
    root = os.path.join(out, db)
    os.makedirs(root, exist_ok=True)
    g = random.Random("%s/%s/%d/%s" % (VERSION, db, size, seed))
    w = Writer(root)
    head = "NEO4J-BENCH-STORE %s db=%s size=%d\n" % (VERSION, db, size)
    w.write("neostore", [head.encode().ljust(PAGE, b"\0")])

    count = max(32, min(4000, size >> 20))  # one small file per MiB, 32 to 4000
    small_files(g, w, min(int(size * SMALL_SHARE), count * 128 * 1024), count)
    for name, kind, share, zero_share, tail_share in STORES:
        nbytes = max(PAGE, int(size * share) // PAGE * PAGE)
        if kind == "text":
            w.write(name, text_chunks(g, nbytes))
        elif kind == "random":
            w.write(name, random_chunks(g, nbytes))
        else:
            w.write(name, store_chunks(g, kind.fresh(), nbytes, zero_share, tail_share))

    # transaction logs: the rest of SIZE, in three files
    rest = max(PAGE, size - w.total)
    per = -(-rest // 3)
    n, tx = 0, 1
    while rest > 0:
        k = min(per, rest)
        w.write("neostore.transaction.db.%d" % n, txlog_chunks(g, k, tx))
        tx += k // TXREC.size
        rest -= k
        n += 1
    for dirpath, dirnames, _ in os.walk(root):
        for d in dirnames:
            os.utime(os.path.join(dirpath, d), (MTIME, MTIME))
    os.utime(root, (MTIME, MTIME))
    return w


def write_artifact(root, path):
    """A tar of the folder's content, gzip -1: deterministic (sorted names,
    fixed owner and times, no name or time in the gzip header)."""
    tmp = path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(tmp, "wb") as f:
        tar = subprocess.Popen(["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
                                "--mtime=@%d" % MTIME, "--format=gnu", "-C", root, "-cf", "-", "."],
                               stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1", "-n"], stdin=tar.stdout, stdout=f)
        tar.stdout.close()
        if gz.wait() != 0 or tar.wait() != 0:
            sys.exit("gen_db: writing the artifact %s failed" % path)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("size")
    ap.add_argument("--db", default="neo4j")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--artifact")
    a = ap.parse_args()
    size = parse_size(a.size)
    if size < 1 << 20:
        sys.exit("gen_db: SIZE must be at least 1M")
    w = generate(a.out, size, a.db, a.seed)
    if a.artifact:
        write_artifact(os.path.join(a.out, a.db), a.artifact)
    print("%s/%s: %d files, %d bytes" % (a.out, a.db, w.files, w.total))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A strict parser of the Prometheus text exposition format, version 0.0.4
(prometheus.io/docs/instrumenting/exposition_formats), for the tests.

parse(text) returns {family: {"type", "help", "samples": [(labels, value)]}}
or raises ParseError naming the line. Strict where Prometheus is: metric and
label names, label-value escapes (only \\\\ \\" \\n), a float value and an
optional integer timestamp, TYPE before the family's samples and at most once,
HELP at most once, a family's lines contiguous, no duplicate series, a final
newline. Run as a program: parses a file (or stdin) and prints the families
as JSON, exit 1 with the error on bad input."""
import json
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class ParseError(ValueError):
    pass


def parse_value(text, where):
    if text in ("NaN", "+Inf", "-Inf", "Inf"):
        return {"NaN": math.nan, "+Inf": math.inf, "Inf": math.inf, "-Inf": -math.inf}[text]
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ParseError("%s: value %r is not a float" % (where, text))
    return float(text)


def parse_labels(s, i, where):
    """s[i] is '{'; returns (labels, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i:i + 1] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise ParseError("%s: bad label name at column %d" % (where, i + 1))
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ParseError("%s: expected =\" after label %s" % (where, name))
        i += 2
        value = []
        while True:
            if i >= len(s):
                raise ParseError("%s: unterminated label value" % where)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ParseError("%s: bad escape \\%s in label value" % (where, nxt))
                value.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ParseError("%s: label %s given twice" % (where, name))
        labels[name] = "".join(value)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            raise ParseError("%s: expected , or } after a label" % where)


def family_of(name, families):
    for suffix in ("_bucket", "_count", "_sum"):
        base = name[:-len(suffix)] if name.endswith(suffix) else None
        if base and base in families and families[base]["type"] in ("histogram", "summary"):
            return base
    return name


def parse(text):
    if text and not text.endswith("\n"):
        raise ParseError("the text does not end with a newline")
    families = {}
    order = []  # families in the order their lines appear
    seen = set()
    for n, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        where = "line %d" % n
        if line.strip() == "":
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] in ("HELP", "TYPE"):
                if len(parts) < 3 or not NAME.fullmatch(parts[2]):
                    raise ParseError("%s: %s without a valid metric name" % (where, parts[1]))
                name = parts[2]
                fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
                if order and order[-1] != name and name in order:
                    raise ParseError("%s: family %s appears again after another" % (where, name))
                if not order or order[-1] != name:
                    order.append(name)
                if parts[1] == "TYPE":
                    if fam["type"] is not None:
                        raise ParseError("%s: second TYPE for %s" % (where, name))
                    if fam["samples"]:
                        raise ParseError("%s: TYPE of %s after its samples" % (where, name))
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ParseError("%s: bad type for %s" % (where, name))
                    fam["type"] = parts[3]
                else:
                    if fam["help"] is not None:
                        raise ParseError("%s: second HELP for %s" % (where, name))
                    fam["help"] = parts[3] if len(parts) == 4 else ""
            continue
        m = NAME.match(line)
        if not m:
            raise ParseError("%s: bad metric name" % where)
        name = m.group(0)
        i = m.end()
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = parse_labels(line, i, where)
        if line[i:i + 1] != " ":
            raise ParseError("%s: expected a space before the value" % where)
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2) or rest[0] == "":
            raise ParseError("%s: expected a value and an optional timestamp" % where)
        value = parse_value(rest[0], where)
        if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
            raise ParseError("%s: timestamp %r is not an integer" % (where, rest[1]))
        fname = family_of(name, families)
        fam = families.setdefault(fname, {"type": None, "help": None, "samples": []})
        if order and order[-1] != fname and fname in order:
            raise ParseError("%s: family %s appears again after another" % (where, fname))
        if not order or order[-1] != fname:
            order.append(fname)
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise ParseError("%s: duplicate series %s%s" % (where, name, labels))
        seen.add(key)
        fam["samples"].append((name, labels, value))
    return families


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    try:
        fams = parse(text)
    except ParseError as e:
        print("invalid Prometheus text: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps({k: {"type": v["type"], "help": v["help"],
                          "samples": [{"name": n, "labels": l, "value": x} for n, l, x in v["samples"]]}
                      for k, v in fams.items()}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""query.py: read values out of rendered Kubernetes manifests, for the tests.

  query.py FILE KIND/NAME [PATH]   the value at PATH in that object
  query.py FILE --names KIND       the names of the objects of a kind, one a line
  query.py FILE --env KIND/NAME CONTAINER
                                   the env of a container (or initContainer)
                                   of a workload's pod template, NAME=VALUE lines
                                   (valueFrom entries as NAME=<valueFrom JSON>)

PATH is dotted: .spec.replicas, .spec.template.spec.initContainers[0].name,
and [key=value] selects the first list item whose key equals value:
  .spec.template.spec.initContainers[name=restore-from-backup].env[name=BUCKET].value
Strings print as they are, everything else as JSON. A missing object or path
prints "<absent>" and exits 3. The YAML is read as Kubernetes reads it (1.1).
"""
import json
import re
import sys

import yaml

TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\[([^=\]]+)=([^\]]*)\]")


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def select(objects, ref):
    kind, _, name = ref.partition("/")
    for o in objects:
        if o.get("kind") == kind and o.get("metadata", {}).get("name") == name:
            return o
    return None


def walk(value, path):
    pos = 0
    while pos < len(path):
        m = TOKEN.match(path, pos)
        if not m:
            raise SystemExit("query.py: bad path %r at %r" % (path, path[pos:]))
        pos = m.end()
        key, index, fkey, fval = m.groups()
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                return None, False
            value = value[key]
        elif index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                return None, False
            value = value[int(index)]
        else:
            if not isinstance(value, list):
                return None, False
            hits = [v for v in value if isinstance(v, dict) and str(v.get(fkey)) == fval]
            if not hits:
                return None, False
            value = hits[0]
    return value, True


def show(value):
    print(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    objects = load(argv[1])
    if argv[2] == "--names":
        for o in objects:
            if o.get("kind") == argv[3]:
                print(o["metadata"]["name"])
        return 0
    if argv[2] == "--env":
        obj = select(objects, argv[3])
        spec, ok = walk(obj or {}, ".spec.template.spec")
        if obj and obj.get("kind") == "CronJob":
            spec, ok = walk(obj, ".spec.jobTemplate.spec.template.spec")
        if not ok:
            print("<absent>")
            return 3
        for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
            if c["name"] == argv[4]:
                for e in c.get("env") or []:
                    v = e.get("value") if "value" in e else json.dumps(e.get("valueFrom"), sort_keys=True)
                    print("%s=%s" % (e["name"], v))
                return 0
        print("<absent>")
        return 3
    obj = select(objects, argv[2])
    if obj is None:
        print("<absent>")
        return 3
    value, ok = walk(obj, argv[3] if len(argv) > 3 else "")
    if not ok:
        print("<absent>")
        return 3
    show(value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

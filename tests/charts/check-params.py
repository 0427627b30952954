#!/usr/bin/python3
"""check-params.py VALUES.yaml: every value has a Bitnami "## @param" line.

A key is documented when an "@param <path>" names it or one of its parents
(a free-form map such as securityContext is documented as a whole). An
"@param" naming a key values.yaml does not have is an error too. Prints the
problems and exits 1 if there are any.
"""
import re
import sys

import yaml


def leaves(value, prefix=""):
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from leaves(v, "%s.%s" % (prefix, k) if prefix else k)
    else:
        yield prefix


def main(path):
    text = open(path).read()
    params = set(re.findall(r"^\s*## @param (\S+)", text, re.M))
    values = yaml.safe_load(text)
    problems = []
    keys = set()
    for leaf in leaves(values):
        parts = leaf.split(".")
        prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        keys |= prefixes
        if not prefixes & params:
            problems.append("%s: %s has no ## @param line" % (path, leaf))
    for p in sorted(params - keys):
        problems.append("%s: ## @param %s names no value" % (path, p))
    for p in problems:
        print(p)
    print("check-params: %d values, %d @param lines, %d problems" % (len(keys), len(params), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

#!/usr/bin/python3
"""An independent model of restic's `forget` policy (restic
internal/restic/snapshot_policy.go), for the prune suite: given the stamps
(any order) and KEEP_* rules, prints the stamps a prune must keep, one per
line. Usage: retention_model.py RULES_JSON < stamps

RULES_JSON: {"last": n, "hourly": n, "daily": n, "weekly": n, "monthly": n,
"yearly": n, "within": "36h" | "30d" | "1y6m" ...}; missing rules are off."""
import datetime
import json
import re
import sys


def within_limit(newest, text):
    years = months = 0
    delta = datetime.timedelta()
    for num, unit in re.findall(r"(\d+)([ymwdh])", text):
        n = int(num)
        if unit == "y":
            years += n
        elif unit == "m":
            months += n
        elif unit == "w":
            delta += datetime.timedelta(weeks=n)
        elif unit == "d":
            delta += datetime.timedelta(days=n)
        else:
            delta += datetime.timedelta(hours=n)
    y, m = newest.year - years, newest.month - months
    while m < 1:
        m += 12
        y -= 1
    # calendar arithmetic as timegm normalises it (day overflow rolls over)
    base = datetime.datetime(y, m, 1, newest.hour, newest.minute, newest.second) + \
        datetime.timedelta(days=newest.day - 1)
    return base - delta


def keep(stamps, rules):
    times = sorted((datetime.datetime.strptime(s, "%Y-%m-%d-%H:%M:%S"), s) for s in stamps)[::-1]
    buckets = [
        ("last", lambda t, i: i),
        ("hourly", lambda t, i: (t.year, t.month, t.day, t.hour)),
        ("daily", lambda t, i: (t.year, t.month, t.day)),
        ("weekly", lambda t, i: t.isocalendar()[:2]),
        ("monthly", lambda t, i: (t.year, t.month)),
        ("yearly", lambda t, i: t.year),
    ]
    left = {name: int(rules.get(name, 0)) for name, _ in buckets}
    last = {name: None for name, _ in buckets}
    limit = within_limit(times[0][0], rules["within"]) if rules.get("within") and times else None
    kept = []
    for i, (t, s) in enumerate(times):
        k = False
        for name, key in buckets:
            if left[name] > 0:
                v = key(t, i)
                if v != last[name]:
                    last[name] = v
                    left[name] -= 1
                    k = True
        if limit is not None and t > limit:
            k = True
        if k:
            kept.append(s)
    return kept


if __name__ == "__main__":
    rules = json.loads(sys.argv[1])
    stamps = [l.strip() for l in sys.stdin if l.strip()]
    for s in keep(stamps, rules):
        print(s)

#!/usr/bin/python3
"""Benchmark records and report (used by scripts/bench.sh).

    report.py add RAW MEASURE_JSON KEY=VALUE...   append one measured run
    report.py dataset RAW KEY=VALUE...            append a data set's facts
    report.py build RAW OUT_DIR [--machine F] [--gcs-note TEXT] [--s3-note TEXT]
                    [--s3-cap BYTES_PER_S] [--azure-note TEXT] [--elapsed S]
        writes OUT_DIR/results.json, results.md and bench.dat (for plot.gp)

Figures: median, min and max of each case's wall time over its runs; MB/s
is the database's size (uncompressed bytes, 10^6 per MB) over the median.
"x limit" divides by max(fetch-only, tar extract-only) of the same archive
and source; "x old" by the neo4j-helm pipeline from the same source.
"""

import argparse
import json
import os
import statistics
import sys

MiB = 1 << 20
# Row order, and which rows the ratios compare.
# S3 (RGW): "x1" is one connection (PARALLEL_READS / PARALLEL_UPLOADS = 1),
# "x4" four; "capped" goes through the fault proxy's per-connection cap.
S3_PAR = 4
S3_RESTORE = ["restore s3", "restore s3 x1", "restore s3 capped x1", "restore s3 capped x%d" % S3_PAR]
S3_BACKUP = ["backup s3", "backup s3 capped x1", "backup s3 capped x%d" % S3_PAR]
RESTORE_CASES = ["restore", "restore today", "restore gcs"] + S3_RESTORE + [
    "tar -x", "igzip + tar", "fetch local", "fetch gcs", "old local", "old gcs"]
BACKUP_CASES = ["backup", "backup today"] + S3_BACKUP + ["tar -c", "tar + pigz"]
# restore cases reading with one connection, and with the default (4)
RESTORE_ONE = ("restore", "restore s3 x1", "restore s3 capped x1")
RESTORE_PAR = ("restore gcs", "restore s3", "restore s3 capped x%d" % S3_PAR)
SET_ORDER = ["4.4-gzip", "4.4-zstd", "5-gzip", "5-zstd"]
TOOL_PROGS = ("neo4j-restore", "neo4j-backup")
GOALS = {
    "restore_vs_limit": 1.10,
    "restore_rss_mib": 32,
    "archive_on_disk_share": 0.01,
    "backup_gzip_vs_tar": 1.10,
    "zstd_vs_gzip": 1.7,
    # issue 13 (codecs): speed-ups are the reference's time / ours
    "gzip_restore_vs_today": 1.7,
    "gzip_restore_vs_igzip": 1.0,
    "zstd_restore_vs_today": 1.4,
    "zstd_restore_vs_tar": 1.5,
    "gzip_backup_vs_today": 5.0,
    "gzip_backup_vs_pigz": 3.0,
    "gzip_size_vs_today": 1.05,
    "backup_rss_mib": 64,
    # issue 13 (stores): cloud / local uncapped, and x4 / x1 on a capped link
    "store_vs_local": 1.2,
    "capped_speedup": 3.0,
    "restore_rss_par_mib": 64,
}


def parse_kv(items):
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        try:
            out[k] = int(v)
        except ValueError:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def append(raw, rec):
    with open(raw, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def cmd_add(a):
    with open(a.measure) as f:
        rec = json.load(f)
    rec.update(parse_kv(a.fields))
    rec["type"] = "run"
    append(a.raw, rec)
    print("%.2f s (admin %.2f s), peak RSS %d KiB, peak disk %.0f MiB" % (
        rec["wall"], rec.get("admin_s", 0), rec["maxrss_kb"] or 0,
        (rec["disk_peak"] - rec["disk_start"]) / MiB))


def cmd_dataset(a):
    rec = parse_kv(a.fields)
    rec["type"] = "dataset"
    append(a.raw, rec)


# ---- building ----

def size_key(label):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = label.upper().rstrip("B").rstrip("I")
    return float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t or 0)


def summarize(runs):
    """The figures of one case (label, set, case) over its successful runs."""
    ok = [r for r in runs if r["status"] == 0]
    if not ok:
        return None
    walls = [r["wall"] for r in ok]
    own = [r["wall"] - r.get("admin_s", 0) for r in ok]
    tool = [max((kb for p, kb in r["rss_by_prog"].items() if p in TOOL_PROGS), default=0) for r in ok]
    r0 = ok[0]
    s = {
        "label": r0["label"], "set": r0["set"], "case": r0["case"], "runs": len(ok),
        "failed_runs": len(runs) - len(ok),
        "median_s": round(statistics.median(walls), 3), "min_s": round(min(walls), 3),
        "max_s": round(max(walls), 3),
        "admin_s": round(statistics.median(r.get("admin_s", 0) for r in ok), 3),
        "own_s": round(statistics.median(own), 3),
        "data_bytes": r0["data_bytes"], "archive_bytes": r0.get("archive_bytes") or None,
        "peak_rss_kib": max(r["maxrss_kb"] or 0 for r in ok),
        "tool_rss_kib": max(tool) or None,
        "rss_by_prog_kib": merge_max(r["rss_by_prog"] for r in ok),
        "peak_disk_bytes": max(r["disk_peak"] - r["disk_start"] for r in ok),
        "user_s": round(statistics.median(r["user"] or 0 for r in ok), 2),
        "sys_s": round(statistics.median(r["sys"] or 0 for r in ok), 2),
        "steal_s_max": max(r.get("steal_s", 0) for r in ok),
        "product_bytes": r0.get("product_bytes") or None,
    }
    s["mb_s"] = round(s["data_bytes"] / s["median_s"] / 1e6, 1) if s["median_s"] > 0 else None
    return s


def merge_max(dicts):
    out = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = max(out.get(k, 0), v)
    return out


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def add_ratios(cases):
    by = {(c["label"], c["set"], c["case"]): c for c in cases}

    def med(label, set_, case):
        c = by.get((label, set_, case))
        return c["median_s"] if c else None

    for c in cases:
        L, S, C = c["label"], c["set"], c["case"]
        extract = med(L, S, "tar -x")
        gcs = C.endswith("gcs")
        fetch = med(L, S, "fetch gcs" if gcs else "fetch local")
        if C in RESTORE_CASES and extract is not None:
            limit = max(extract, fetch or 0)
            c["limit_s"] = limit
            c["vs_limit"] = ratio(c["median_s"], limit)
            if c["admin_s"]:
                c["own_vs_limit"] = ratio(c["own_s"], limit)
        if C in ("restore", "restore gcs"):
            c["vs_old"] = ratio(c["median_s"], med(L, S, "old gcs" if gcs else "old local"))
            footprint = by.get((L, S, "tar -x"))
            if footprint:
                extra = c["peak_disk_bytes"] - footprint["peak_disk_bytes"]
                c["disk_extra_bytes"] = extra
                c["disk_extra_share_of_archive"] = ratio(extra, c["archive_bytes"])
        if C.startswith("old"):
            footprint = by.get((L, S, "tar -x"))
            if footprint:
                c["disk_extra_bytes"] = c["peak_disk_bytes"] - footprint["peak_disk_bytes"]
                c["disk_extra_share_of_archive"] = ratio(c["disk_extra_bytes"], c["archive_bytes"])
        if C == "backup":
            tar = by.get((L, S, "tar -c"))
            if tar:
                c["vs_tar"] = ratio(c["median_s"], tar["median_s"])
                c["own_vs_tar"] = ratio(c["own_s"], tar["median_s"])
        c["disk_vs_data"] = ratio(c["peak_disk_bytes"], c["data_bytes"])


def goals(cases, labels, s3_cap=0, azure_note=""):
    by = {(c["label"], c["set"], c["case"]): c for c in cases}
    out = []

    def goal(key, text, target, cmp, values, note=""):
        vals = {k: v for k, v in values.items() if v is not None}
        met = bool(vals) and all(cmp(v, target) for v in vals.values())
        out.append({"goal": key, "text": text, "target": target, "values": vals,
                    "op": "≥" if cmp is ge else "≤", "met": met if vals else None, "note": note})

    def le(v, t):
        return v <= t

    def ge(v, t):
        return v >= t
    g = "4.4-gzip"
    for src, case in (("local bucket", "restore"), ("GCS emulator", "restore gcs")):
        goal("restore_vs_limit/" + case,
             "restore wall time from the %s / max(fetch-only, tar -x)" % src,
             GOALS["restore_vs_limit"], le,
             {L: by.get((L, g, case), {}).get("vs_limit") for L in labels})
        goal("restore_own_vs_limit/" + case,
             "same, without neo4j-admin's time (the stand-in's start and rename)",
             GOALS["restore_vs_limit"], le,
             {L: by.get((L, g, case), {}).get("own_vs_limit") for L in labels})
    def tool_rss(L, names):
        vals = [c["tool_rss_kib"] for c in cases
                if c["label"] == L and c["case"] in names and c["tool_rss_kib"]]
        return round(max(vals) / 1024, 1) if vals else None

    def flat(rss):
        spread = [v for v in rss.values() if v]
        return "spread across sizes %.1f MiB" % (max(spread) - min(spread)) if spread else ""
    rss = {L: tool_rss(L, RESTORE_ONE) for L in labels}
    goal("restore_rss_mib", "neo4j-restore peak RSS at PARALLEL_READS=1, MiB (its own VmHWM: local, "
         "S3 x1, S3 capped x1)", GOALS["restore_rss_mib"], le, rss, flat(rss))
    rss = {L: tool_rss(L, RESTORE_PAR) for L in labels}
    goal("restore_rss_par_mib", "neo4j-restore peak RSS at the default PARALLEL_READS (4), MiB "
         "(GCS, S3, S3 capped x4)", GOALS["restore_rss_par_mib"], le, rss, flat(rss))
    for case in ("restore", "restore gcs"):
        goal("archive_on_disk/" + case,
             "archive bytes on DATA_DIR at the peak (%s): (peak - data footprint) / archive size" % case,
             GOALS["archive_on_disk_share"], le,
             {L: by.get((L, g, case), {}).get("disk_extra_share_of_archive") for L in labels})
    goal("backup_gzip_vs_tar", "neo4j-backup gzip wall time / tar -czf", GOALS["backup_gzip_vs_tar"],
         le, {L: by.get((L, g, "backup"), {}).get("vs_tar") for L in labels})
    goal("backup_gzip_own_vs_tar", "same, without neo4j-admin's time (the stand-in's copy)",
         GOALS["backup_gzip_vs_tar"], le,
         {L: by.get((L, g, "backup"), {}).get("own_vs_tar") for L in labels})

    def speedup(L, own=False):
        gz, zs = by.get((L, g, "backup")), by.get((L, "4.4-zstd", "backup"))
        if not gz or not zs:
            return None
        k = "own_s" if own else "median_s"
        return ratio(gz[k], zs[k])
    goal("zstd_vs_gzip", "neo4j-backup zstd (2 threads) throughput / gzip", GOALS["zstd_vs_gzip"], ge,
         {L: speedup(L) for L in labels})
    goal("zstd_own_vs_gzip", "same, without neo4j-admin's time", GOALS["zstd_vs_gzip"], ge,
         {L: speedup(L, True) for L in labels})

    # issue 13: our codecs against the old path ("today") and other tools.
    # "own" is our wall time without the stand-in's (the references that
    # are not our tools have none).
    def faster(L, set_, ours, ref, ref_own=True):
        a, b = by.get((L, set_, ours)), by.get((L, set_, ref))
        if not a or not b:
            return None
        return ratio(b["own_s"] if ref_own else b["median_s"], a["own_s"])
    goal("gzip_restore_vs_today", "gzip restore speed-up over today's (libarchive + zlib, one thread)",
         GOALS["gzip_restore_vs_today"], ge,
         {L: faster(L, g, "restore", "restore today") for L in labels})
    goal("gzip_restore_vs_igzip", "gzip restore speed-up over `igzip -dc \\| tar -xf -` (two processes)",
         GOALS["gzip_restore_vs_igzip"], ge,
         {L: faster(L, g, "restore", "igzip + tar") for L in labels})
    goal("zstd_restore_vs_today", "zstd restore speed-up over today's (libarchive's zstd filter)",
         GOALS["zstd_restore_vs_today"], ge,
         {L: faster(L, "4.4-zstd", "restore", "restore today") for L in labels})
    goal("zstd_restore_vs_tar", "zstd restore speed-up over `tar --zstd -xf`",
         GOALS["zstd_restore_vs_tar"], ge,
         {L: faster(L, "4.4-zstd", "restore", "tar -x") for L in labels})
    goal("gzip_backup_vs_today", "gzip backup (default level, 2 threads) speed-up over today's gzip -6",
         GOALS["gzip_backup_vs_today"], ge,
         {L: faster(L, g, "backup", "backup today") for L in labels})
    goal("gzip_backup_vs_pigz", "gzip backup speed-up over `tar -cf - \\| pigz -p2`",
         GOALS["gzip_backup_vs_pigz"], ge,
         {L: faster(L, g, "backup", "tar + pigz") for L in labels})

    def size_ratio(L):
        a, b = by.get((L, g, "backup")), by.get((L, g, "backup today"))
        return ratio(a and a["product_bytes"], b and b["product_bytes"])
    goal("gzip_size_vs_today", "gzip archive size at the default level / today's gzip -6",
         GOALS["gzip_size_vs_today"], le, {L: size_ratio(L) for L in labels})
    brss = {}
    for L in labels:
        c = by.get((L, g, "backup"))
        brss[L] = round(c["tool_rss_kib"] / 1024, 1) if c and c["tool_rss_kib"] else None
    goal("backup_rss_mib", "neo4j-backup gzip peak RSS, MiB (its own VmHWM)", GOALS["backup_rss_mib"],
         le, brss)
    rss = {L: tool_rss(L, ("backup s3",)) for L in labels}
    goal("backup_rss_par_mib", "neo4j-backup peak RSS to S3 at the default PARALLEL_UPLOADS (4), MiB "
         "(gzip, the default)", GOALS["backup_rss_mib"], le, rss, flat(rss))

    # issue 13 (stores): each cloud path uncapped / the local path, and
    # what 4 connections buy on a capped link. Times without the stand-in's.
    def own_ratio(L, set_, a, b):
        x, y = by.get((L, set_, a)), by.get((L, set_, b))
        return ratio(x and x["own_s"], y and y["own_s"])
    for key, text, a, b in (
            ("store_vs_local/restore gcs", "restore from the GCS emulator / from the local bucket",
             "restore gcs", "restore"),
            ("store_vs_local/restore s3", "restore from S3 (RGW) / from the local bucket", "restore s3", "restore"),
            ("store_vs_local/backup s3", "backup to S3 (RGW) / to the local bucket", "backup s3", "backup")):
        goal(key, text + " (4.4 gzip, uncapped, time without the stand-in's)", GOALS["store_vs_local"], le,
             {L: own_ratio(L, g, a, b) for L in labels})
    for what in ("restore", "backup"):
        goal("azure_vs_local/" + what, "%s %s Azure (azurite) / the local bucket" % (
            what, "from" if what == "restore" else "to"), GOALS["store_vs_local"], le, {}, azure_note)
    cap = "%g MB/s" % (s3_cap / 1e6) if s3_cap else "capped"
    goal("capped_speedup/restore", "restore from S3 on a link capped at %s per connection: 4 parallel reads' "
         "speed-up over 1 (5.x zstd set)" % cap, GOALS["capped_speedup"], ge,
         {L: own_ratio(L, "5-zstd", "restore s3 capped x1", "restore s3 capped x%d" % S3_PAR) for L in labels})
    goal("capped_speedup/backup", "backup to S3 on a link capped at %s per connection: 4 parallel parts' "
         "speed-up over 1 (5.x zstd set)" % cap, GOALS["capped_speedup"], ge,
         {L: own_ratio(L, "5-zstd", "backup s3 capped x1", "backup s3 capped x%d" % S3_PAR) for L in labels})
    return out


# ---- Markdown ----

def f(v, fmt="%.2f", none="—"):
    return none if v is None else fmt % v


def mib(b):
    return None if b is None else b / MiB


def md_tables(res):
    lines = []
    m = res["machine"]
    lines += ["# neo4j-backup / neo4j-restore benchmark", "",
              "%s, %s cores, %s GiB RAM, Linux %s; %s; %d run(s) per case; %s; total %s s." % (
                  m.get("cpu"), m.get("cores"), m.get("mem_gib"), m.get("kernel"), m.get("date"),
                  m.get("repeat", 0), m.get("git") and "commit " + m["git"] or "", res["elapsed_s"]),
              ""]
    if m.get("memory_reclaim"):
        lines += ["This VM runs %s: cold page cache is paged out and freed memory handed back, so "
                  "memory-heavy runs vary (see min–max); each case's inputs are re-read and the memory it "
                  "will write touched just before it. "
                  "CPU steal over all runs: %.1f s." % (" and ".join(m["memory_reclaim"]), res["steal_s"]),
                  ""]
    elif res["steal_s"]:
        lines += ["CPU steal over all runs: %.1f s." % res["steal_s"], ""]
    lines += ["Times are the median (min–max) of the runs, in seconds; MB/s is database bytes (10^6) "
              "over the median. Page cache warm, never dropped; DATA_DIR / BACKUP_DIR a fresh tmpfs per "
              "case; buckets on disk. neo4j-admin is the test suite's stand-in: its time is shown apart "
              "(\"admin\") and \"own\" is the wall time without it.", ""]
    if res["gcs"] != "ok":
        lines += ["**GCS cases: %s**" % res["gcs"], ""]
    if res["s3"] != "ok":
        lines += ["**S3 cases: %s**" % res["s3"], ""]
    if res["azure"] != "ok":
        lines += ["**Azure cases: %s**" % res["azure"], ""]
    lines += ["## Data sets", "",
              "Archive sizes in MiB, with the compression ratio (data ÷ archive).", "",
              "| size | files | data MiB | neo4j-backup gzip | today's gzip -6 | tar -czf | tar \\| pigz | neo4j-backup zstd | tar \\| zstd | 5.x artifact | 5.x set gzip / zstd |",
              "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for d in res["datasets"]:
        a = d["archives"]
        def cell(key, a=a, d=d):
            if not a.get(key):
                return "—"
            return "%.1f (%.2f×)" % (mib(a[key]), d["data_bytes"] / a[key])
        lines.append("| %s | %d | %.1f | %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            d["label"], d["files"], mib(d["data_bytes"]), cell("4.4-gzip"), cell("4.4-gzip today"),
            cell("4.4-gzip tar"), cell("4.4-gzip pigz"), cell("4.4-zstd"), cell("4.4-zstd tar"),
            "%.1f (%.2f×)" % (mib(d["artifact_bytes"]), d["data_bytes"] / d["artifact_bytes"]),
            f(mib(a.get("5-gzip")), "%.1f"), f(mib(a.get("5-zstd")), "%.1f")))
    lines += ["", "## Restore", "",
              "`restore` is neo4j-restore (local bucket, file://), `restore gcs` the same from the GCS "
              "emulator; `tar -x` is GNU tar extracting the same archive into place, `fetch` the archive "
              "read into /dev/null (cat, curl): the limit is max(fetch, tar -x). `old` is the neo4j-helm "
              "pipeline: fetch the whole archive to a file on the data volume, `tar -zxvf`, neo4j-admin "
              "restore --move, remove the file. `restore today` is neo4j-restore on its pre-issue-13 path "
              "(libarchive's gzip or zstd filter and the writes on one thread, "
              "NB_BENCH_LIBARCHIVE_CODEC=1); `igzip + tar` is `igzip -dc ARCHIVE | tar -xf -`. "
              "Disk is the peak used on DATA_DIR.", "",
              "| size | set | case | time s | MB/s | × limit | × old | admin s | own × limit | peak RSS MiB tool / tree | peak disk MiB | disk ÷ data |",
              "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for c in res["cases"]:
        if c["case"] not in RESTORE_CASES:
            continue
        lines.append("| %s | %s | %s | %s (%s–%s) | %s | %s | %s | %s | %s | %s / %s | %s | %s |" % (
            c["label"], c["set"], c["case"], f(c["median_s"]), f(c["min_s"]), f(c["max_s"]),
            f(c["mb_s"], "%.0f"), f(c.get("vs_limit")), f(c.get("vs_old")),
            f(c["admin_s"]) if c["admin_s"] else "—", f(c.get("own_vs_limit")),
            f(mib((c["tool_rss_kib"] or 0) * 1024) if c["tool_rss_kib"] else None, "%.1f"),
            f(c["peak_rss_kib"] / 1024, "%.1f"), f(mib(c["peak_disk_bytes"]), "%.0f"),
            f(c["disk_vs_data"], "%.2f")))
    lines += ["", "## Backup", "",
              "`backup` is neo4j-backup into the local bucket (fsync'd), CHECK_CONSISTENCY=false; "
              "zstd with 2 threads. `tar -c` is `tar -czf` (gzip -6) or `tar -cf - | zstd -3 -T2` of the "
              "same folder into the same bucket, then `sync FILE`. 5.x sets hold the already compressed "
              "artifact (neo4j-admin's copy of the generator's gzip -1 artifact). `backup today` is "
              "neo4j-backup on its pre-issue-13 path (libarchive's gzip -6, one thread); `tar + pigz` "
              "is `tar -cf - | pigz -p2` (level 6). Disk is BACKUP_DIR's peak.", "",
              "| size | set | case | time s | MB/s | admin s | own s | × tar | own × tar | peak RSS MiB tool / tree | peak disk MiB |",
              "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for c in res["cases"]:
        if c["case"] not in BACKUP_CASES:
            continue
        lines.append("| %s | %s | %s | %s (%s–%s) | %s | %s | %s | %s | %s | %s / %s | %s |" % (
            c["label"], c["set"], c["case"], f(c["median_s"]), f(c["min_s"]), f(c["max_s"]),
            f(c["mb_s"], "%.0f"), f(c["admin_s"]) if c["admin_s"] else "—",
            f(c["own_s"]) if c["admin_s"] else "—", f(c.get("vs_tar")), f(c.get("own_vs_tar")),
            f(c["tool_rss_kib"] / 1024 if c["tool_rss_kib"] else None, "%.1f"),
            f(c["peak_rss_kib"] / 1024, "%.1f"), f(mib(c["peak_disk_bytes"]), "%.0f")))
    lines += md_stores(res)
    labels = [d["label"] for d in res["datasets"]]
    lines += ["", "## Goals", "", "| goal | target | " + " | ".join(labels) + " | met |",
              "|---|--:|" + "--:|" * len(labels) + "---|"]
    for g in res["goals"]:
        op = g["op"]
        met = {True: "yes", False: "**no**", None: "—"}[g["met"]]
        note = " (%s)" % g["note"] if g["note"] else ""
        lines.append("| %s%s | %s %s | %s | %s |" % (
            g["text"], note, op, g["target"],
            " | ".join(f(g["values"].get(L), "%.1f" if "rss" in g["goal"] else "%.3f")
                       for L in labels), met))
    lines.append("")
    return "\n".join(lines)


def md_stores(res):
    """Every store in one table (uncapped), then the capped link."""
    by = {(c["label"], c["set"], c["case"]): c for c in res["cases"]}
    lines = ["", "## Stores", "",
             "The 4.4 gzip set restored from and backed up to each store, uncapped, with the defaults "
             "(PARALLEL_READS=4, PARALLEL_UPLOADS=4; GCS uploads are sequential and GCS backups are not "
             "measured). `× local` is the time without the stand-in's (own s) over the local bucket's. "
             "`S3 x1` is one connection (PARALLEL_READS=1). Stores: the local bucket (file://), the GCS "
             "emulator, a Ceph RGW (memstore) on loopback.", "",
             "| size | store | restore own s | MB/s | × local | RSS MiB | backup own s | MB/s | × local | RSS MiB |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    rows = [("local", "restore", "backup"), ("GCS emulator", "restore gcs", None),
            ("S3 (RGW)", "restore s3", "backup s3"), ("S3 (RGW) x1", "restore s3 x1", None)]
    for d in res["datasets"]:
        L = d["label"]
        base = {k: by.get((L, "4.4-gzip", k)) for k in ("restore", "backup")}
        for store, r, b in rows:
            cells = []
            for name, kind in ((r, "restore"), (b, "backup")):
                c = by.get((L, "4.4-gzip", name)) if name else None
                if not c:
                    cells += ["—"] * 4
                    continue
                cells += [f(c["own_s"]), f(c["data_bytes"] / c["own_s"] / 1e6 if c["own_s"] else None, "%.0f"),
                          f(ratio(c["own_s"], base[kind] and base[kind]["own_s"])),
                          f(c["tool_rss_kib"] / 1024 if c["tool_rss_kib"] else None, "%.1f")]
            if any(x != "—" for x in cells):
                lines.append("| %s | %s | %s |" % (L, store, " | ".join(cells)))
        if res["azure"] != "ok":
            lines.append("| %s | Azure (azurite) | %s |" % (L, " | ".join(["—"] * 8)))
    if res["azure"] != "ok":
        lines += ["", "Azure (azurite): %s." % res["azure"]]
    cap = res.get("s3_cap_bytes_s") or 0
    capped = [c for c in res["cases"] if " s3 capped " in c["case"]]
    if not capped:
        return lines
    lines += ["", "## Capped link", "",
              "S3 through the fault proxy, each connection's bodies capped at %s MB/s (BENCH_S3_CAP), on the "
              "5.x zstd set: an already compressed artifact, so the codec runs far above the link and the "
              "link is what is measured. `x1` is PARALLEL_READS / PARALLEL_UPLOADS = 1, `x%d` the default. "
              "Link MB/s is archive bytes over the time without the stand-in's (own s)." % (
                  f(cap / 1e6, "%g"), S3_PAR), "",
              "| size | case | own s x1 | link MB/s x1 | own s x%d | link MB/s x%d | speed-up | RSS MiB x1 / x%d |" % (
                  S3_PAR, S3_PAR, S3_PAR),
              "|---|---|--:|--:|--:|--:|--:|--:|"]
    for d in res["datasets"]:
        L = d["label"]
        for what in ("restore", "backup"):
            one = by.get((L, "5-zstd", "%s s3 capped x1" % what))
            par = by.get((L, "5-zstd", "%s s3 capped x%d" % (what, S3_PAR)))
            if not one and not par:
                continue
            size = (one or par).get("archive_bytes") if what == "restore" else d["archives"].get("5-zstd")

            def link(c, size=size):
                return f(size / c["own_s"] / 1e6 if c and size and c["own_s"] else None, "%.0f")

            def rss(c):
                return f(c["tool_rss_kib"] / 1024 if c and c["tool_rss_kib"] else None, "%.1f")
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
                L, what, f(one and one["own_s"]), link(one), f(par and par["own_s"]), link(par),
                f(ratio(one and one["own_s"], par and par["own_s"])), rss(one), rss(par)))
    return lines


def plot_data(res, path):
    """One row per size: size MiB, then MB/s of each series, then RSS MiB."""
    by = {(c["label"], c["set"], c["case"]): c for c in res["cases"]}
    speed = [("4.4-gzip", "restore"), ("4.4-gzip", "restore gcs"), ("4.4-gzip", "tar -x"),
             ("4.4-gzip", "old local"), ("4.4-gzip", "backup"), ("4.4-gzip", "tar -c"),
             ("4.4-zstd", "backup"), ("4.4-zstd", "tar -c")]
    mem = [("4.4-gzip", "restore", "tool"), ("4.4-gzip", "restore gcs", "tool"),
           ("4.4-gzip", "backup", "tool"), ("4.4-zstd", "backup", "tool"),
           ("4.4-gzip", "old local", "tree")]
    with open(path, "w") as out:
        out.write("# size_mib " + " ".join("%s/%s" % k for k in speed) + " | rss " +
                  " ".join("%s/%s/%s" % k for k in mem) + "\n")
        for d in res["datasets"]:
            L = d["label"]
            row = ["%.1f" % mib(d["data_bytes"])]
            for k in speed:
                c = by.get((L,) + k)
                row.append("%.1f" % c["mb_s"] if c and c["mb_s"] else "NaN")
            for s, case, kind in mem:
                c = by.get((L, s, case))
                kib = c and (c["tool_rss_kib"] if kind == "tool" else c["peak_rss_kib"])
                row.append("%.1f" % (kib / 1024) if kib else "NaN")
            out.write(" ".join(row) + "\n")


def cmd_build(a):
    recs = [json.loads(line) for line in open(a.raw) if line.strip()]
    runs = [r for r in recs if r["type"] == "run"]
    datasets = [r for r in recs if r["type"] == "dataset"]
    groups = {}
    for r in runs:
        groups.setdefault((r["label"], r["set"], r["case"]), []).append(r)
    cases = [s for s in (summarize(v) for v in groups.values()) if s]
    order = lambda c: (size_key(c["label"]),
                       SET_ORDER.index(c["set"]) if c["set"] in SET_ORDER else 99,
                       (RESTORE_CASES + BACKUP_CASES).index(c["case"])
                       if c["case"] in RESTORE_CASES + BACKUP_CASES else 99)
    cases.sort(key=order)
    add_ratios(cases)
    datasets.sort(key=lambda d: size_key(d["label"]))
    for d in datasets:
        d.pop("type", None)
        # what each backup case wrote: "SET" for neo4j-backup, "SET tar" for
        # tar, "SET today" for the old path, "SET pigz" for tar | pigz
        suffix = {"backup": "", "tar -c": " tar", "backup today": " today", "tar + pigz": " pigz"}
        d["archives"] = {c["set"] + suffix[c["case"]]: c["product_bytes"]
                         for c in cases if c["label"] == d["label"] and c["product_bytes"]
                         and c["case"] in suffix}
    labels = [d["label"] for d in datasets]
    machine = json.load(open(a.machine)) if a.machine and os.path.exists(a.machine) else {}
    failed = sorted({"%s/%s/%s" % k for k, v in groups.items() if any(r["status"] for r in v)})
    res = {
        "machine": machine,
        "method": {
            "timing": "wall clock (monotonic) of each run; median, min, max over runs",
            "page_cache": "warm, never dropped: inputs read once before the first case",
            "disk": "peak used blocks of a fresh tmpfs mounted as DATA_DIR/BACKUP_DIR, sampled every 20 ms",
            "memory": "before each case, as much memory as the data set is written and freed on its tmpfs "
                      "(untimed), so that no case pays for memory the VM handed back to its hypervisor",
            "rss": "peak_rss_kib: GNU time %M (largest process of the tree); tool_rss_kib: the tool's own VmHWM",
            "mb_s": "database bytes / median seconds / 1e6",
            "neo4j_admin": "test stand-in; admin_s is its wall time, own_s = wall - admin_s",
        },
        "gcs": a.gcs_note or "ok",
        "s3": a.s3_note or "ok",
        "s3_cap_bytes_s": a.s3_cap,
        "azure": a.azure_note or "ok",
        "elapsed_s": a.elapsed,
        "steal_s": round(sum(r.get("steal_s", 0) for r in runs), 1),
        "failed_cases": failed,
        "datasets": datasets,
        "cases": cases,
    }
    res["goals"] = goals(cases, labels, a.s3_cap, res["azure"])
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as fo:
        json.dump(res, fo, indent=1)
    with open(os.path.join(a.out, "results.md"), "w") as fo:
        fo.write(md_tables(res))
    plot_data(res, os.path.join(a.out, "bench.dat"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("add")
    p.add_argument("raw")
    p.add_argument("measure")
    p.add_argument("fields", nargs="*")
    p.set_defaults(fn=cmd_add)
    p = sub.add_parser("dataset")
    p.add_argument("raw")
    p.add_argument("fields", nargs="*")
    p.set_defaults(fn=cmd_dataset)
    p = sub.add_parser("build")
    p.add_argument("raw")
    p.add_argument("out")
    p.add_argument("--machine")
    p.add_argument("--gcs-note", default="")
    p.add_argument("--s3-note", default="")
    p.add_argument("--s3-cap", type=int, default=0)
    p.add_argument("--azure-note", default="")
    p.add_argument("--elapsed", type=int, default=0)
    p.set_defaults(fn=cmd_build)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Runs one benchmark case and measures it.

    measure.py --vol DIR --json OUT --log LOG [--interval S] -- COMMAND...

Starts COMMAND under GNU time (/usr/bin/time: peak RSS of the process tree,
user and system CPU), times it with the monotonic clock, and until it ends
samples every --interval seconds (default 0.02):

  - the space used on DIR: statvfs when DIR is a mount point (the runner
    mounts a fresh tmpfs per case, so this is exact and costs one system
    call); else the allocated blocks of the files under DIR (a walk, done
    less often when it is slow, so that it stays under 1/5 of a core);
  - VmHWM (the kernel's own high-water mark of resident memory) of every
    process in COMMAND's tree, by program name.

It also notes the machine's CPU steal and iowait time during the run
(/proc/stat), to tell a slow run from a noisy neighbour.

Writes one JSON object to OUT: wall, user, sys, status, maxrss_kb (GNU
time's %M: the largest single process of the tree), rss_by_prog
({name: peak kB}), disk_peak and disk_start (bytes), samples, steal_s,
iowait_s.
COMMAND's stdout and stderr go to LOG. Exits with COMMAND's status.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def used_bytes_statvfs(path):
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def used_bytes_walk(path):
    total = 0
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        total += e.stat(follow_symlinks=False).st_blocks * 512
                    except FileNotFoundError:
                        pass
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            pass
    return total


def tree(pid):
    """pid and its descendants (via /proc/PID/task/TID/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return out


def hwm(pid):
    """(program name, VmHWM kB) of a live process, or None."""
    name, kb = None, None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Name:"):
                    name = line.split(None, 1)[1].strip()
                elif line.startswith("VmHWM:"):
                    kb = int(line.split()[1])
                    break
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (name, kb) if name and kb is not None else None


def cpu_times():
    """(iowait, steal) seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    hz = os.sysconf("SC_CLK_TCK")
    return int(fields[5]) / hz, int(fields[8]) / hz


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vol", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no COMMAND")

    mounted = os.path.ismount(a.vol)
    used = used_bytes_statvfs if mounted else used_bytes_walk
    timefile = a.json + ".time"
    disk_start = used(a.vol)
    peak, rss, samples = disk_start, {}, 0
    interval = a.interval

    iowait0, steal0 = cpu_times()
    with open(a.log, "ab") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", timefile] + cmd,
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        while True:
            s0 = time.monotonic()
            for p in tree(proc.pid)[1:]:  # not GNU time itself
                h = hwm(p)
                if h:
                    rss[h[0]] = max(rss.get(h[0], 0), h[1])
            peak = max(peak, used(a.vol))
            samples += 1
            cost = time.monotonic() - s0
            if not mounted:  # a walk: keep it under a fifth of a core
                interval = max(a.interval, 5 * cost)
            try:
                proc.wait(timeout=interval)
                break
            except subprocess.TimeoutExpired:
                pass
        wall = time.monotonic() - t0
    iowait1, steal1 = cpu_times()
    peak = max(peak, used(a.vol))

    maxrss = user = sys_ = None
    try:
        with open(timefile) as f:
            lines = f.read().split("\n")
        # GNU time prints "Command exited with non-zero status N" first
        fields = [ln for ln in lines if ln and not ln.startswith("Command")][-1].split()
        maxrss, user, sys_ = int(fields[0]), float(fields[1]), float(fields[2])
        os.unlink(timefile)
    except (OSError, IndexError, ValueError):
        pass
    with open(a.json, "w") as f:
        json.dump({"wall": round(wall, 4), "user": user, "sys": sys_, "status": proc.returncode,
                   "maxrss_kb": maxrss, "rss_by_prog": rss, "disk_peak": peak,
                   "disk_start": disk_start, "disk_mode": "statvfs" if mounted else "walk",
                   "samples": samples, "steal_s": round(steal1 - steal0, 2),
                   "iowait_s": round(iowait1 - iowait0, 2)}, f)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()

"""The neo4j-admin stand-in: command sets of Neo4j 4.4 and 5.x, acting on
folders. See tests/bin/neo4j-admin for the sources it follows and
tests/standin/README.md for the environment interface."""

import errno
import fnmatch
import os
import re
import shlex
import shutil
import signal
import sys
import tarfile
import time

from picocli_lite import (USAGE_EXIT, Command, HelpRequested, Opt, Pos,
                          UsageError)

PROG = "neo4j-admin"
DEFAULT_VERSION = "5.26.0"
SETUP_ERROR_EXIT = 125  # the test set the stand-in up wrongly


class Failed(Exception):
    """A command that ran and failed (CommandFailedException): exit code."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


class SetupError(Exception):
    pass


# --------------------------------------------------------------------------
# output helpers

def out(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def err(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def log_invocation(argv):
    path = os.environ.get("STANDIN_LOG")
    if not path:
        return
    line = " ".join([PROG] + [shlex.quote(a) for a in argv])
    if "HEAP_SIZE" in os.environ:
        line += " HEAP_SIZE=" + os.environ["HEAP_SIZE"]
    data = (line + "\n").encode("utf-8", "surrogateescape")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# environment

def dialect_from_version(version):
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$", version)
    if not m:
        raise SetupError("STANDIN_VERSION '%s' is not a version" % version)
    major = int(m.group(1))
    if major == 4:
        return "4.4"
    if major >= 5:
        return "5"
    raise SetupError("STANDIN_VERSION '%s': only 4.x and 5+ are modelled" % version)


def env_list(name):
    raw = os.environ.get(name, "")
    return [x.strip() for x in raw.split(",") if x.strip()]


def injected_exit(cmd):
    """STANDIN_EXIT=backup=1,restore=3 -> the code for cmd, or 0."""
    for item in env_list("STANDIN_EXIT"):
        key, eq, code = item.partition("=")
        if not eq or key not in ("backup", "check", "restore", "unbind") or not code.isdigit():
            raise SetupError("STANDIN_EXIT entry '%s' is not cmd=code "
                             "(cmd: backup, check, restore, unbind)" % item)
        if key == cmd:
            return int(code)
    return 0


def fail_if_injected(cmd, keep=()):
    code = injected_exit(cmd)
    if code != 0 and code not in keep:
        raise Failed("stand-in: %s failed (injected by STANDIN_EXIT=%s=%d)" % (cmd, cmd, code), code)
    return code


def inconsistent(db):
    return db in env_list("STANDIN_INCONSISTENT")


def live_dir():
    d = os.environ.get("STANDIN_LIVE_DIR")
    if not d:
        raise Failed("Unable to reach the database server: STANDIN_LIVE_DIR is not set (stand-in)")
    return d


def neo4j_home():
    return os.environ.get("NEO4J_HOME") or "/var/lib/neo4j"


def data_dir():
    return os.environ.get("STANDIN_DATA_DIR") or os.path.join(neo4j_home(), "data")


def hang_point():
    """STANDIN_HANG=restore: create the ready file, then block until killed."""
    ready = os.environ.get("STANDIN_HANG_READY")
    out("stand-in: hanging half-way through restore (STANDIN_HANG=restore)")
    if ready:
        with open(ready, "w") as f:
            f.write("%d\n" % os.getpid())
    while True:
        signal.pause()


def hanging(cmd):
    return cmd in env_list("STANDIN_HANG")


# --------------------------------------------------------------------------
# value converters (raise ValueError -> picocli "Invalid value for option")

HOSTPORT_RE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-_]*[A-Za-z0-9])?):(\d{1,5})$")


def check_hostport(v):
    m = HOSTPORT_RE.match(v)
    if not m or not (1 <= int(m.group(1)) <= 65535):
        raise ValueError("'%s' is not a valid <host:port> address" % v)
    return v


SIZE_RE = re.compile(r"^\d+(?:\.\d+)?\s*(?:[kKmMgGtT](?:i?[bB])?|[bB])?$")


def check_size(v):
    if not SIZE_RE.match(v):
        raise ValueError("'%s' is not a valid size (e.g. 512m, 2G, 100k, 1024)" % v)
    return v


def enum_conv(*choices):
    def conv(v):
        for c in choices:
            if v.lower() == c.lower():
                return c
        raise ValueError("expected one of [%s] (case-insensitive) but was '%s'" % (", ".join(choices), v))
    return conv


DBNAME_RE = re.compile(r"^[a-z][a-z0-9.\-]{2,62}$")


def normalize_db(name, pattern=False):
    """Neo4j's NormalizedDatabaseName + DatabaseNameValidator (lower-cased;
    3-63 chars of letters, digits, dots and dashes, starting with a letter)."""
    n = name.lower()
    probe = n.replace("*", "a").replace("?", "a") if pattern else n
    if pattern and ("*" in n or "?" in n):
        if re.match(r"^[a-z0-9.\-*?]+$", n):
            return n
    if not DBNAME_RE.match(probe):
        raise ValueError("Database name '%s' contains illegal characters or has a bad length. "
                         "Use simple ascii characters, numbers, dots and dashes (3 to 63 characters, "
                         "starting with a letter)." % name)
    if n != "system" and n.startswith("system"):
        raise ValueError("Database name '%s' is invalid, due to the prefix 'system'." % name)
    return n


def db_conv(v):
    return normalize_db(v)


def db_pattern_conv(v):
    return normalize_db(v, pattern=True)


RESTORE_UNTIL_RE = re.compile(r"^(?:\d+|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})$")


def check_restore_until(v):
    if not RESTORE_UNTIL_RE.match(v):
        raise ValueError("'%s' is neither a transaction id nor a date \"YYYY-MM-DD hh:mm:ss\"" % v)
    return v


def check_int(v):
    if not v.isdigit() or int(v) < 1:
        raise ValueError("'%s' is not a positive int" % v)
    return int(v)


# --------------------------------------------------------------------------
# command definitions

def common_tail():
    return [Opt("--verbose", "flag"), Opt("--expand-commands", "flag")]


def cmds_44():
    check_opts = [Opt(n, "bool1", "<true/false>", default="true") for n in (
        "--check-graph", "--check-indexes", "--check-index-structure", "--check-label-scan-store",
        "--check-relationship-type-scan-store", "--check-property-owners")]
    backup = Command("neo4j-admin backup", [
        Opt("--backup-dir", label="<path>", required=True),
        # --from and --pagecache are String fields in 4.4, parsed inside
        # execute(): a bad value fails the command (exit 1), not the parse.
        Opt("--from", label="<host:port>", default="localhost:6362"),
        Opt("--database", label="<database>", conv=db_pattern_conv, default="neo4j"),
        Opt("--fallback-to-full", "bool1", "<true/false>", default="true"),
        Opt("--pagecache", label="<size>", default="8m"),
        Opt("--check-consistency", "bool1", "<true/false>", default="true"),
        Opt("--report-dir", label="<path>", default="."),
    ] + check_opts + [
        Opt("--include-metadata", label="<all/users/roles>", conv=enum_conv("all", "users", "roles")),
        Opt("--prepare-restore", "bool1", "<true/false>", default="true"),
        Opt("--parallel-recovery", "flag"),
        Opt("--additional-config", label="<path>"),
    ] + common_tail(), description="Perform an online backup from a running Neo4j enterprise server.")
    restore = Command("neo4j-admin restore", [
        Opt("--from", "list", "<path>", required=True),
        Opt("--database", label="<database>", conv=db_conv),
        Opt("--force", "flag"),
        Opt("--move", "flag"),
        Opt("--to-data-directory", label="<path>"),
        Opt("--to-data-tx-directory", label="<path>"),
    ] + common_tail(), description="Restore a backed up database.")
    unbind = Command("neo4j-admin unbind", [
        Opt("--archive-cluster-state", "bool1", "<true/false>", default="false"),
        Opt("--archive-path", label="<path>"),
    ] + common_tail(), description="Removes cluster state data for the specified database.")
    # check-consistency (--database=<database> | --backup=<path>): the 4.4
    # CheckConsistencyCommand usage, its check flags default as there.
    consistency = Command("neo4j-admin check-consistency", [
        Opt("--database", label="<database>", conv=db_conv),
        Opt("--backup", label="<path>"),
        Opt("--additional-config", label="<path>"),
        Opt("--report-dir", label="<path>", default="."),
        Opt("--check-graph", "bool1", "<true/false>", default="true"),
        Opt("--check-indexes", "bool1", "<true/false>", default="true"),
        Opt("--check-index-structure", "bool1", "<true/false>", default="false"),
        Opt("--check-label-scan-store", "bool1", "<true/false>", default="true"),
        Opt("--check-relationship-type-scan-store", "bool1", "<true/false>", default="false"),
        Opt("--check-property-owners", "bool1", "<true/false>", default="false"),
    ] + common_tail(), description="Check the consistency of a database.")
    return {"backup": (backup, do_backup_44), "restore": (restore, do_restore_44),
            "unbind": (unbind, do_unbind), "check-consistency": (consistency, do_check_44)}


def cmds_5():
    backup = Command("neo4j-admin database backup", [
        Opt("--to-path", label="<path>"),
        Opt("--from", "list", "<host:port>", conv=check_hostport, default="localhost:6362"),
        Opt("--type", label="<type>", conv=enum_conv("FULL", "DIFF", "AUTO"), default="AUTO"),
        Opt("--compress", "bool01", default="true"),
        Opt("--keep-failed", "bool01", default="false"),
        Opt("--include-metadata", label="none|all|users|roles",
            conv=enum_conv("none", "all", "users", "roles")),
        Opt("--pagecache", label="<size>", conv=check_size),
        Opt("--temp-path", label="<path>"),
        Opt("--parallel-recovery", "bool01", default="false"),
        Opt("--inspect-path", label="<path>"),
        Opt("--additional-config", label="<file>"),
    ] + common_tail(), [Pos("database", "<database>", 0, None, db_pattern_conv)],
        description="Perform an online backup from a running Neo4j enterprise server.")
    check = Command("neo4j-admin database check", [
        Opt("--from-path", label="<path>"),
        Opt("--from-path-data", label="<path>"),
        Opt("--from-path-txn", label="<path>"),
        Opt("--report-path", label="<path>", default="."),
        Opt("--check-graph", "bool01", default="true"),
        Opt("--check-indexes", "bool01", default="true"),
        Opt("--check-counts", "bool01"),
        Opt("--check-property-owners", "bool01", default="false"),
        Opt("--temp-path", label="<path>"),
        Opt("--max-off-heap-memory", label="<size>", conv=check_size),
        Opt("--threads", label="<number of threads>", conv=check_int),
        Opt("--force", "flag"),
        Opt("--additional-config", label="<file>"),
    ] + common_tail(), [Pos("database", "<database>", 1, 1, db_conv)],
        description="Check the consistency of a database.")
    restore = Command("neo4j-admin database restore", [
        Opt("--from-path", "list", "<path>", required=True),
        Opt("--overwrite-destination", "bool01", default="false"),
        Opt("--restore-until", label="<recovery-criteria>", conv=check_restore_until),
        Opt("--to-path-data", label="<path>"),
        Opt("--to-path-txn", label="<path>"),
        Opt("--temp-path", label="<path>"),
        Opt("--source-database", label="<source-database>", conv=db_conv),
        Opt("--additional-config", label="<file>"),
    ] + common_tail(), [Pos("database", "<database>", 0, 1, db_conv)],
        description="Restore a backed up database.")
    unbind = Command("neo4j-admin server unbind", [
        Opt("--archive-cluster-state", "bool01", default="false"),
        Opt("--archive-path", label="<path>"),
    ] + common_tail(), description="Removes cluster state data from a stopped Neo4j server.")
    return {"database": {"backup": (backup, do_backup_5), "check": (check, do_check_5),
                         "restore": (restore, do_restore_5)},
            "server": {"unbind": (unbind, do_unbind)}}


def root_usage(dialect):
    if dialect == "4.4":
        return ("Usage: neo4j-admin [-hV] [COMMAND]\n"
                "Neo4j database administration tool.\n"
                "Commands:\n  backup   Perform an online backup from a running Neo4j enterprise server.\n"
                "  restore  Restore a backed up database.\n"
                "  unbind   Removes cluster state data for the specified database.\n"
                "  help     Displays help information about the specified command\n")
    return ("Usage: neo4j-admin [-hV] [--expand-commands] [--verbose] [COMMAND]\n"
            "Neo4j database administration tool.\n"
            "Commands:\n  dbms      DBMS (RDBMS) wide administration tasks.\n"
            "  server    Server-wide administration tasks.\n"
            "  database  Database-specific administration tasks.\n"
            "  version   Print version information and exit.\n"
            "  help      Display help information about the specified command.\n")


# --------------------------------------------------------------------------
# file helpers

def walk_files(root):
    """Sorted relative paths of the regular files and symlinks under root."""
    result = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            result.append(os.path.relpath(os.path.join(d, f), root))
    return result


def walk_dirs(root):
    result = []
    for d, dirs, _ in os.walk(root):
        dirs.sort()
        for x in dirs:
            result.append(os.path.relpath(os.path.join(d, x), root))
    return result


def is_txlog(rel):
    return os.path.basename(rel).startswith("neostore.transaction.db.")


def non_empty_dir(p):
    return os.path.isdir(p) and bool(os.listdir(p))


def remove_path(p):
    if os.path.islink(p) or os.path.isfile(p):
        os.unlink(p)
    elif os.path.isdir(p):
        shutil.rmtree(p)


def move_file(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.rename(src, dst)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        shutil.copy2(src, dst, follow_symlinks=False)
        os.unlink(src)


def copy_file(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst, follow_symlinks=False)


def sync_tree(src, dst):
    """Make dst a copy of src (files refreshed, extras removed)."""
    os.makedirs(dst, exist_ok=True)
    want = set(walk_files(src))
    for rel in walk_files(dst):
        if rel not in want:
            os.unlink(os.path.join(dst, rel))
    for rel in sorted(walk_dirs(dst), key=len, reverse=True):
        p = os.path.join(dst, rel)
        if not os.path.isdir(os.path.join(src, rel)) and not os.listdir(p):
            os.rmdir(p)
    for rel in walk_dirs(src):
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
    for rel in sorted(want):
        copy_file(os.path.join(src, rel), os.path.join(dst, rel))


def report_name(directory):
    return os.path.join(directory, time.strftime("inconsistencies-%Y-%m-%d_%H%M%S.report"))


def write_report(target, db, is_file=False):
    path = target if is_file else report_name(target)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("ERROR: [%s] stand-in: the database is inconsistent (STANDIN_INCONSISTENT)\n"
                "    Node[0,used=true,rel=-1,prop=-1,labels=Inline(0x0:[]),light,secondaryUnitId=-1]\n"
                "Inconsistencies for database '%s': 1 error, 0 warnings\n" % (db, db))
    return path


def live_databases(pattern):
    root = live_dir()
    if not os.path.isdir(root):
        return []
    names = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]


# --------------------------------------------------------------------------
# 4.4 backup

def do_backup_44(o, _pos):
    backup_dir = o["--backup-dir"]
    frm = o.get("--from", "localhost:6362")
    pattern = o.get("--database", "neo4j")
    check = o.get("--check-consistency", True)
    report_dir = o.get("--report-dir", ".")
    fallback = o.get("--fallback-to-full", True)
    injected = fail_if_injected("backup", keep=(2, 3))
    # String-typed options, validated inside execute() like the real tool
    try:
        check_hostport(frm)
    except ValueError as e:
        raise Failed("Execution of backup failed. Invalid value for --from: %s" % e)
    try:
        check_size(o.get("--pagecache", "8m"))
    except ValueError as e:
        raise Failed("Execution of backup failed. Invalid value for --pagecache: %s" % e)
    if not os.path.isdir(backup_dir):
        raise Failed("Path '%s' does not exist." % backup_dir)
    if "*" in pattern or "?" in pattern:
        dbs = live_databases(pattern)
        if not dbs:
            raise Failed("Execution of backup failed. No database matching '%s' on %s" % (pattern, frm))
    else:
        if not os.path.isdir(os.path.join(live_dir(), pattern)):
            raise Failed("Execution of backup failed. Database '%s' does not exist on %s" % (pattern, frm))
        dbs = [pattern]

    any_inconsistent = False
    for db in dbs:
        src = os.path.join(live_dir(), db)
        dst = os.path.join(backup_dir, db)
        if os.path.isfile(os.path.join(dst, "neostore")):
            out("Doing incremental backup of database '%s' from %s..." % (db, frm))
        else:
            if non_empty_dir(dst):
                if not fallback:
                    raise Failed("Execution of backup failed. %s is not a valid backup and "
                                 "--fallback-to-full=false" % dst)
                n = 0
                while os.path.exists("%s.err.%d" % (dst, n)):
                    n += 1
                os.rename(dst, "%s.err.%d" % (dst, n))
                out("Old backup moved to %s.err.%d" % (dst, n))
            out("Doing full backup of database '%s' from %s..." % (db, frm))
        for rel in walk_files(src):
            out("Copying %s" % rel)
        sync_tree(src, dst)
        if "--include-metadata" in o:
            tools = os.path.join(dst, "tools")
            os.makedirs(tools, exist_ok=True)
            with open(os.path.join(tools, "metadata_script.cypher"), "w") as f:
                f.write("// stand-in metadata (%s) for database %s\n" % (o["--include-metadata"], db))
        out("Finished backup of database '%s'" % db)
        if check and injected == 0:
            out("Doing consistency check of database '%s'..." % db)
            if inconsistent(db):
                path = write_report(report_dir, db)
                err("Inconsistencies found in database '%s'. See %s" % (db, path))
                any_inconsistent = True
    if injected == 2:
        raise Failed("Backup done, but the consistency check could not run "
                     "(injected by STANDIN_EXIT=backup=2)", 2)
    if injected == 3:
        path = write_report(report_dir, dbs[0])
        raise Failed("Inconsistencies found. See %s (injected by STANDIN_EXIT=backup=3)" % path, 3)
    if any_inconsistent:
        raise Failed("Inconsistencies found.", 3)
    out("Backup complete successful.")
    return 0


# --------------------------------------------------------------------------
# 5.x artifacts

ARTIFACT_RE = re.compile(r"^(?P<db>[a-z][a-z0-9.\-]*?)-(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})"
                         r"(?:-(?P<n>\d+))?\.backup$")


def parse_artifact(name):
    m = ARTIFACT_RE.match(name)
    if not m:
        return None
    return m.group("db"), m.group("ts"), int(m.group("n") or 0)


def artifacts_in(directory, db=None):
    """[(sortkey, path, db)] of the artifacts in directory, oldest first."""
    result = []
    if not os.path.isdir(directory):
        return result
    for name in os.listdir(directory):
        p = parse_artifact(name)
        if p and (db is None or p[0] == db) and os.path.isfile(os.path.join(directory, name)):
            result.append(((p[1], p[2]), os.path.join(directory, name), p[0]))
    result.sort()
    return result


def newest_per_db(paths, db_filter=None):
    """Resolve --from-path entries (artifact files or folders) to
    {db: newest artifact path}."""
    found = {}
    for p in paths:
        if os.path.isfile(p):
            parsed = parse_artifact(os.path.basename(p))
            if parsed is None:
                # not named like an artifact: accept it, the db must be given
                key, db = ("", 0), None
            else:
                key, db = (parsed[1], parsed[2]), parsed[0]
            if db_filter and db is not None and db != db_filter:
                continue
            cands = [(key, p, db)]
        elif os.path.isdir(p):
            cands = artifacts_in(p, db_filter)
        else:
            raise Failed("Path '%s' does not exist." % p)
        for key, path, db in cands:
            if db not in found or found[db][0] <= key:
                found[db] = (key, path)
    return {db: v[1] for db, v in found.items()}


def verify_artifact(path):
    """Read the whole artifact; returns its members. Failed if unreadable."""
    try:
        members = []
        with tarfile.open(path, "r:*") as tf:
            for m in tf:
                if m.isfile():
                    f = tf.extractfile(m)
                    while f.read(1 << 20):
                        pass
                elif not m.isdir():
                    raise tarfile.TarError("unexpected member type %r" % m.name)
                name = m.name
                if name.startswith("/") or ".." in name.split("/"):
                    raise tarfile.TarError("unsafe member name %r" % name)
                members.append(m)
        return members
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise Failed("Backup artifact %s is not readable: %s" % (path, e))


def write_artifact(src, path, compress):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with tarfile.open(tmp, "w:gz" if compress else "w", format=tarfile.GNU_FORMAT) as tf:
        for rel in walk_dirs(src):
            tf.add(os.path.join(src, rel), arcname=rel, recursive=False)
        for rel in walk_files(src):
            tf.add(os.path.join(src, rel), arcname=rel, recursive=False)
    os.rename(tmp, path)


def do_backup_5(o, pos):
    to_path = o.get("--to-path")
    froms = o.get("--from", ["localhost:6362"])
    btype = o.get("--type", "AUTO")
    compress = o.get("--compress", True)
    if "--inspect-path" in o:
        fail_if_injected("backup")
        arts = artifacts_in(o["--inspect-path"])
        for _, path, db in arts:
            out("%s  database=%s" % (os.path.basename(path), db))
        return 0
    if to_path is None:
        raise UsageError("Missing required option: '--to-path=<path>'")
    if not pos["database"]:
        raise UsageError("Missing required parameter: '<database>'")
    fail_if_injected("backup")
    dbs = []
    for pattern in pos["database"]:
        if "*" in pattern or "?" in pattern:
            matched = live_databases(pattern)
            if not matched:
                raise Failed("No database matching '%s' on servers: %s" % (pattern, froms))
            dbs += [d for d in matched if d not in dbs]
        elif pattern not in dbs:
            dbs.append(pattern)
    # check every database before writing anything
    failures, plan = [], []
    for db in dbs:
        src = os.path.join(live_dir(), db)
        if not os.path.isdir(src):
            failures.append("Database '%s' does not exist on servers: [%s]" % (db, ", ".join(froms)))
            continue
        previous = artifacts_in(to_path, db)
        if btype == "DIFF" and not previous:
            failures.append("Differential backup of database '%s' is not possible: no previous "
                            "backup artifact in %s" % (db, to_path))
            continue
        plan.append((db, src, "FULL" if btype == "FULL" or not previous else "DIFF"))
    if plan:
        os.makedirs(to_path, exist_ok=True)
    for db, src, kind in plan:
        out("Starting backup of database '%s' from servers: [%s]" % (db, ", ".join(froms)))
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
        name = "%s-%s.backup" % (db, stamp)
        n = 0
        while os.path.exists(os.path.join(to_path, name)):
            n += 1
            name = "%s-%s-%d.backup" % (db, stamp, n)
        path = os.path.join(to_path, name)
        out("Start %s backup of database '%s'." % ("full" if kind == "FULL" else "differential", db))
        write_artifact(src, path, compress)
        out("Finished backup of database '%s', artifact: %s" % (db, path))
    for msg in failures:
        err(msg)
    if failures:
        raise Failed("Backup failed for %d of %d database(s)." % (len(failures), len(dbs)))
    out("Backup command completed.")
    return 0


# --------------------------------------------------------------------------
# 5.x check

def read_config(path):
    """The key=value settings of a neo4j.conf-style file (# comments)."""
    settings = {}
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, v = line.split("=", 1)
                    settings[k.strip()] = v.strip()
    except OSError as e:
        raise Failed("Unable to read config file '%s': %s" % (path, e.strerror))
    return settings


def do_check_44(o, _pos):
    """4.4 check-consistency: a stopped database of the configured data
    folder (--additional-config may set dbms.directories.data and
    dbms.directories.transaction.logs.root), or a backup folder."""
    if ("--database" in o) == ("--backup" in o):
        if "--database" in o:
            raise UsageError("Error: --database=<database>, --backup=<path> are mutually "
                             "exclusive (specify only one)")
        raise UsageError("Error: Missing required argument(s): (--database=<database> | --backup=<path>)")
    fail_if_injected("check")
    conf = read_config(o["--additional-config"]) if "--additional-config" in o else {}
    if "--backup" in o:
        target = o["--backup"]
        if not os.path.isdir(target):
            raise Failed("Path '%s' does not exist." % target)
        if not os.path.isfile(os.path.join(target, "neostore")):
            raise Failed("The directory '%s' does not contain a database" % target)
        db = os.path.basename(target.rstrip("/"))
    else:
        db = o["--database"]
        data = conf.get("dbms.directories.data") or os.path.join(neo4j_home(), "data")
        target = os.path.join(data, "databases", db)
        if not os.path.isfile(os.path.join(target, "neostore")):
            raise Failed("Database does not exist: %s (looked in %s)" % (db, target))
        txroot = conf.get("dbms.directories.transaction.logs.root") or os.path.join(data, "transactions")
        if not os.path.isdir(os.path.join(txroot, db)):
            raise Failed("Transaction logs of database '%s' not found in %s" % (db, txroot))
    out("Checking consistency of %s" % target)
    if inconsistent(db):
        path = write_report(o.get("--report-dir", "."), db)
        raise Failed("Inconsistencies found: ConsistencySummaryStatistics{ Number of errors: 1; "
                     "Number of warnings: 0 }. See '%s' for a detailed consistency report." % path)
    out("Database '%s' is consistent." % db)
    return 0


def do_check_5(o, pos):
    db = pos["database"][0]
    report = o.get("--report-path", ".")
    # [[--from-path-data=<path> --from-path-txn=<path>] | [--from-path=<path> [--temp-path=<path>]]]
    if ("--from-path-data" in o) != ("--from-path-txn" in o):
        raise UsageError("Error: Missing required argument(s): %s" % (
            "--from-path-txn=<path>" if "--from-path-data" in o else "--from-path-data=<path>"))
    if "--from-path-data" in o and "--from-path" in o:
        raise UsageError("Error: --from-path-data=<path>, --from-path=<path> are mutually "
                         "exclusive (specify only one)")
    if "--temp-path" in o and "--from-path" not in o:
        raise UsageError("Error: Missing required argument(s): --from-path=<path>")
    fail_if_injected("check")
    if "--from-path" in o:
        src = o["--from-path"]
        if os.path.isfile(src):
            artifact = src
        elif os.path.isdir(src):
            arts = artifacts_in(src, db)
            if not arts:
                raise Failed("No backup artifact of database '%s' found in %s" % (db, src))
            artifact = arts[-1][1]
        else:
            raise Failed("Path '%s' does not exist." % src)
        out("Checking backup artifact %s of database '%s'" % (artifact, db))
        verify_artifact(artifact)
    else:
        base = o.get("--from-path-data") or live_dir()
        if not os.path.isfile(os.path.join(base, db, "neostore")):
            raise Failed("Database '%s' not found in %s" % (db, base))
        if "--from-path-txn" in o and not os.path.isdir(os.path.join(o["--from-path-txn"], db)):
            raise Failed("Transaction logs of database '%s' not found in %s" % (db, o["--from-path-txn"]))
        out("Checking database '%s' in %s" % (db, base))
    if inconsistent(db):
        path = write_report(report, db, is_file=report.endswith(".report"))
        raise Failed("Inconsistencies found in database '%s'. See %s" % (db, path))
    out("Database '%s' is consistent." % db)
    return 0


# --------------------------------------------------------------------------
# restore (both dialects)

def restore_plan(files, data_target, tx_target):
    """[(relpath, destination)] store files to data_target, tx logs to tx_target."""
    plan = []
    for rel in files:
        dst = os.path.join(tx_target if is_txlog(rel) else data_target, rel)
        plan.append((rel, dst))
    return plan


def do_restore_44(o, _pos):
    raw = o["--from"]
    database = o.get("--database")
    force = o.get("--force", False)
    move = o.get("--move", False)
    fail_if_injected("restore")
    single = len(raw) == 1 and not any(c in os.path.basename(raw[0].rstrip("/")) for c in "*?")
    for name in ("--database", "--to-data-directory", "--to-data-tx-directory"):
        if name in o and not single:
            raise Failed("%s parameter can be applied only when --from match single path" % name)
    paths = []
    for p in raw:
        base = os.path.basename(p.rstrip("/"))
        if any(c in base for c in "*?"):
            parent = os.path.dirname(p.rstrip("/")) or "."
            if os.path.isdir(parent):
                paths += sorted(os.path.join(parent, n) for n in os.listdir(parent)
                                if fnmatch.fnmatchcase(n, base) and os.path.isdir(os.path.join(parent, n)))
        else:
            paths.append(p)
    if not paths:
        raise Failed("No backup matches --from=%s" % ",".join(raw))
    data_root = o.get("--to-data-directory") or os.path.join(neo4j_home(), "data", "databases")
    tx_root = o.get("--to-data-tx-directory") or os.path.join(neo4j_home(), "data", "transactions")

    # validate every path before touching anything
    jobs, problems = [], []
    for p in paths:
        try:
            if database:
                db = database
            else:
                last = os.path.basename(os.path.normpath(p))
                if not last.strip():
                    raise Failed("Last subpath of %s is empty" % p)
                try:
                    db = normalize_db(last)
                except ValueError as e:
                    raise Failed(str(e))
            if not os.path.isdir(p):
                raise Failed("Source directory does not exist [%s]" % p)
            if not os.path.isfile(os.path.join(p, "neostore")):
                raise Failed("Not a valid backup: [%s] holds no neostore file" % p)
            target = os.path.join(data_root, db)
            if non_empty_dir(target) and not force:
                raise Failed("Database with name [%s] already exists at %s" % (db, target))
            jobs.append((p, db))
        except Failed as e:
            problems.append((p, str(e)))
    if problems:
        for p, reason in problems:
            out("restorePath=%s, restoreStatus=failed, reason=%s" % (os.path.abspath(p), reason))
        for p, _ in jobs:
            out("restorePath=%s, restoreStatus=failed, reason=not attempted (stand-in validates "
                "all paths first)" % os.path.abspath(p))
        raise Failed("Restore command wasn't execute successfully")

    for p, db in jobs:
        data_target = os.path.join(data_root, db)
        tx_target = os.path.join(tx_root, db)
        if force:
            remove_path(data_target)
            remove_path(tx_target)
        files = [f for f in walk_files(p) if not f.startswith("tools" + os.sep)]
        plan = restore_plan(files, data_target, tx_target)
        os.makedirs(data_target, exist_ok=True)
        os.makedirs(tx_target, exist_ok=True)
        half = len(plan) // 2 if len(plan) > 1 else 0
        for i, (rel, dst) in enumerate(plan):
            if hanging("restore") and i == half:
                hang_point()
            if move:
                move_file(os.path.join(p, rel), dst)
            else:
                copy_file(os.path.join(p, rel), dst)
        for rel in walk_dirs(p):
            if rel != "tools" and not rel.startswith("tools" + os.sep):
                os.makedirs(os.path.join(data_target, rel), exist_ok=True)
        if move:
            for rel in sorted(walk_dirs(p), key=len, reverse=True):
                d = os.path.join(p, rel)
                if not os.listdir(d):
                    os.rmdir(d)
        out("restorePath=%s, restoreStatus=successful, reason=" % os.path.abspath(p))
    return 0


def do_restore_5(o, pos):
    from_paths = o["--from-path"]
    target_db = pos["database"][0] if pos["database"] else None
    source_db = o.get("--source-database")
    overwrite = o.get("--overwrite-destination", False)
    fail_if_injected("restore")
    found = newest_per_db(from_paths)
    if source_db:
        if source_db not in found:
            raise Failed("No backup artifact of database '%s' in %s" % (source_db, ",".join(from_paths)))
        chosen = {target_db or source_db: found[source_db]}
    elif target_db:
        if target_db in found:
            chosen = {target_db: found[target_db]}
        elif len(found) == 1:
            # one artifact (or chain) restored under another name
            chosen = {target_db: list(found.values())[0]}
        else:
            raise Failed("<database> can be given only when --from-path holds artifacts of a "
                         "single database (found: %s)" % ", ".join(sorted(str(d) for d in found)))
    else:
        if None in found:
            raise Failed("Cannot tell the database name of %s: give <database>" % found[None])
        chosen = found
    if not chosen:
        raise Failed("No backup artifact found in %s" % ",".join(from_paths))

    data_root = o.get("--to-path-data") or os.path.join(neo4j_home(), "data", "databases")
    tx_root = o.get("--to-path-txn") or os.path.join(neo4j_home(), "data", "transactions")
    jobs = []
    for db in sorted(chosen):
        artifact = chosen[db]
        target = os.path.join(data_root, db)
        if non_empty_dir(target) and not overwrite:
            raise Failed("Database with name [%s] already exists at %s. "
                         "Use --overwrite-destination to replace it." % (db, target))
        members = verify_artifact(artifact)
        jobs.append((db, artifact, members))

    for db, artifact, members in jobs:
        data_target = os.path.join(data_root, db)
        tx_target = os.path.join(tx_root, db)
        if overwrite:
            remove_path(data_target)
            remove_path(tx_target)
        os.makedirs(data_target, exist_ok=True)
        os.makedirs(tx_target, exist_ok=True)
        files = [m for m in members if m.isfile()]
        half = len(files) // 2 if len(files) > 1 else 0
        with tarfile.open(artifact, "r:*") as tf:
            done = 0
            for m in tf:
                rel = m.name
                if m.isdir():
                    os.makedirs(os.path.join(data_target, rel), exist_ok=True)
                    continue
                if hanging("restore") and done == half:
                    hang_point()
                dst = os.path.join(tx_target if is_txlog(rel) else data_target, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                src = tf.extractfile(m)
                with open(dst, "wb") as f:
                    shutil.copyfileobj(src, f, 1 << 20)
                os.chmod(dst, m.mode & 0o777)
                os.utime(dst, (m.mtime, m.mtime))
                done += 1
        out("restorePath=%s, restoreStatus=successful, reason=" % os.path.abspath(artifact))
    return 0


# --------------------------------------------------------------------------
# unbind

def do_unbind(o, _pos):
    fail_if_injected("unbind")
    state = os.path.join(data_dir(), "cluster-state")
    if o.get("--archive-cluster-state", False):
        archive = o.get("--archive-path")
        if not archive:
            raise Failed("--archive-path is required with --archive-cluster-state=true")
        if os.path.isdir(state):
            os.makedirs(archive, exist_ok=True)
            name = os.path.join(archive, time.strftime("unbound_cluster_state.%Y%m%d%H%M%S.tar.gz"))
            with tarfile.open(name, "w:gz") as tf:
                tf.add(state, arcname="cluster-state")
            out("Cluster state archived to %s" % name)
    if os.path.exists(state):
        remove_path(state)
        out("Cluster state removed: %s" % state)
    else:
        out("No cluster state found at %s" % state)
    return 0


# --------------------------------------------------------------------------
# dispatch

def usage_error(msg, cmd=None, dialect="5"):
    err(msg)
    if cmd is not None:
        err(cmd.usage())
        err("Try '%s --help' for more information." % cmd.path)
    else:
        sys.stderr.write(root_usage(dialect))
    return USAGE_EXIT


def unmatched(args, start):
    rest = args[start:]
    if len(rest) == 1:
        return "Unmatched argument at index %d: '%s'" % (start, rest[0])
    return "Unmatched arguments from index %d: %s" % (start, ", ".join("'%s'" % a for a in rest))


def run_command(cmd, fn, args, base, dialect):
    try:
        opts, pos = cmd.parse(args, base)
    except HelpRequested:
        sys.stdout.write(cmd.help_text())
        return 0
    except UsageError as e:
        return usage_error(str(e), cmd, dialect)
    try:
        return fn(opts, pos)
    except UsageError as e:
        return usage_error(str(e), cmd, dialect)
    except Failed as e:
        err(str(e))
        return e.code


def main(argv):
    try:
        log_invocation(argv)
        version = os.environ.get("STANDIN_VERSION") or DEFAULT_VERSION
        dialect = dialect_from_version(version)
        injected_exit("backup")  # validates STANDIN_EXIT early
    except (SetupError, OSError) as e:
        err("neo4j-admin stand-in: " + str(e))
        return SETUP_ERROR_EXIT
    try:
        return dispatch(argv, dialect, version)
    except SetupError as e:
        err("neo4j-admin stand-in: " + str(e))
        return SETUP_ERROR_EXIT
    except OSError as e:
        err("neo4j-admin: command failed: %s" % e)
        return 1


def dispatch(argv, dialect, version):
    if not argv:
        sys.stdout.write(root_usage(dialect))
        return USAGE_EXIT  # AdminTool.execute: no args -> usage, ExitCode.USAGE
    root_flags = {"--verbose", "--expand-commands"} if dialect == "5" else set()
    i = 0
    while i < len(argv) and argv[i] in root_flags:
        i += 1
    if i >= len(argv):
        return usage_error("Missing required subcommand", None, dialect)
    first = argv[i]
    if first in ("--version", "-V"):
        out("neo4j-admin %s" % version if dialect == "4.4" else version)
        return 0
    if first in ("--help", "-h", "help"):
        sys.stdout.write(root_usage(dialect))
        return 0
    if dialect == "5" and first == "version":
        out("neo4j %s" % version)
        return 0
    if first.startswith("-"):
        return usage_error("Unknown option: '%s'" % first, None, dialect)
    if dialect == "4.4":
        table = cmds_44()
        if first not in table:
            if first in ("copy", "dump", "import", "load", "memrec", "push-to-cloud",
                         "report", "set-default-admin", "set-initial-password", "store-info"):
                err("neo4j-admin stand-in: '%s' is a real 4.4 command the stand-in does not model" % first)
                return SETUP_ERROR_EXIT
            return usage_error(unmatched(argv, i), None, dialect)
        cmd, fn = table[first]
        return run_command(cmd, fn, argv[i + 1:], i + 1, dialect)
    groups = cmds_5()
    known_groups = {"database": ["aggregate-backup", "backup", "check", "copy", "dump", "import", "info",
                                 "load", "migrate", "restore", "upload"],
                    "server": ["console", "get-id", "license", "memory-recommendation", "migrate-configuration",
                               "report", "restart", "start", "status", "stop", "unbind", "validate-config"],
                    "dbms": ["set-default-admin", "set-initial-password", "unbind-system-db"]}
    if first not in known_groups:
        return usage_error(unmatched(argv, i), None, dialect)
    group = groups.get(first, {})
    if i + 1 >= len(argv):
        return usage_error("Missing required subcommand", None, dialect)
    sub = argv[i + 1]
    if sub in ("-h", "--help", "help"):
        sys.stdout.write("Usage: neo4j-admin %s [-h] [COMMAND]\nCommands: %s\n"
                         % (first, ", ".join(known_groups[first])))
        return 0
    if sub.startswith("-"):
        return usage_error("Unknown option: '%s'" % sub, None, dialect)
    if sub not in group:
        if sub in known_groups[first]:
            err("neo4j-admin stand-in: '%s %s' is a real command the stand-in does not model" % (first, sub))
            return SETUP_ERROR_EXIT
        return usage_error(unmatched(argv, i + 1), None, dialect)
    cmd, fn = group[sub]
    return run_command(cmd, fn, argv[i + 2:], i + 2, dialect)

#!/usr/bin/python3
"""podcheck.py: run one container of a rendered pod spec, as the kubelet would.

    podcheck.py --manifests RENDERED.yaml --workload StatefulSet/NAME \
        --container restore-from-backup --work DIR [options]

It takes the pod template of the workload from the rendered manifests and the
named container (an initContainer or a container) and runs what the spec says:
its command and args, its env (values, $(VAR) expansion, fieldRef,
configMapKeyRef/secretKeyRef from the rendered objects), its volume mounts
(each pod volume mapped onto a folder under DIR/volumes: claim templates and
emptyDirs get the fsGroup ownership Kubernetes gives them, secrets and
configMaps their items and defaultMode, readOnly mounts are read-only), as its
runAsUser/runAsGroup with fsGroup and supplementalGroups, with no_new_privs
when allowPrivilegeEscalation is false. The absolute paths of the spec hold:
the container runs chrooted in DIR/root, a private mount namespace
(unshare -m) in which the host's system folders are bind-mounted and the
volumes are mounted at their mountPath. Nothing outside DIR changes.

The image is emulated (--image neo4j): the official Neo4j image's PATH and
NEO4J_HOME, its neo4j user (7474) and its /var/lib/neo4j/data -> /data link,
with neo4j-restore/neo4j-backup from --bin-dir in /usr/local/bin (where
docker/Dockerfile installs them) and the neo4j-admin stand-in as
/var/lib/neo4j/bin/neo4j-admin.

Options:
  --set-env NAME=VALUE     override (or add) an env entry of the container
  --image-env NAME=VALUE   environment the image provides (under the spec's)
  --bind HOST:PATH         extra bind mount (e.g. the local bucket)
  --secret NAME/KEY=FILE   content of a secret's key (default: a placeholder)
  --seed VOLUME=DIR        start a pod volume with a copy of DIR (what a claim
                           held from an earlier start of the pod)
  --readable PATH          after the mounts, check PATH is readable as the
                           container's user (reported)
  --report FILE            write a JSON report: exit code, the host folder of
                           every pod volume, the mounts of every container

Exits with the container's exit code; 125 when the spec cannot be run here.
Needs root (mount namespaces, chroot, changing user).
"""
import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

PROJECT_ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE_PATH = "/var/lib/neo4j/bin:/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SYSTEM_DIRS = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev", "proc", "sys"]


class SpecError(Exception):
    pass


def load_objects(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(objects, kind, name):
    for o in objects:
        if o.get("kind") == kind and o.get("metadata", {}).get("name") == name:
            return o
    return None


def pod_template(workload):
    kind = workload["kind"]
    if kind == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]
    if kind in ("StatefulSet", "Deployment", "DaemonSet", "Job", "ReplicaSet"):
        return workload["spec"]["template"]
    if kind == "Pod":
        return workload
    raise SpecError("%s is not a workload" % kind)


def pod_name(workload):
    name = workload["metadata"]["name"]
    return name + "-0" if workload["kind"] == "StatefulSet" else name + "-podcheck"


def expand(value, env):
    """Kubernetes' $(VAR) expansion: defined names expand, $$ escapes, others stay."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", sub, value)


def resolve_env(container, objects, meta):
    env = {}
    for e in container.get("env") or []:
        name = e["name"]
        if "value" in e:
            env[name] = expand(str(e["value"]), env)
        elif "valueFrom" in e:
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                path = vf["fieldRef"]["fieldPath"]
                if path not in meta:
                    raise SpecError("env %s: fieldRef %s is not emulated" % (name, path))
                env[name] = meta[path]
            elif "configMapKeyRef" in vf or "secretKeyRef" in vf:
                kind, ref = ("ConfigMap", vf["configMapKeyRef"]) if "configMapKeyRef" in vf else ("Secret", vf["secretKeyRef"])
                obj = find(objects, kind, ref["name"])
                if obj is None:
                    if ref.get("optional"):
                        continue
                    raise SpecError("env %s: %s %s is not among the rendered objects" % (name, kind, ref["name"]))
                data = obj.get("stringData") or obj.get("data") or {}
                env[name] = data[ref["key"]]
            else:
                raise SpecError("env %s: valueFrom %s is not emulated" % (name, list(vf)))
        else:
            env[name] = ""
    for src in container.get("envFrom") or []:
        raise SpecError("envFrom is not emulated (%s)" % src)
    return env


def security(pod_spec, container):
    pod_sc = pod_spec.get("securityContext") or {}
    sc = dict(pod_sc)
    sc.update(container.get("securityContext") or {})
    uid = sc.get("runAsUser", 0)
    gid = sc.get("runAsGroup", 0)
    if sc.get("runAsNonRoot") and uid == 0:
        raise SpecError("runAsNonRoot is true but the container would run as root (kubelet refuses it)")
    groups = []
    if "fsGroup" in pod_sc:
        groups.append(pod_sc["fsGroup"])
    groups += pod_sc.get("supplementalGroups") or []
    no_new_privs = sc.get("allowPrivilegeEscalation") is False
    return uid, gid, groups, pod_sc.get("fsGroup"), no_new_privs


def write_file(path, content, mode, gid):
    with open(path, "wb") as f:
        f.write(content)
    os.chown(path, 0, gid if gid is not None else 0)
    os.chmod(path, mode)


def materialize_volumes(workload, spec, objects, work, fs_group, secrets):
    """Every pod volume as a host folder; returns {name: folder}."""
    folders = {}
    claims = {t["metadata"]["name"] for t in workload.get("spec", {}).get("volumeClaimTemplates") or []}
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    for name in sorted(claims | set(volumes)):
        folder = os.path.join(work, "volumes", name)
        os.makedirs(folder)
        v = volumes.get(name, {})
        if name in claims or "emptyDir" in v or "ephemeral" in v or "persistentVolumeClaim" in v:
            # A writable volume: fsGroup owns it, setgid keeps new files in the group.
            os.chown(folder, 0, fs_group if fs_group is not None else 0)
            os.chmod(folder, 0o2775 if fs_group is not None else 0o755)
        elif "secret" in v or "configMap" in v:
            src = v.get("secret") or v.get("configMap")
            kind = "Secret" if "secret" in v else "ConfigMap"
            ref = src.get("secretName") or src.get("name")
            mode = src.get("defaultMode", 0o644)
            obj = find(objects, kind, ref)
            data = {}
            if obj is not None:
                data = {k: str(val).encode() for k, val in (obj.get("stringData") or {}).items()}
                for k, val in (obj.get("data") or {}).items():
                    data[k] = __import__("base64").b64decode(val) if kind == "Secret" else str(val).encode()
            for key, path in secrets.items():
                if key[0] == ref:
                    with open(path, "rb") as f:
                        data[key[1]] = f.read()
            items = src.get("items") or [{"key": k, "path": k} for k in sorted(data)]
            for item in items:
                content = data.get(item["key"])
                if content is None:
                    if obj is None and kind == "Secret":
                        content = ("placeholder for %s/%s\n" % (ref, item["key"])).encode()
                    else:
                        raise SpecError("volume %s: key %s of %s %s is missing" % (name, item["key"], kind, ref))
                target = os.path.join(folder, item["path"])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                write_file(target, content, item.get("mode", mode), fs_group)
            os.chmod(folder, 0o755)
        else:
            raise SpecError("volume %s: %s is not emulated" % (name, [k for k in v if k != "name"]))
        folders[name] = folder
    return folders


def image_root(work, image, bin_dir):
    """The chroot skeleton: host system folders (bound later), the image's own files."""
    root = os.path.join(work, "root")
    binds = []
    os.makedirs(root)
    for d in SYSTEM_DIRS:
        host = "/" + d
        if os.path.islink(host):
            os.symlink(os.readlink(host), os.path.join(root, d))
        elif os.path.isdir(host):
            os.makedirs(os.path.join(root, d))
            binds.append({"source": host, "target": "/" + d, "ro": d not in ("dev", "proc", "sys")})
    tmp = os.path.join(root, "tmp")
    os.makedirs(tmp)
    os.chmod(tmp, 0o1777)
    os.makedirs(root + PROJECT_ROOT)
    binds.append({"source": PROJECT_ROOT, "target": PROJECT_ROOT, "ro": True})
    real_bin = os.path.realpath(bin_dir)
    if not (real_bin + "/").startswith(PROJECT_ROOT + "/"):
        os.makedirs(root + real_bin)
        binds.append({"source": real_bin, "target": real_bin, "ro": True})
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    # /usr/local of the image: a tmpfs over the host's, holding the tools.
    local = os.path.join(work, "usr-local")
    os.makedirs(os.path.join(local, "bin"))
    for tool in ("neo4j-restore", "neo4j-backup"):
        if os.path.exists(os.path.join(real_bin, tool)):
            os.symlink(os.path.join(real_bin, tool), os.path.join(local, "bin", tool))
    binds.append({"source": local, "target": "/usr/local", "ro": True})
    if image == "neo4j":
        home = os.path.join(root, "var/lib/neo4j")
        os.makedirs(os.path.join(home, "bin"))
        os.symlink(os.path.join(PROJECT_ROOT, "tests/bin/neo4j-admin"), os.path.join(home, "bin/neo4j-admin"))
        os.symlink("/data", os.path.join(home, "data"))
        os.symlink("/logs", os.path.join(home, "logs"))
        os.makedirs(os.path.join(root, "logs"))
        os.chown(os.path.join(root, "logs"), 7474, 7474)
        env = {"PATH": IMAGE_PATH, "NEO4J_HOME": "/var/lib/neo4j", "HOME": "/var/lib/neo4j", "LANG": "C.UTF-8"}
        # The image's neo4j user and group, over the host's /etc files.
        for name, line in (("passwd", "neo4j:x:7474:7474::/var/lib/neo4j:/bin/bash\n"), ("group", "neo4j:x:7474:\n")):
            copy = os.path.join(work, "etc-" + name)
            shutil.copyfile("/etc/" + name, copy)
            with open(copy, "a") as f:
                f.write(line)
            os.chmod(copy, 0o644)
            binds.append({"source": copy, "target": "/etc/" + name, "ro": True})
    return root, binds, env


def plan(args):
    objects = load_objects(args.manifests)
    kind, _, name = args.workload.partition("/")
    workload = find(objects, kind, name)
    if workload is None:
        raise SpecError("%s is not among the rendered objects" % args.workload)
    template = pod_template(workload)
    spec = template["spec"]
    containers = {c["name"]: ("initContainers", c) for c in spec.get("initContainers") or []}
    containers.update({c["name"]: ("containers", c) for c in spec.get("containers") or []})
    if args.container not in containers:
        raise SpecError("%s has no container %s (it has: %s)" % (args.workload, args.container, ", ".join(sorted(containers))))
    _, container = containers[args.container]

    namespace = workload["metadata"].get("namespace", "default")
    meta = {"metadata.name": pod_name(workload), "metadata.namespace": namespace,
            "spec.serviceAccountName": spec.get("serviceAccountName", "default")}
    env = resolve_env(container, objects, meta)
    for kv in args.set_env:
        k, _, v = kv.partition("=")
        env[k] = v

    uid, gid, groups, fs_group, no_new_privs = security(spec, container)
    secrets = {}
    for s in args.secret:
        ref, _, path = s.partition("=")
        secrets[tuple(ref.split("/", 1))] = path
    folders = materialize_volumes(workload, spec, objects, args.work, fs_group, secrets)
    for seed in args.seed:
        volume, _, source = seed.partition("=")
        if volume not in folders:
            raise SpecError("--seed %s: the pod has no volume %s" % (seed, volume))
        subprocess.run(["cp", "-a", source + "/.", folders[volume] + "/"], check=True)
        if fs_group is not None:
            # What the kubelet does to a volume with fsGroup (SetVolumeOwnership):
            # the group owns everything, may read and write it, new files inherit it.
            for top, dirs, files in os.walk(folders[volume]):
                for path in [top] + [os.path.join(top, f) for f in files]:
                    if os.path.islink(path):
                        continue
                    st = os.lstat(path)
                    os.lchown(path, -1, fs_group)
                    mode = st.st_mode & 0o7777 | 0o060
                    if os.path.isdir(path):
                        mode |= 0o2010
                    os.chmod(path, mode)
    root, binds, image_env = image_root(args.work, args.image, args.bin_dir)
    for kv in args.image_env:
        k, _, v = kv.partition("=")
        image_env[k] = v
    full_env = dict(image_env)
    full_env.update(env)

    for m in container.get("volumeMounts") or []:
        if m["name"] not in folders:
            raise SpecError("mount %s: no pod volume %s" % (m["mountPath"], m["name"]))
        source = folders[m["name"]]
        if m.get("subPath"):
            source = os.path.join(source, m["subPath"])
            os.makedirs(source, exist_ok=True)
        os.makedirs(root + m["mountPath"], exist_ok=True)
        binds.append({"source": source, "target": m["mountPath"], "ro": bool(m.get("readOnly"))})
    for b in args.bind:
        host, _, target = b.partition(":")
        os.makedirs(root + target, exist_ok=True)
        binds.append({"source": os.path.realpath(host), "target": target, "ro": False})

    argv = list(container.get("command") or []) + list(container.get("args") or [])
    if not argv:
        raise SpecError("container %s has no command: the image's entrypoint is not emulated" % args.container)
    argv = [expand(a, env) for a in argv]

    mounts = {}
    for kind_, c in containers.values():
        mounts[c["name"]] = [{"name": m["name"], "mountPath": m["mountPath"], "subPath": m.get("subPath", ""),
                              "readOnly": bool(m.get("readOnly"))} for m in c.get("volumeMounts") or []]
    return {
        "root": root, "binds": binds, "argv": argv, "env": full_env,
        "uid": uid, "gid": gid, "groups": groups, "no_new_privs": no_new_privs,
        "cwd": container.get("workingDir") or "/", "readable": args.readable,
        "volumes": folders, "mounts": mounts,
    }


def mount(*argv):
    subprocess.run(["mount"] + list(argv), check=True)


def inner(plan_file):
    """In the private mount namespace: mount, chroot, drop to the user, exec."""
    with open(plan_file) as f:
        p = json.load(f)
    root = p["root"]
    mount("--make-rprivate", "/")
    for b in p["binds"]:
        target = root + b["target"]
        mount("--rbind", b["source"], target)
        if b["ro"]:
            mount("-o", "remount,bind,ro", target)
    os.chroot(root)
    os.chdir(p["cwd"])
    os.setgroups(p["groups"])
    os.setgid(p["gid"])
    os.setuid(p["uid"])
    if p["no_new_privs"]:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    for path in p["readable"]:
        ok = os.access(path, os.R_OK)
        print("podcheck: %s is %sreadable by %d:%d" % (path, "" if ok else "NOT ", p["uid"], p["gid"]), file=sys.stderr)
        if not ok:
            return 125
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(p["argv"][0], p["argv"], p["env"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inner", help=argparse.SUPPRESS)
    ap.add_argument("--manifests")
    ap.add_argument("--workload")
    ap.add_argument("--container")
    ap.add_argument("--work")
    ap.add_argument("--image", default="neo4j", choices=["neo4j"])
    ap.add_argument("--bin-dir", default=os.environ.get("BIN_DIR", os.path.join(PROJECT_ROOT, "bin")))
    ap.add_argument("--set-env", action="append", default=[])
    ap.add_argument("--image-env", action="append", default=[])
    ap.add_argument("--bind", action="append", default=[])
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--readable", action="append", default=[])
    ap.add_argument("--seed", action="append", default=[])
    ap.add_argument("--report")
    args = ap.parse_args()
    if args.inner:
        return inner(args.inner)
    if os.geteuid() != 0:
        print("podcheck: needs root (mount namespace, chroot, setuid)", file=sys.stderr)
        return 125
    for required in ("manifests", "workload", "container", "work"):
        if not getattr(args, required):
            ap.error("--%s is required" % required)
    if os.path.exists(args.work) and os.listdir(args.work):
        print("podcheck: %s is not empty" % args.work, file=sys.stderr)
        return 125
    os.makedirs(args.work, exist_ok=True)
    try:
        p = plan(args)
    except (SpecError, KeyError) as e:
        print("podcheck: %s" % e, file=sys.stderr)
        return 125
    plan_file = os.path.join(args.work, "plan.json")
    with open(plan_file, "w") as f:
        json.dump(p, f, indent=1)
    print("podcheck: %s %s as %d:%d (groups %s): %s" % (args.workload, args.container, p["uid"], p["gid"],
          p["groups"], " ".join(p["argv"])), file=sys.stderr)
    sys.stderr.flush()
    rc = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                         os.path.abspath(__file__), "--inner", plan_file]).returncode
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"exit": rc, "volumes": p["volumes"], "mounts": p["mounts"], "env": p["env"]}, f, indent=1)
    return rc


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""psscheck.py FILE.yaml...: the Kubernetes Pod Security Standards,
"restricted" level, checked on every pod template of the given manifests.

Written from the Pod Security Standards document (kubernetes.io, "Pod
Security Standards": the Baseline controls, which Restricted includes, then
the Restricted ones). Each control below carries the document's name for it;
a violation prints "FILE: Kind/name: CONTROL: what" and the exit status is 1.
Pod templates are found in Pod, Deployment, StatefulSet, DaemonSet,
ReplicaSet, Job and CronJob objects. Windows pods (spec.os.name windows) are
not exempted here: the charts run Linux pods only.
"""
import sys

import yaml

# Baseline: capabilities a container may add (Restricted allows only the last).
BASELINE_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                 "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
# Restricted "Volume Types": every volume must set one of these.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}


def pod_templates(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return [(obj.get("metadata") or {}, spec)]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        t = spec.get("template") or {}
        return [(t.get("metadata") or {}, t.get("spec") or {})]
    if kind == "CronJob":
        t = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return [(t.get("metadata") or {}, t.get("spec") or {})]
    return []


def containers(spec):
    for field in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(field) or []:
            yield "%s[%s]" % (field, c.get("name", "?")), c


def check_pod(meta, spec):
    """Yields (control, message) for every violation."""
    psc = spec.get("securityContext") or {}
    ctrs = list(containers(spec))

    # --- Baseline ---
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        yield "HostProcess", "spec.securityContext.windowsOptions.hostProcess is true"
    for where, c in ctrs:
        if ((c.get("securityContext") or {}).get("windowsOptions") or {}).get("hostProcess"):
            yield "HostProcess", "%s.securityContext.windowsOptions.hostProcess is true" % where
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            yield "Host Namespaces", "spec.%s is true" % field
    for where, c in ctrs:
        if (c.get("securityContext") or {}).get("privileged"):
            yield "Privileged Containers", "%s.securityContext.privileged is true" % where
    for where, c in ctrs:
        for cap in ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []:
            if cap not in BASELINE_CAPS:
                yield "Capabilities", "%s adds capability %s" % (where, cap)
    for v in spec.get("volumes") or []:
        if "hostPath" in v:
            yield "HostPath Volumes", "volume %s is a hostPath" % v.get("name")
    for where, c in ctrs:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                yield "Host Ports", "%s uses hostPort %s" % (where, p["hostPort"])
    for where, sc in [("spec", psc)] + [(w, c.get("securityContext") or {}) for w, c in ctrs]:
        t = (sc.get("appArmorProfile") or {}).get("type")
        if t is not None and t not in ("RuntimeDefault", "Localhost"):
            yield "AppArmor", "%s.securityContext.appArmorProfile.type is %s" % (where, t)
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/"):
            if value != "runtime/default" and not str(value).startswith("localhost/"):
                yield "AppArmor", "annotation %s is %s" % (key, value)
    for where, sc in [("spec", psc)] + [(w, c.get("securityContext") or {}) for w, c in ctrs]:
        se = sc.get("seLinuxOptions") or {}
        if se.get("type", "") not in SELINUX_TYPES:
            yield "SELinux", "%s.securityContext.seLinuxOptions.type is %s" % (where, se["type"])
        for field in ("user", "role"):
            if se.get(field):
                yield "SELinux", "%s.securityContext.seLinuxOptions.%s is set" % (where, field)
    for where, c in ctrs:
        pm = (c.get("securityContext") or {}).get("procMount")
        if pm not in (None, "Default"):
            yield "/proc Mount Type", "%s.securityContext.procMount is %s" % (where, pm)
    for where, sc in [("spec", psc)] + [(w, c.get("securityContext") or {}) for w, c in ctrs]:
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            yield "Seccomp", "%s.securityContext.seccompProfile.type is Unconfined" % where
    for s in psc.get("sysctls") or []:
        if s.get("name") not in SAFE_SYSCTLS:
            yield "Sysctls", "sysctl %s is not in the safe set" % s.get("name")

    # --- Restricted ---
    for v in spec.get("volumes") or []:
        if not any(v.get(t) is not None for t in RESTRICTED_VOLUMES):
            kinds = sorted(k for k in v if k != "name")
            yield "Volume Types", "volume %s is %s" % (v.get("name"), "/".join(kinds) or "of no type")
    for where, c in ctrs:
        if (c.get("securityContext") or {}).get("allowPrivilegeEscalation") is not False:
            yield "Privilege Escalation", "%s.securityContext.allowPrivilegeEscalation is not false" % where
    pod_nonroot = psc.get("runAsNonRoot")
    if pod_nonroot is False:
        yield "Running as Non-root", "spec.securityContext.runAsNonRoot is false"
    for where, c in ctrs:
        value = (c.get("securityContext") or {}).get("runAsNonRoot")
        if value is False or (value is None and pod_nonroot is not True):
            yield "Running as Non-root", "%s runs without runAsNonRoot: true" % where
    for where, sc in [("spec", psc)] + [(w, c.get("securityContext") or {}) for w, c in ctrs]:
        if sc.get("runAsUser") == 0:
            yield "Running as Non-root user", "%s.securityContext.runAsUser is 0" % where
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    for where, c in ctrs:
        t = ((c.get("securityContext") or {}).get("seccompProfile") or {}).get("type") or pod_seccomp
        if t not in ("RuntimeDefault", "Localhost"):
            yield "Seccomp", "%s has no RuntimeDefault or Localhost seccomp profile" % where
    for where, c in ctrs:
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            yield "Capabilities", "%s does not drop ALL capabilities" % where
        for cap in caps.get("add") or []:
            if cap != "NET_BIND_SERVICE":
                yield "Capabilities", "%s adds capability %s" % (where, cap)


def main(files):
    if not files:
        print("usage: psscheck.py FILE.yaml...", file=sys.stderr)
        return 2
    problems = pods = 0
    for f in files:
        with open(f) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d]
        for obj in docs:
            for meta, spec in pod_templates(obj):
                pods += 1
                label = "%s: %s/%s" % (f.rsplit("/", 1)[-1], obj.get("kind"),
                                       (obj.get("metadata") or {}).get("name"))
                for control, message in check_pod(meta, spec):
                    problems += 1
                    print("%s: %s: %s" % (label, control, message))
    print("psscheck: %d pod templates in %d files, %d violations of the restricted level"
          % (pods, len(files), problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

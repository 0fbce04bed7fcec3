"""Start one grading kernel inside the sandbox the grader can build here, then exec it.

This file is the first word of the per-run kernelspec that lib/tools/grader/run_submission.py
writes, so Jupyter starts it in place of the kernel; it sets the limits up and then
replaces itself (execv) with `node … tslab kernel`, keeping the same pid.

In order:
  1. resource limits: RLIMIT_DATA (memory, works with WebAssembly, unlike RLIMIT_AS which
     makes tfjs-wasm silently fall back to the slow cpu backend), RLIMIT_FSIZE, RLIMIT_CORE=0,
     RLIMIT_CPU as a backstop to the grader's wall clock, RLIMIT_NPROC (fork bombs);
  2. copies the connection file into the submission's folder (the kernel must read it after
     dropping privileges; the original stays in the grader's private folder);
  3. Landlock (Linux >= 5.13, any user, no root needed) when available: the kernel may read
     only the system folders, node and the course's node_modules, may write only its own
     submission folder, may bind TCP only on its five Jupyter ports and connect nowhere
     (ABI >= 4), and may not signal processes outside its sandbox (ABI >= 6);
  4. as root: drop to an unprivileged user (default nobody) with no supplementary groups;
     PR_SET_NO_NEW_PRIVS always (no setuid programs);
  5. execv the kernel command.

usage: launch_kernel.py --work DIR --connection-file FILE [--user NAME] [--data-mb N]
                        [--cpu-seconds N] [--read PATH]... [--landlock auto|require|off]
                        -- KERNEL ARGV... ({connection_file} already substituted)

`launch_kernel.py --probe` prints what this machine supports (JSON) and exits;
`launch_kernel.py --probe-read USER PATH…` (root) checks that USER can read those paths.
"""
import ctypes
import json
import os
import pwd
import resource
import shutil
import sys

# --- Landlock -------------------------------------------------------------------------
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on x86_64 and arm64
PR_SET_NO_NEW_PRIVS = 38
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_ALL_V1 = (1 << 13) - 1  # EXECUTE … MAKE_SYM
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi():
    """The Landlock ABI version of this kernel, or 0 when unavailable (not Linux, disabled, seccomp)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        libc = _libc()
        v = libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
        return int(v) if v > 0 else 0
    except Exception:
        return 0


def landlock_restrict(abi, read_paths, write_paths, rw_files, bind_ports):
    """Apply the ruleset to this process (and everything it execs). Raises OSError on failure."""
    libc = _libc()
    fs_all = FS_ALL_V1
    if abi >= 2:
        fs_all |= FS_REFER
    if abi >= 3:
        fs_all |= FS_TRUNCATE
    if abi >= 5:
        fs_all |= FS_IOCTL_DEV
    attr = RulesetAttr(handled_access_fs=fs_all, handled_access_net=0, scoped=0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL
        size = 24
    fd = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset: " + os.strerror(ctypes.get_errno()))
    read_rights = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR

    def add_path(path, rights):
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return  # a folder this machine does not have (/lib64 …)
        try:
            if not os.path.isdir(path):
                rights &= FILE_ONLY
            rule = PathBeneathAttr(allowed_access=rights & fs_all, parent_fd=pfd)
            if libc.syscall(SYS_ADD_RULE, ctypes.c_int(fd), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), "landlock_add_rule(%s): %s" % (path, os.strerror(ctypes.get_errno())))
        finally:
            os.close(pfd)

    for p in read_paths:
        add_path(p, read_rights)
    for p in write_paths:
        add_path(p, fs_all)
    for p in rw_files:
        add_path(p, FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE)
    if abi >= 4:
        for port in bind_ports:
            rule = NetPortAttr(allowed_access=NET_BIND_TCP, port=int(port))
            if libc.syscall(SYS_ADD_RULE, ctypes.c_int(fd), ctypes.c_int(RULE_NET_PORT), ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), "landlock_add_rule(port %s): %s" % (port, os.strerror(ctypes.get_errno())))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    if libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self: " + os.strerror(ctypes.get_errno()))
    os.close(fd)


def no_new_privs():
    if sys.platform.startswith("linux"):
        _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


# --- main -----------------------------------------------------------------------------
SYSTEM_READ = ["/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev", "/opt"]


def set_limit(name, value):
    which = getattr(resource, name, None)
    if which is None or value is None:
        return
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):
        # Cannot raise a hard limit that is already lower: keep the lower one.
        soft, hard = resource.getrlimit(which)
        if hard == resource.RLIM_INFINITY or value < hard:
            resource.setrlimit(which, (min(value, hard) if hard != resource.RLIM_INFINITY else value, hard))


def count_processes(uid):
    n = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 4096  # no /proc (macOS): a generous fixed limit
    for name in names:
        if name.isdigit():
            try:
                if os.stat("/proc/" + name).st_uid == uid:
                    n += len(os.listdir("/proc/%s/task" % name))
            except OSError:
                pass
    return n


def probe():
    print(json.dumps({"landlock": landlock_abi(), "root": os.geteuid() == 0, "platform": sys.platform}))


def probe_read(user, paths):
    """Exit 0 if `user` can read (and traverse to) every path, else print which one it cannot."""
    pw = pwd.getpwnam(user)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            for p in paths:
                mode = os.R_OK | (os.X_OK if os.path.isdir(p) else 0)
                if not os.access(p, mode):
                    print("the user %s cannot %s %s" % (user, "open the folder" if os.path.isdir(p) else "read", p), flush=True)
                    os._exit(1)
            os._exit(0)
        except BaseException as e:  # noqa: BLE001
            print("probe failed: %s" % e, flush=True)
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))


def main(argv):
    if argv == ["--probe"]:
        probe()
        return
    if argv and argv[0] == "--probe-read":
        probe_read(argv[1], argv[2:])
        return
    if "--" not in argv:
        sys.exit("launch_kernel.py: missing -- before the kernel command")
    split = argv.index("--")
    opts, cmd = argv[:split], argv[split + 1:]
    work = conn = user = None
    data_mb = cpu = None
    reads = []
    mode = "auto"
    i = 0
    while i < len(opts):
        a = opts[i]
        v = opts[i + 1] if i + 1 < len(opts) else None
        if a == "--work":
            work = v
        elif a == "--connection-file":
            conn = v
        elif a == "--user":
            user = v
        elif a == "--data-mb":
            data_mb = int(v)
        elif a == "--cpu-seconds":
            cpu = int(v)
        elif a == "--read":
            reads.append(v)
        elif a == "--landlock":
            mode = v
        else:
            sys.exit("launch_kernel.py: unknown option %s" % a)
        i += 2
    if not work or not conn or not cmd:
        sys.exit("launch_kernel.py: --work, --connection-file and a kernel command are required")

    drop = None
    if os.geteuid() == 0 and user:
        drop = pwd.getpwnam(user)

    # 2. The connection file, readable by the kernel's user, inside its own folder.
    info = json.load(open(conn))
    own_conn = os.path.join(work, ".kernel-connection.json")
    shutil.copyfile(conn, own_conn)
    os.chmod(own_conn, 0o600)
    if drop:
        os.chown(own_conn, drop.pw_uid, drop.pw_gid)
    cmd = [own_conn if a == conn else a for a in cmd]

    # 1. Limits (set before dropping privileges, so they cannot be raised again).
    if data_mb:
        set_limit("RLIMIT_DATA", data_mb * 1024 * 1024)
    set_limit("RLIMIT_CORE", 0)
    set_limit("RLIMIT_FSIZE", 256 * 1024 * 1024)
    if cpu:
        set_limit("RLIMIT_CPU", cpu)
    # RLIMIT_NPROC counts every process of the (real) user: allow 512 more than it has now.
    set_limit("RLIMIT_NPROC", count_processes(drop.pw_uid if drop else os.getuid()) + 512)

    # 3. Landlock (needs NO_NEW_PRIVS, which it sets).
    abi = landlock_abi() if mode != "off" else 0
    if mode == "require" and abi == 0:
        sys.exit("launch_kernel.py: Landlock is required (--landlock require) but this kernel does not offer it")
    node = os.path.realpath(cmd[0])
    node_prefix = os.path.dirname(os.path.dirname(node))  # e.g. /usr, ~/.nvm/versions/node/v20
    ports = [info[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port") if k in info]

    # 4. Drop privileges (root only), then restrict and exec.
    if drop:
        os.setgroups([])
        os.setgid(drop.pw_gid)
        os.setuid(drop.pw_uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            sys.exit("launch_kernel.py: could not drop root privileges")
    if abi:
        landlock_restrict(abi, SYSTEM_READ + [node_prefix] + reads, [work], ["/dev/null"], ports)
    else:
        no_new_privs()
    os.chdir(work)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])

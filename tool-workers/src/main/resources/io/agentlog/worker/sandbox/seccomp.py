# Compiles agentlog's sandbox seccomp filter to raw BPF (for bwrap --seccomp FD) with libseccomp (python3-seccomp).
# argv: output file. Everything is allowed except the calls below, which fail with EPERM (clone3 with ENOSYS, so
# libc falls back to clone, whose namespace flags are checked). Syscalls of a foreign architecture kill the process.
import errno
import sys

import seccomp

DENY = [
    # debugging other processes, reading their memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    # mounts, namespaces, root changes
    "mount", "umount2", "unshare", "setns", "pivot_root", "chroot",
    "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
    # kernel keyring, BPF, perf, io_uring (large attack surface)
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # kernel modules, reboot, swap, kexec
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff",
    # host-wide state
    "acct", "syslog", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "quotactl",
    "ioperm", "iopl", "uselib", "lookup_dcookie", "vhangup", "nfsservctl",
    "open_by_handle_at", "name_to_handle_at", "sethostname", "setdomainname",
]

CLONE_NAMESPACE_FLAGS = [
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
]

PERSONALITY_DANGEROUS_FLAGS = [
    0x0040000,  # ADDR_NO_RANDOMIZE
    0x0100000,  # MMAP_PAGE_ZERO
    0x0200000,  # ADDR_COMPAT_LAYOUT
    0x0400000,  # READ_IMPLIES_EXEC
]

TIOCSTI = 0x5412
TIOCLINUX = 0x541C

f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
f.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL)
for name in DENY:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (ValueError, RuntimeError):
        pass  # a syscall this kernel or libseccomp does not know: nothing to deny
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
for flag in CLONE_NAMESPACE_FLAGS:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
for flag in PERSONALITY_DANGEROUS_FLAGS:
    f.add_rule(seccomp.ERRNO(errno.EPERM), "personality", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
for request in (TIOCSTI, TIOCLINUX):
    f.add_rule(seccomp.ERRNO(errno.EPERM), "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))

with open(sys.argv[1], "wb") as out:
    f.export_bpf(out)

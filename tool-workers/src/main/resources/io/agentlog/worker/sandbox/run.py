# agentlog sandbox init: runs inside bubblewrap, as the sandbox user, under the seccomp filter.
# argv: cpu_seconds memory_bytes processes file_size_bytes open_files -- program args...
# Sets the rlimits on the user's program (not on itself), runs it, waits, and writes one JSON line to fd 3:
# {"exit": code or null, "signal": number or null, "cpuMs": ..., "maxRssKiB": ...}.
# It makes itself non-dumpable first, so the user's program (same uid) cannot open /proc/<this pid>/fd/3.
import ctypes
import json
import os
import resource
import signal
import sys

PR_SET_DUMPABLE = 4
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)

cpu, memory, processes, file_size, open_files = (int(a) for a in sys.argv[1:6])
assert sys.argv[6] == "--"
program = sys.argv[7:]

pid = os.fork()
if pid == 0:
    try:
        os.closerange(3, 1 << 16)
        # Python ignores these, and ignored signals survive exec: give the program the defaults
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.execv(program[0], program)
    except BaseException as e:  # noqa: BLE001 - report any start failure and never return into the parent's code
        os.write(2, ("sandbox: cannot start %s: %s\n" % (program[0], e)).encode())
    os._exit(127)

_, status, usage = os.wait4(pid, 0)
report = {
    "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    "cpuMs": int((usage.ru_utime + usage.ru_stime) * 1000),
    "maxRssKiB": usage.ru_maxrss,
}
os.write(3, (json.dumps(report) + "\n").encode())
os._exit(report["exit"] if report["exit"] is not None else 128 + report["signal"])

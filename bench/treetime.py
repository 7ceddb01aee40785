"""/usr/bin/time for a whole process tree: `python bench/treetime.py CMD ARGS...` runs CMD
and prints `@@WALL MAXRSS_KB USER SYS` on stderr (/usr/bin/time -f "@@%e %M %U %S"'s line).

Why not /usr/bin/time: it counts a process's children only once they are waited for.
citewatch reads large pages in forkserver children that it does not wait for on its way
out (the forkserver is its child, the readers are the forkserver's), so their CPU is
never charged to it. Here this process becomes a child subreaper (Linux prctl): every
orphan of the tree is re-parented to it and reaped, and getrusage(RUSAGE_CHILDREN) then
holds the whole tree's CPU. Peak RSS stays the largest single process, as with time(1).
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("treetime: cannot become a subreaper; children's CPU may be missing", file=sys.stderr)
    start = time.perf_counter()
    code = subprocess.run(sys.argv[1:]).returncode
    wall = time.perf_counter() - start
    deadline = time.monotonic() + 30  # orphaned readers leave once their pipes close
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.05)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"@@{wall:.2f} {usage.ru_maxrss} {usage.ru_utime:.2f} {usage.ru_stime:.2f}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

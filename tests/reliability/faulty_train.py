"""Run train.py with one injected fault, the way a real machine fails:

    python faulty_train.py FAULT N train.py-arguments...

FAULT is applied at the N-th call of the write primitive it names (atomic_write's fsync or rename):
- kill-mid-write: the file being written is cut to half its bytes, then the process is SIGKILLed;
- kill-before-rename: the whole temporary file is written, then SIGKILL before it is renamed;
- disk-full: the write fails with ENOSPC (No space left on device).
"""

import errno
import os
import runpy
import signal
import sys
from pathlib import Path

fault, target, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
calls = {"fsync": 0, "replace": 0}
real_fsync, real_replace = os.fsync, os.replace


def fsync(fd: int) -> None:
    calls["fsync"] += 1
    if calls["fsync"] == target and fault == "kill-mid-write":
        os.ftruncate(fd, os.fstat(fd).st_size // 2)
        os.kill(os.getpid(), signal.SIGKILL)
    if calls["fsync"] == target and fault == "disk-full":
        raise OSError(errno.ENOSPC, "No space left on device")
    real_fsync(fd)


def replace(src, dst) -> None:
    calls["replace"] += 1
    if calls["replace"] == target and fault == "kill-before-rename":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)


os.fsync, os.replace = fsync, replace
root = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(root))
sys.argv = [str(root / "train.py"), *args]
runpy.run_path(str(root / "train.py"), run_name="__main__")

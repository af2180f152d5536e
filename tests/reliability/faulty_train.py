"""Run train.py with one injected fault, the way a real machine fails:

    python faulty_train.py FAULT FILE N train.py-arguments...

FAULT hits the N-th write of a file whose name ends with FILE (e.g. `-faces.json`), at the
write primitive it names (atomic_write's fsync of the temporary file, or its rename):
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

fault, ending, target, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
calls = {"fsync": 0, "replace": 0}
real_fsync, real_replace = os.fsync, os.replace


def fsync(fd: int) -> None:
    if f"{ending}." not in Path(os.readlink(f"/proc/self/fd/{fd}")).name:  # temporary: .NAME.XXXX.tmp
        return real_fsync(fd)
    calls["fsync"] += 1
    if calls["fsync"] == target and fault == "kill-mid-write":
        os.ftruncate(fd, os.fstat(fd).st_size // 2)
        os.kill(os.getpid(), signal.SIGKILL)
    if calls["fsync"] == target and fault == "disk-full":
        raise OSError(errno.ENOSPC, "No space left on device")
    real_fsync(fd)


def replace(src, dst) -> None:
    if not str(dst).endswith(ending):
        return real_replace(src, dst)
    calls["replace"] += 1
    if calls["replace"] == target and fault == "kill-before-rename":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)


os.fsync, os.replace = fsync, replace
root = Path(__file__).resolve().parents[2]
sys.argv = [str(root / "train.py"), *args]
runpy.run_path(str(root / "train.py"), run_name="__main__")

"""Training from the app: one run at a time per server, in a subprocess that runs train.py's own
command (gan_demo.training.command), read back while it goes: its losses (NAME.losses.jsonl),
its sample grids (samples/) and, at the end, its checkpoint. Cancelling interrupts the run the way
Ctrl-C does, so what it learned so far is saved as a checkpoint too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gan_demo import limits
from gan_demo.data.archives import zip_to_shard

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding gan_demo/

KINDS = ("dcgan", "aegan", "vae", "ae")  # the image generators a user may train here
MINUTES = (0.05, 30.0)  # a run's training time, the first for tests and a quick look
SIZES = (32, 64)
WIDTHS = (8, 64)
BATCH = (8, 128)
GRID_EVERY_S = 20  # about how often a sample grid comes, whatever the machine's speed
CANCEL_WAIT_S = 30  # an interrupted run saves its checkpoint first; then it is killed


class Busy(RuntimeError):
    """Another training holds the server."""


@dataclass(frozen=True)
class Request:
    kind: str
    data: Path  # a dataset folder train.py reads (shared data, or a zip decoded to a shard)
    minutes: float
    size: int = 64
    width: int = 64
    batch_size: int = 64
    seed: int = 0
    holdout: int = 0

    def checked(self) -> Request:
        if self.kind not in KINDS:
            raise ValueError(f"model kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.size not in SIZES:
            raise ValueError(f"image size must be one of {', '.join(map(str, SIZES))}, got {self.size!r}")
        return Request(
            self.kind,
            self.data,
            limits.bounded_float(self.minutes, "minutes", *MINUTES),
            self.size,
            limits.bounded_int(self.width, "network width", *WIDTHS),
            limits.bounded_int(self.batch_size, "batch size", *BATCH),
            limits.seed(self.seed),
            limits.bounded_int(self.holdout, "held-out images", 0, 10_000),
        )


@dataclass
class Snapshot:
    """What a run has shown so far."""

    state: str  # "running", "finished", "cancelled" or "failed"
    elapsed_s: float
    losses: list[dict] = field(default_factory=list)  # the losses log's rows
    grids: list[Path] = field(default_factory=list)  # sample grids, oldest first
    checkpoint: Path | None = None  # NAME.safetensors, once written
    message: str = ""


class Job:
    """One train.py run in its own folder, started at once."""

    def __init__(self, request: Request, folder: Path, name: str, owner: str, python: str = sys.executable):
        self.request, self.folder, self.name, self.owner = request, folder, name, owner
        self.out = folder / "run"
        self.out.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / "train.log"
        self.cancelled = False
        self.started = time.monotonic()
        self._rows: list[dict] = []  # the losses log read so far, and its bytes
        self._read = 0
        argv = [python, "-m", "gan_demo.training", *self.arguments()]
        # the package's own folder first, so a checkout that was never pip-installed runs it too
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=folder,
                env=env,
                start_new_session=True,  # its own process group: Ctrl-C for it alone
            )
        if hasattr(os, "setpriority"):  # the app's own requests come first on a CPU the run shares
            os.setpriority(os.PRIO_PROCESS, self.process.pid, os.getpriority(os.PRIO_PROCESS, 0) + 10)

    def arguments(self) -> list[str]:
        r = self.request
        return [
            *("--model", r.kind, "--data", str(r.data), "--out", str(self.out), "--name", self.name),
            *("--max-minutes", f"{r.minutes:g}", "--max-images", str(10**9)),
            *("--size", str(r.size), "--width", str(r.width), "--enc-width", str(r.width)),
            *("--batch-size", str(r.batch_size), "--seed", str(r.seed), "--holdout", str(r.holdout)),
            *("--sample-every", str(grid_steps(r))),
            *("--log-every", "5", "--checkpoint-every", "100000", "--no-progress"),
        ]

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def cancel(self) -> None:
        """Interrupt the run as Ctrl-C would (it saves its checkpoint), then wait for it."""
        if not self.running:
            return
        self.cancelled = True
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(CANCEL_WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def snapshot(self) -> Snapshot:
        code = self.process.poll()
        checkpoint = self.out / f"{self.name}.safetensors"
        checkpoint = checkpoint if checkpoint.exists() and (self.out / f"{self.name}.json").exists() else None
        if code is None:
            state, message = "running", ""
        elif self.cancelled:
            state, message = "cancelled", "cancelled" + ("; the checkpoint so far is kept" if checkpoint else "")
        elif code == 0 and checkpoint is not None:
            state, message = "finished", ""
        else:
            state, message = "failed", self.failure()
        return Snapshot(
            state,
            time.monotonic() - self.started,
            self.losses(),
            sorted((self.out / "samples").glob(f"{self.name}-*.png")),
            checkpoint,
            message,
        )

    def losses(self) -> list[dict]:
        """The losses log's rows so far, reading only what was appended since the last call."""
        path = self.out / f"{self.name}.losses.jsonl"
        if not path.exists():
            return list(self._rows)
        with path.open("rb") as f:
            f.seek(self._read)
            appended = f.read()
        complete = appended[: appended.rfind(b"\n") + 1]  # a line being written waits for the next call
        self._read += len(complete)
        self._rows += [json.loads(line) for line in complete.splitlines() if line.strip()]
        return list(self._rows)

    def failure(self) -> str:
        """train.py's own error line, without the server's folders."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        error = next((ln for ln in reversed(lines) if ln.startswith("error: ")), None)
        text = error[len("error: ") :] if error else f"training stopped (exit code {self.process.returncode})"
        for folder in (str(self.request.data), str(self.out), str(self.folder)):
            text = text.replace(folder + ": ", "").replace(folder + os.sep, "").replace(folder, "")
        return text


def grid_steps(r: Request) -> int:
    """Steps between sample grids, so one comes about every GRID_EVERY_S on a 2-core CPU: a step
    costs about 1.4 s for 64 DCGAN images of 64 px at width 64, and scales with the batch and the
    squares of width and size (on a GPU the grids come faster, and the run ends sooner)."""
    step_s = 1.4 * (r.batch_size / 64) * (r.width / 64) ** 2 * (r.size / 64) ** 2
    return max(5, round(GRID_EVERY_S / step_s))


def shared_datasets(root: Path | None = None) -> dict[str, Path]:
    """The data sets a server has beside it ($GAN_DEMO_DATA, else the checkout's ../shared/data):
    {'faces': celeba64/, 'digits': mnist/} where present."""
    root = Path(os.environ.get("GAN_DEMO_DATA", PACKAGE_ROOT.parent / "shared" / "data")) if root is None else root
    folders = {"faces": root / "celeba64", "digits": root / "mnist"}
    return {name: folder for name, folder in folders.items() if folder.is_dir()}


class Trainer:
    """The server's one training slot."""

    def __init__(self, work_dir: Path, python: str = sys.executable):
        self.work_dir, self.python = work_dir, python
        self.lock = threading.Lock()
        self.job: Job | None = None
        self.count = 0
        self.uploads = 0

    def busy(self) -> None:
        """Raise Busy while a run holds the slot (checked again, atomically, at start)."""
        job = self.job
        if job is not None and job.running:
            left = max(0.0, job.request.minutes - (time.monotonic() - job.started) / 60)
            raise Busy(
                f"a training is already running on this server (about {left:.0f} more minutes): "
                "one at a time, try again when it ends"
            )

    def unpack(self, archive: str | os.PathLike, size: int) -> tuple[Path, dict]:
        """A user's zip decoded into a data folder of the work folder (gan_demo.data.archives)."""
        with self.lock:
            self.uploads += 1
            folder = self.work_dir / f"upload-{self.uploads}"
        counts = zip_to_shard(archive, folder / "images.npz", size)
        return folder, counts

    def start(self, request: Request, owner: str, label: str) -> Job:
        """Start a run for `owner` (a browser session), named trained-LABEL-N; Busy while one runs."""
        request = request.checked()
        with self.lock:
            self.busy()
            self.count += 1
            name = f"trained-{label}-{self.count}"
            self.job = Job(request, self.work_dir / name, name, owner, self.python)
            return self.job

    def cancel(self, owner: str) -> bool:
        """Cancel the run if `owner` started it; whether one was cancelled."""
        job = self.job
        if job is None or job.owner != owner or not job.running:
            return False
        job.cancel()
        return True

    def close(self) -> None:
        if self.job is not None:
            self.job.cancel()

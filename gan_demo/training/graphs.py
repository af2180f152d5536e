"""The whole training step recorded once as a CUDA graph, then replayed at every step.

At batch 64 a DCGAN step is hundreds of small kernels, and on a fast GPU launching them one by
one from Python takes longer than running them. Recorded once, the batch gather and flips, the
forward and backward passes, the optimizer updates and the EMA replay with one launch.

Randomness stays a pure function of (seed, step): the loop re-seeds the generator before each
replay and the replay reads its seed afresh, and the step's batch indices are copied into the
graph's input, so a replayed run draws the same noise and images as an eager one.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .loop import Trainer

log = logging.getLogger(__name__)

# eager steps before recording: cuDNN picks its algorithms, optimizers and the EMA create state
WARMUP_STEPS = 3


def why_not_recorded(trainer: Trainer) -> str | None:
    """Why this run's step cannot be recorded as a CUDA graph; None when it can."""
    cfg = trainer.cfg
    if trainer.device.type != "cuda":
        return "not on CUDA"
    if not cfg.cuda_graphs:
        return "turned off (--no-cuda-graphs)"
    if trainer.ctx.enabled:
        return "several processes: DDP's gradient all-reduce is not recorded"
    if trainer.precision == "fp16":
        return "fp16 loss scaling checks for overflow on the host at every step"
    if cfg.compile:
        return "--compile is on"
    if cfg.hyper.lr_schedule != "constant":
        return "a graph records the rates as constants, and --lr-schedule changes them every step"
    if trainer.images.device.type != "cuda":
        return "the images do not fit in GPU memory, so each batch is copied from the host"
    return None


def recordable_generator(device: torch.device) -> torch.Generator:
    """The device's default CUDA generator: the one a graph records without registration."""
    return torch.cuda.default_generators[device.index if device.index is not None else torch.cuda.current_device()]


class GraphedStep:
    """Call with the step number (after seeding trainer.gen): runs the step, returns its losses.

    The returned loss tensors belong to the graph and are overwritten by the next replay. The
    graph holds the tensors, learning rates and frozen flags it was recorded with: nothing may
    replace them afterwards (Trainer.resume refuses to)."""

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.graph: torch.cuda.CUDAGraph | None = None
        self.failed = False
        self.warmup_left = WARMUP_STEPS
        self.idx = torch.zeros(trainer.cfg.batch_size, dtype=torch.long, device=trainer.device)
        self.losses: dict[str, torch.Tensor] = {}
        self.side = torch.cuda.Stream(trainer.device)

    def __call__(self, step: int) -> dict[str, torch.Tensor]:
        t = self.trainer
        idx = t.indices(step)
        if self.graph is None and not self.failed and self.warmup_left == 0:
            self._record()
        if self.graph is None:  # still warming up, or the recording failed
            self.warmup_left = max(0, self.warmup_left - 1)
            return self._eager(lambda: t.obj.step(*t.gather(idx), t.gen))
        self.idx.copy_(idx)
        t.obj.before_replay()
        self.graph.replay()
        t.obj.after_replay()
        return self.losses

    def _eager(self, run: Callable[[], dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """A step outside the graph, on a side stream as recording requires of the steps before it."""
        main = torch.cuda.current_stream(self.trainer.device)
        self.side.wait_stream(main)
        with torch.cuda.stream(self.side), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*capturable=True.*")  # after a failed recording
            losses = run()
        main.wait_stream(self.side)
        for loss in losses.values():
            loss.record_stream(main)  # the loop reads them there: keep their memory until it has
        return losses

    def _record(self) -> None:
        t = self.trainer
        t.obj.recording = True
        for opt in t.obj.optimizers.values():
            for group in opt.param_groups:
                group["capturable"] = True  # step counts stay on the device, so the update records
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.device(t.device), torch.cuda.graph(graph):
                self.losses = t.obj.step(*t.gather(self.idx), t.gen)
        except RuntimeError as err:  # an operation a graph cannot hold: train on, unrecorded
            t.obj.recording = False
            seed = t.gen.initial_seed()  # this step's, set by the loop
            t.gen = torch.Generator(device=t.device)  # a failed recording leaves the default one unusable
            t.gen.manual_seed(seed)
            self.failed = True
            log.warning(
                "could not record the training step as a CUDA graph (%s); running it step by step. "
                "The default CUDA random generator is unusable in this process now: "
                "rerun with --no-cuda-graphs to avoid both",
                err,
            )
            return
        self.graph = graph
        log.info("training step recorded as one CUDA graph after %d eager steps", WARMUP_STEPS)

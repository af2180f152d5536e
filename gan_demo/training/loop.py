"""The training loop: data on the device, resumable checkpoints, logging, NaN guard, DDP.

Randomness is a pure function of (seed, rank, step): the data order comes from a per-epoch
permutation and the noise from a generator re-seeded every step, so a resumed run replays the
uninterrupted one exactly, with no RNG state to save.
"""

from __future__ import annotations

import io
import json
import logging
import math
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist
from torchvision.utils import save_image
from tqdm import tqdm

from gan_demo import __version__
from gan_demo.data.datasets import ImageData, random_flip, split_holdout, to_float
from gan_demo.models import kinds
from gan_demo.models.checkpoints import (
    CheckpointError,
    atomic_write,
    flatten_modules,
    load_state,
    optimizer_from_tensors,
    optimizer_to_tensors,
    save_checkpoint,
    save_state,
    split_prefix,
    state_path,
)
from gan_demo.models.pretrained import Pretrained, load_pretrained
from gan_demo.runtime import DTYPES, Dist, describe_hardware, resolve_precision

from .config import RunConfig
from .fid import FidTracker
from .graphs import GraphedStep, recordable_generator, why_not_recorded
from .objectives import Objective
from .schedule import lr_factor

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """A loss went NaN/inf or the discriminator won outright; the last good checkpoint is kept."""


def _step_seed(seed: int, rank: int, step: int) -> int:
    return (seed * 1_000_003 + rank * 7_919 + step) % (2**63)


class Trainer:
    def __init__(
        self,
        cfg: RunConfig,
        data: ImageData,
        device: torch.device,
        ctx: Dist = Dist(),
        source: Pretrained | None = None,
    ):
        """`source`: the trained checkpoint a refit (--model encoder) starts from."""
        try:
            self.spec = kinds.get(cfg.kind)
        except KeyError as err:
            raise ValueError(err.args[0]) from None
        self.cfg, self.device, self.ctx = cfg, device, ctx
        self.precision = resolve_precision(cfg.precision, device)
        train, held = split_holdout(data, cfg.holdout)
        self.data, self.held = train, held
        if (data.channels, data.size) != (cfg.arch.channels, cfg.arch.size):
            raise ValueError(
                f"{data.source}: data is {data.channels}x{data.size}x{data.size}, model expects {cfg.arch.channels}x{cfg.arch.size}x{cfg.arch.size}"
            )
        if self.spec.needs_labels and data.labels is None:
            raise ValueError(
                f"{data.source}: --model {cfg.kind} needs labels (attributes.csv or MNIST label file), found none"
            )
        if self.spec.needs_source and source is None:
            raise ValueError(f"--model {cfg.kind} refits a trained checkpoint: pass --generator CHECKPOINT")
        torch.manual_seed(cfg.seed)  # same initial weights on every rank
        self.obj: Objective = self.spec.objective_class()(
            self.spec,
            cfg.arch,
            cfg.hyper,
            device,
            self.precision,
            ctx.enabled,
            labels=data.label_names,
            label_kind=data.label_kind,
            source=source,
        )
        if cfg.compile:
            self.obj.compile(None if cfg.compile == "default" else cfg.compile)
        self.steps_per_epoch = len(train) // (cfg.batch_size * ctx.world)
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"{data.source}: {len(train)} training images are fewer than one batch of {cfg.batch_size} x {ctx.world} processes"
            )
        images_per_step = cfg.batch_size * ctx.world
        self.open_ended = cfg.max_minutes is not None and cfg.max_images is None and cfg.epochs is None
        if cfg.max_images is not None:
            self.total_steps = math.ceil(cfg.max_images / images_per_step)
        elif self.open_ended:  # the time budget alone ends the run
            self.total_steps = 10**12
        else:
            self.total_steps = max(1, round((cfg.epochs or RunConfig.DEFAULT_EPOCHS) * self.steps_per_epoch))
        self.schedule = cfg.hyper.lr_schedule
        if self.schedule != "constant" and self.open_ended:
            raise ValueError(
                f"--lr-schedule {self.schedule} decays over the run's steps: give --epochs or --max-images "
                "(--max-minutes may still end the run early)"
            )
        lr_factor(self.schedule, 0, self.total_steps)  # an unknown schedule fails here, not at step 1
        self.images = self._place_images(train.images)
        self.labels = None if train.labels is None else train.labels.to(self.images.device)
        self.step = 0
        self.wall_time = 0.0
        self.last_losses: dict[str, float] = {}
        self.stem = Path(cfg.out) / cfg.name
        self.losses_log_failed = False
        fixed = torch.Generator().manual_seed(cfg.seed)
        self.fixed_z = torch.randn(64, cfg.arch.z_dim, generator=fixed).to(device)
        shown = held if len(held) else train  # photos a refit's grid reconstructs: unseen ones when held out
        self.fixed_photos = to_float(shown.images[:32]).to(device).contiguous(memory_format=torch.channels_last)
        if shown.label_kind == "maps":  # the face-map kinds' grids show these photos' maps
            self.obj.fixed_maps = shown.labels[:32].to(device)
        self.gen = torch.Generator(device=device)
        self._perm_epoch, self._perm = -1, torch.empty(0, dtype=torch.long)
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN time its algorithms once
        self.fid = self._fid_tracker()
        self.graphed: GraphedStep | None = None
        reason = why_not_recorded(self)
        if reason is None:
            self.gen = recordable_generator(device)
            self.graphed = GraphedStep(self)
        elif device.type == "cuda":
            log.info("training step not recorded as a CUDA graph: %s", reason)

    def _fid_tracker(self) -> FidTracker | None:
        """Rank 0 measures FID against the held-out photos (the training ones when none are held out)."""
        cfg = self.cfg
        if cfg.fid_every < 0 or cfg.fid_n < 2:
            raise ValueError(f"--fid-every must be >= 0 and --fid-n >= 2, got {cfg.fid_every} and {cfg.fid_n}")
        if cfg.keep_best and not cfg.fid_every:
            raise ValueError("--keep-best keeps the checkpoint with the best FID: it needs --fid-every")
        if not cfg.fid_every:
            return None
        if not self.spec.can("sample"):
            raise ValueError(f"--fid-every measures a generator's samples; --model {cfg.kind} has none")
        if self.spec.frozen_generator:
            raise ValueError(
                f"--model {cfg.kind} keeps its generator frozen, so its FID cannot change: "
                "judge the refit by python -m gan_demo evaluate --metrics projection"
            )
        if not cfg.fid_classifier:
            raise ValueError(
                f"--fid-every needs --fid-classifier CHECKPOINT: an attribute or digit classifier of "
                f"{cfg.arch.channels}x{cfg.arch.size}x{cfg.arch.size} images (none is shipped for that shape)"
            )
        if not self.ctx.is_main:
            return None
        photos, photos_from = (self.held, "held-out") if len(self.held) else (self.data, "training")
        return FidTracker(
            load_pretrained(cfg.fid_classifier, self.device), photos.images, photos_from, cfg.arch, cfg.fid_n
        )

    def measure_fid(self, writer: SummaryWriter | None = None) -> None:
        """FID of the generator as it would ship (the EMA one when enabled); keeps the best if asked."""
        if self.fid is None:
            return
        started = time.perf_counter()
        value = self.fid.measure(self.obj.inference_modules()["G"], self.step)
        log.info(
            "step %d: FID %.3f (%d samples against %s, %.1f s)",
            self.step,
            value,
            self.fid.n,
            self.fid.settings()["photos"],
            time.perf_counter() - started,
        )
        if writer is not None:
            writer.add_scalar("fid", value, self.step * self.cfg.batch_size * self.ctx.world)
        if self.cfg.keep_best and (self.fid.best_kept is None or value < self.fid.best_kept):
            self.save_inference(self.best_stem())
            self.fid.best_kept = value

    def best_stem(self) -> Path:
        return self.stem.with_name(f"{self.cfg.name}-best")

    def _restore_fid(self, history: list, settings: dict | None) -> None:
        """A resumed run's FID history and best checkpoint, when measured as this run measures."""
        if self.fid is None:
            return
        if settings != self.fid.settings():
            if history:
                log.warning(
                    "FID history of %s dropped: it was measured with %s, this run uses %s",
                    self.stem,
                    settings,
                    self.fid.settings(),
                )
            return
        self.fid.history = [tuple(point) for point in history]
        best_json = self.best_stem().with_suffix(".json")
        if self.cfg.keep_best and best_json.exists():
            try:
                kept = json.loads(best_json.read_text())["training"]["fid"]
                if {k: kept[k] for k in settings} == settings:
                    self.fid.best_kept = float(kept["history"][-1][1])
            except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
                log.warning("%s unreadable (%s): the next FID measurement replaces it", best_json, err)

    def _place_images(self, images_uint8: torch.Tensor) -> torch.Tensor:
        """Keep the whole uint8 set on the GPU when it fits in a quarter of free memory."""
        if self.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.device)
            if images_uint8.numel() < free // 4:
                return images_uint8.to(self.device)
        return images_uint8

    # -- batches ------------------------------------------------------------------------------------
    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.gather(self.indices(step))

    def indices(self, step: int) -> torch.Tensor:
        """Which images make up this step's batch (on the device that holds the images)."""
        epoch, pos = divmod(step, self.steps_per_epoch)
        if self._perm_epoch != epoch:
            perm = torch.randperm(
                len(self.images), generator=torch.Generator().manual_seed(_step_seed(self.cfg.seed, 0, epoch))
            )
            self._perm = perm[self.ctx.rank :: self.ctx.world].to(self.images.device)
            self._perm_epoch = epoch
        return self._perm[pos * self.cfg.batch_size : (pos + 1) * self.cfg.batch_size]

    def gather(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The batch at `idx` as float in [-1, 1], flipped at random with self.gen."""
        x = to_float(self.images[idx].to(self.device, non_blocking=True))
        labels = None if self.labels is None else self.labels[idx].to(self.device, non_blocking=True)
        if self.cfg.flip and self.data.label_kind == "maps":  # a face's map mirrors with it
            x, labels = random_flip(x, self.gen, labels)
        elif self.cfg.flip:
            x = random_flip(x, self.gen)
        return x.contiguous(memory_format=torch.channels_last), labels

    # -- checkpoints --------------------------------------------------------------------------------
    def meta(self) -> dict:
        """The JSON written beside the inference weights."""
        train = self.data
        networks = self.obj.checkpoint_meta()
        return {
            "kind": networks.pop("kind"),
            "arch": self.cfg.arch.to_dict(),
            "labels": {"kind": train.label_kind, "names": train.label_names} if train.label_kind else None,
            "data": {
                "source": train.source,
                "train_images": len(train),
                "holdout_images": len(self.held),
                "holdout_first": self.held.names[0] if len(self.held) else None,
                "holdout_last": self.held.names[-1] if len(self.held) else None,
                "skipped_files": train.skipped,
            },
            "training": {
                "command": self.cfg.command,
                "options": self.cfg.options(),
                "precision": self.precision,
                "steps": self.step,
                "images_seen": self.step * self.cfg.batch_size * self.ctx.world,
                "epochs": round(self.step / self.steps_per_epoch, 3),
                "wall_time_s": round(self.wall_time, 1),
                "final_losses": self.last_losses,
                "ema_generator": networks.pop("ema_generator"),
                **({"fid": self.fid.report()} if self.fid is not None else {}),
            },
            "hardware": describe_hardware(self.device, self.ctx.world),
            "software": {"python": platform.python_version(), "torch": torch.__version__, "gan_demo": __version__},
            **networks,
        }

    def save(self) -> None:
        """Rank 0 writes the inference checkpoint, then the resumable state (both atomic)."""
        if not self.ctx.is_main:
            return
        self.save_inference(self.stem)
        tensors = flatten_modules(self.obj.state_modules())
        groups = {}
        for name, opt in self.obj.optimizers.items():
            opt_tensors, groups[name] = optimizer_to_tensors(opt, f"opt_{name}")
            tensors.update(opt_tensors)
        scalers = {name: s.state_dict() for name, s in self.obj.scalers.items() if s.is_enabled()}
        save_state(
            self.stem,
            tensors,
            {
                "kind": self.cfg.kind,
                "arch": self.cfg.arch.to_dict(),
                "step": self.step,
                "wall_time": self.wall_time,
                "param_groups": groups,
                "scalers": scalers,
                "last_losses": self.last_losses,
                "fid_history": self.fid.history if self.fid is not None else [],
                "fid_settings": self.fid.settings() if self.fid is not None else None,
            },
        )

    def save_inference(self, stem: Path) -> None:
        """The inference weights (stored as --weights-dtype) and their JSON, at `stem`."""
        weights = flatten_modules(self.obj.inference_modules())
        half = DTYPES[self.cfg.weights_dtype]
        weights = {k: v.to(half) if v.is_floating_point() else v for k, v in weights.items()}
        save_checkpoint(stem, weights, self.meta())

    def resume(self) -> bool:
        """Load the training state if there is one; False when starting fresh."""
        if self.graphed is not None and self.graphed.graph is not None:
            raise RuntimeError("resume() after the step was recorded: the graph would keep the old tensors")
        if not state_path(self.stem).exists():
            return False
        tensors, meta = load_state(self.stem)
        if meta["kind"] != self.cfg.kind or meta["arch"] != self.cfg.arch.to_dict():
            raise CheckpointError(
                f"{state_path(self.stem)}: holds a {meta['kind']} {meta['arch']}, but this run is a {self.cfg.kind} {self.cfg.arch.to_dict()}"
            )
        for name, module in self.obj.state_modules().items():
            module.load_state_dict(split_prefix(tensors, name))
        for name, opt in self.obj.optimizers.items():
            optimizer_from_tensors(opt, tensors, f"opt_{name}", meta["param_groups"][name])
        for name, sd in meta.get("scalers", {}).items():
            self.obj.scalers[name].load_state_dict(sd)
        self.step, self.wall_time, self.last_losses = meta["step"], meta["wall_time"], meta["last_losses"]
        self._restore_fid(meta.get("fid_history", []), meta.get("fid_settings"))
        return True

    def write_samples(self) -> None:
        if not self.ctx.is_main:
            return
        images = self.obj.preview(self.fixed_z, self.fixed_photos)
        if images is None:
            return
        path = self.stem.parent / "samples" / f"{self.cfg.name}-{self.step:07d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        png = io.BytesIO()
        save_image(images.add(1).div(2).clamp(0, 1), png, format="png", nrow=8)
        atomic_write(path, png.getvalue())  # a kill mid-write never leaves a half PNG

    def log_losses(self, images_per_step: int, seconds: float) -> None:
        """One JSON line per loss read-out in OUT/NAME.losses.jsonl (appended across --resume), for
        charts drawn while the run goes (the app's Train tab) without TensorBoard."""
        if not self.ctx.is_main:
            return
        row = {"step": self.step, "images": self.step * images_per_step, "seconds": round(seconds, 2)}
        line = json.dumps({**row, **{k: round(v, 5) for k, v in self.last_losses.items()}})
        try:
            self.stem.parent.mkdir(parents=True, exist_ok=True)
            with self.stem.with_name(f"{self.cfg.name}.losses.jsonl").open("a") as f:
                f.write(line + "\n")
        except OSError as err:  # a chart's data: never worth stopping the run for (a full disk stops it at its save)
            if not self.losses_log_failed:
                log.warning("could not write the losses log (%s); training goes on", err)
            self.losses_log_failed = True

    # -- the loop --------------------------------------------------------------------------------------
    def check(self, sums: dict[str, torch.Tensor], count: int) -> dict[str, float]:
        """Bring the running loss sums to the host (the only sync), and stop on NaN/inf."""
        losses = {k: v.item() / max(count, 1) for k, v in sums.items()}
        bad = [k for k, v in losses.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(
                f"{', '.join(bad)} became {losses[bad[0]]} by step {self.step}; "
                f"the last good checkpoint ({state_path(self.stem)}) is kept. "
                "Try a lower --lr, --precision fp32, or --resume from the checkpoint."
            )
        if "loss_D" in losses and losses["loss_D"] < 1e-4 and losses.get("loss_G", 0) > 15:
            raise TrainingDiverged(
                f"the discriminator won (loss_D {losses['loss_D']:.2e}, loss_G {losses['loss_G']:.1f}) at step {self.step}; the last good checkpoint is kept. Try --diffaug, --loss hinge or a lower --lr-d."
            )
        return losses

    def run(self) -> dict:
        """Train to total_steps, then write the final samples and checkpoint; returns the JSON."""
        if self.step < self.total_steps:
            self.train_steps(self.total_steps)
            self.write_samples()
            self.save()
        return self.meta()

    def train_steps(self, until: int) -> None:
        """The loop proper, with its periodic read-outs, sample grids and checkpoints."""
        cfg, images_per_step = self.cfg, self.cfg.batch_size * self.ctx.world
        writer = self._tensorboard()
        bar = tqdm(
            total=None if self.open_ended else self.total_steps * images_per_step,
            initial=self.step * images_per_step,
            unit="img",
            unit_scale=True,
            disable=not (cfg.progress and self.ctx.is_main),
            desc=cfg.name,
            dynamic_ncols=True,
        )
        sums: dict[str, torch.Tensor] = {}
        count = 0
        started = time.perf_counter() - self.wall_time
        try:
            while self.step < until:
                self.gen.manual_seed(_step_seed(cfg.seed, self.ctx.rank, self.step))
                if self.obj.compiled_graphs:
                    torch.compiler.cudagraph_mark_step_begin()
                if self.schedule != "constant":
                    self.obj.set_lr_factor(lr_factor(self.schedule, self.step, self.total_steps))
                if self.graphed is not None:
                    losses = self.graphed(self.step)
                else:
                    x, labels = self.batch(self.step)
                    losses = self.obj.step(x, labels, self.gen)
                for k, v in losses.items():
                    sums[k] = sums[k] + v.float() if k in sums else v.float().clone()
                count += 1
                self.step += 1
                bar.update(images_per_step)
                checkpoint_due = self.step % cfg.checkpoint_every == 0
                # the same on every rank: the loss check it forces all-reduces
                fid_due = bool(cfg.fid_every) and (self.step % cfg.fid_every == 0 or self.step == self.total_steps)
                if self.step % cfg.log_every == 0 or checkpoint_due or fid_due or self.step == until:
                    self.last_losses = self.check(self._reduce(sums), count)
                    sums, count = {}, 0
                    bar.set_postfix({k: f"{v:.3f}" for k, v in self.last_losses.items()})
                    self.log_losses(images_per_step, time.perf_counter() - started)
                    if writer is not None:
                        for k, v in self.last_losses.items():
                            writer.add_scalar(k, v, self.step * images_per_step)
                self.wall_time = time.perf_counter() - started
                if cfg.max_minutes is not None and self.step % cfg.log_every == 0 and self._out_of_time():
                    self.total_steps = until = self.step
                    fid_due = bool(cfg.fid_every)  # the last step: its loss check ran (a log step)
                if self.step % cfg.sample_every == 0 and self.step != self.total_steps:
                    self.write_samples()
                if fid_due:  # after the loss check: never on diverged weights
                    self.measure_fid(writer)
                if checkpoint_due and self.step != self.total_steps:
                    self.save()
        except KeyboardInterrupt:
            self.wall_time = time.perf_counter() - started
            if sums:  # save only what passed the NaN check
                self.last_losses = self.check(self._reduce(sums), count)
            self.save()
            log.warning("interrupted at step %d; saved %s; continue with --resume", self.step, state_path(self.stem))
            raise
        finally:
            bar.close()
            if writer is not None:
                writer.close()

    def _out_of_time(self) -> bool:
        """Every rank stops at the same step: rank 0's clock decides."""
        flag = torch.tensor([float(self.wall_time >= self.cfg.max_minutes * 60)], device=self.device)
        if self.ctx.enabled:
            dist.broadcast(flag, 0)
        return bool(flag.item())

    def _reduce(self, sums: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Average the loss sums over ranks, so every rank takes the same NaN decision."""
        if not self.ctx.enabled:
            return sums
        keys = sorted(sums)
        stacked = torch.stack([sums[k] for k in keys])
        dist.all_reduce(stacked)
        return {k: v / self.ctx.world for k, v in zip(keys, stacked)}

    def _tensorboard(self):
        if not (self.cfg.tensorboard and self.ctx.is_main):
            return None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as err:
            raise RuntimeError("--tensorboard needs the tensorboard package: pip install tensorboard") from err
        return SummaryWriter(str(self.stem.parent / "tensorboard" / self.cfg.name))

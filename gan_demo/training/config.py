"""Every training setting with its default, in one place: `train.py`'s options read their defaults
here, a kind's own defaults sit in its registry row (gan_demo.models.kinds), and benchmarks that
build a run from these classes train exactly what `train.py` trains."""

from __future__ import annotations

import shlex
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from gan_demo.models import kinds
from gan_demo.models.kinds import ModelKind
from gan_demo.models.nets import ArchConfig


@dataclass(frozen=True)
class Hyper:
    """Optimisation settings; the defaults are the DCGAN paper's (Adam 2e-4, beta1 0.5) with the
    generator's weights averaged (EMA), as every run of `train.py` has them."""

    lr: float = 2e-4
    lr_d: float | None = None  # two-time-scale: a separate discriminator rate
    beta1: float = 0.5
    loss: str = "bce"  # or "hinge"
    diffaug: bool = False
    ema: float = 0.999  # EMA decay of the generator weights; 0 disables
    rec_weight: float = 10.0  # AE+GAN: L1 reconstruction weight
    prior_weight: float = 1.0  # AE+GAN: adversarial prior-matching weight; encoder refit: MMD weight
    kl_weight: float = 1.0  # VAE: beta
    adv_weight: float = 0.05  # video GAN: the adversarial loss's weight against the pixel losses (Mathieu et al.'s)
    gdl_weight: float = 0.1  # video: the gradient difference loss's weight against the squared error
    dice_weight: float = 0.0  # segmenter: the soft Dice loss's weight beside the cross-entropy
    lr_schedule: str = "constant"  # or "cosine": every rate decays to 0 over the run's steps

    @classmethod
    def for_kind(cls, kind: ModelKind, **given: Any) -> Hyper:
        """The settings a run of this kind trains with: the defaults, then the kind's own, then
        those given (None means not given)."""
        return replace(cls(), **{**kind.defaults, **{k: v for k, v in given.items() if v is not None}})

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


# What a DCGAN trains with on a CPU when a time budget (--max-minutes) bounds the run: at width 32 a
# step costs about a third of width 64's, and in 5-15 minutes the extra steps matter more than the
# wider networks (the study: docs/training.md, "A CPU's time budget"; bench/time_to_quality.py).
RECIPES: dict[str, dict[str, Any]] = {"course": {}, "cpu-budget": {"width": 32}}


@dataclass
class RunConfig:
    """Everything that defines a run besides the data; recorded in the checkpoint JSON."""

    kind: str
    out: str
    name: str
    arch: ArchConfig
    hyper: Hyper | None = None  # None: Hyper.for_kind(the kind's row)
    batch_size: int = 64  # per process
    epochs: float | None = None  # passes over the training images (20 when neither this nor max_images is set)
    max_images: int | None = None
    seed: int = 0
    precision: str = "auto"  # auto: bf16 where the hardware has it, else fp32
    flip: bool = True  # random horizontal flips (only ever on 3-channel data)
    holdout: int = 0  # the last N images are kept out of training, for evaluation
    sample_every: int = 500
    checkpoint_every: int = 500
    log_every: int = 50  # steps between loss read-outs (the only host syncs)
    max_minutes: float | None = None  # alone (no epochs, no max_images), the budget is the run's length
    recipe: str = "course"  # a RECIPES name: what filled the settings not given
    weights_dtype: str = "fp16"  # storage type of the inference weights (the state stays fp32)
    compile: str | None = None  # a torch.compile mode, "default" for the default
    cuda_graphs: bool = True  # on CUDA, record the whole step as one graph (gan_demo/training/graphs.py)
    fid_every: int = 0  # steps between FID measurements (0: none)
    fid_classifier: str | None = None  # the classifier checkpoint whose features FID compares
    fid_n: int = 500  # samples and photos per FID measurement
    keep_best: bool = False  # also write OUT/NAME-best whenever the FID improves
    tensorboard: bool = False
    progress: bool = True
    command: str = field(default_factory=lambda: shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]))

    DEFAULT_EPOCHS = 20

    def __post_init__(self) -> None:
        if self.hyper is None:
            try:
                self.hyper = Hyper.for_kind(kinds.get(self.kind))
            except KeyError as err:
                raise ValueError(err.args[0]) from None

    def options(self) -> dict:
        d = asdict(self)
        d["arch"], d["hyper"] = self.arch.to_dict(), asdict(self.hyper)
        return d

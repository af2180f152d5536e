"""FID while training: the generator's samples against real photos, every --fid-every steps.

Measured as `python -m gan_demo evaluate` measures it (gan_demo.metrics.maths.generator_scores):
in the classifier's feature space, from the same sample codes (FID_SEED) against the first n
photos, so a run's last figure can be checked against the evaluation of its checkpoint.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_demo.data.datasets import to_float
from gan_demo.metrics.maths import FID_SEED, features, generator_scores
from gan_demo.models.nets import ArchConfig
from gan_demo.models.pretrained import Pretrained
from gan_demo.models.sampling import sample_codes


class FidTracker:
    """Holds the photos' features and the fixed codes; `measure(G)` gives the generator's FID."""

    def __init__(self, classifier: Pretrained, photos_uint8: torch.Tensor, photos_from: str, arch: ArchConfig, n: int):
        if not classifier.spec.can("classify"):
            raise ValueError(
                f"{classifier.name}: FID needs an attribute or digit classifier, found a {classifier.kind}"
            )
        if (classifier.arch.channels, classifier.arch.size) != (arch.channels, arch.size):
            raise ValueError(
                f"{classifier.name}: a classifier of {classifier.arch.channels}x{classifier.arch.size}x{classifier.arch.size} "
                f"images cannot judge this model's {arch.channels}x{arch.size}x{arch.size} samples"
            )
        n = min(n, len(photos_uint8))
        if n < 2:
            raise ValueError(f"FID needs at least 2 photos to compare with, found {n}")
        self.classifier, self.n, self.photos_from = classifier, n, photos_from
        self.real = features(classifier, to_float(photos_uint8[:n]))
        self.codes = sample_codes(n, arch.z_dim, seed=FID_SEED)
        self.history: list[tuple[int, float]] = []  # (step, FID)
        self.best_kept: float | None = None  # the FID of the NAME-best checkpoint on disk, if any

    @torch.no_grad()
    def measure(self, G: nn.Module, step: int) -> float:
        """FID of G's samples (eval mode, fp32, as shipped checkpoints generate), recorded at `step`."""
        device = next(G.parameters()).device
        was_training = G.training
        G.eval()
        scores = generator_scores(lambda z: G(z.to(device)), self.codes, self.classifier, self.real)
        G.train(was_training)
        value = round(scores["fid"], 4)
        self.history.append((step, value))
        return value

    def best(self) -> tuple[int, float] | None:
        return min(self.history, key=lambda point: point[1]) if self.history else None

    def settings(self) -> dict:
        """What makes two measurements comparable."""
        return {
            "classifier": self.classifier.name,
            "samples": self.n,
            "photos": f"the first {self.n} {self.photos_from} images",
        }

    def report(self) -> dict:
        """What the checkpoint's JSON says about it."""
        best = self.best()
        return {
            **self.settings(),
            "history": [list(point) for point in self.history],
            "best": {"step": best[0], "fid": best[1]} if best else None,
        }

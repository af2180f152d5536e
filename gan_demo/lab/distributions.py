"""Two-dimensional data for the GAN lab, in the plane [-3, 3]^2: the mixtures the mode-collapse
papers use (a ring of 8 Gaussians, a 5x5 grid), two moons, a spiral, one Gaussian, and points a
person clicks. Every sample is a function of its torch.Generator."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

EXTENT = 3.0  # the plane shown and sampled: [-EXTENT, EXTENT]^2


@dataclass(frozen=True)
class Distribution:
    name: str
    label: str
    modes: torch.Tensor | None = None  # (K, 2) centres of a Gaussian mixture, None for other shapes
    std: float = 0.0  # of each mixture component

    def sample(self, n: int, gen: torch.Generator, points: torch.Tensor | None = None) -> torch.Tensor:
        """n points (n, 2); `points` are the clicked ones a "drawn" distribution samples around."""
        if self.name == "drawn":
            if points is None or len(points) == 0:
                raise ValueError("click on the plane to place at least one point first")
            pick = torch.randint(len(points), (n,), generator=gen)
            return points[pick] + 0.08 * torch.randn(n, 2, generator=gen)
        if self.modes is not None:
            pick = torch.randint(len(self.modes), (n,), generator=gen)
            return self.modes[pick] + self.std * torch.randn(n, 2, generator=gen)
        if self.name == "moons":
            t = torch.rand(n, generator=gen) * math.pi
            upper = torch.rand(n, generator=gen) < 0.5
            x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
            y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
            points = torch.stack([x - 0.5, y - 0.25], 1) * 1.6
            return points + 0.06 * torch.randn(n, 2, generator=gen)
        if self.name == "spiral":
            t = torch.sqrt(torch.rand(n, generator=gen)) * 3 * math.pi
            points = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / (3 * math.pi) * 2.5
            return points + 0.05 * torch.randn(n, 2, generator=gen)
        return 0.5 * torch.randn(n, 2, generator=gen)  # "gaussian"


def _ring(k: int = 8, radius: float = 2.0) -> torch.Tensor:
    angles = torch.arange(k) * 2 * math.pi / k
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], 1)


def _grid(side: int = 5, spacing: float = 1.0) -> torch.Tensor:
    ticks = (torch.arange(side) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(ticks, ticks)


DISTRIBUTIONS = {
    d.name: d
    for d in (
        Distribution("ring", "Ring of 8 Gaussians", _ring(), 0.15),
        Distribution("grid", "Grid of 25 Gaussians", _grid(), 0.05),
        Distribution("moons", "Two moons"),
        Distribution("spiral", "Spiral"),
        Distribution("gaussian", "One Gaussian"),
        Distribution("drawn", "Points you click"),
    )
}


def mode_coverage(dist: Distribution, samples: torch.Tensor, min_share: float = 0.01) -> dict[str, float]:
    """The mode-collapse papers' measure on a mixture (unrolled GAN, VEEGAN): the share of samples
    within 3 standard deviations of a mode ("high quality"), and how many modes have at least
    `min_share` of all samples there (covered)."""
    if dist.modes is None:
        raise ValueError(f"{dist.label} is not a Gaussian mixture: it has no modes to count")
    dist2 = torch.cdist(samples.float(), dist.modes.float())
    nearest, which = dist2.min(1)
    good = nearest <= 3 * dist.std
    per_mode = torch.bincount(which[good], minlength=len(dist.modes)).float() / len(samples)
    return {
        "modes_covered": int((per_mode >= min_share).sum()),
        "modes": len(dist.modes),
        "high_quality_share": round(float(good.float().mean()), 4),
    }

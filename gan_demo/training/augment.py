"""Differentiable augmentation (Zhao et al. 2020, "DiffAugment") for GANs on small data.

The same random colour, translation and cutout is applied to every image the discriminator sees,
real and generated, so D cannot memorise the 9,000 training faces and G still gets gradients.
Images are NCHW float in [-1, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def diff_augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return cutout(translate(color(x, generator), generator), generator)


def _rand(x: torch.Tensor, generator: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(x.shape[0], *shape, device=x.device, generator=generator, dtype=x.dtype)


def color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random brightness, saturation and contrast per image."""
    x = x + (_rand(x, generator, 1, 1, 1) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_rand(x, generator, 1, 1, 1) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_rand(x, generator, 1, 1, 1) + 0.5) + mean


def translate(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to `ratio` of its size, filling with zeros (a grid_sample warp)."""
    shift = (_rand(x, generator, 2) * 2 - 1) * ratio * 2  # grid units span 2 across the image
    theta = torch.zeros(x.shape[0], 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Zero one random square of side `ratio` x size per image."""
    n, _, h, w = x.shape
    side = int(h * ratio + 0.5)
    where = _rand(x, generator, 2)  # scaled by plain numbers: a host tensor cannot enter a CUDA graph
    centre = torch.stack((where[:, 0] * h, where[:, 1] * w), 1).long()
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = ((rows - centre[:, 0].view(n, 1, 1)).abs() <= side // 2) & (
        (cols - centre[:, 1].view(n, 1, 1)).abs() <= side // 2
    )
    return x * (~inside).unsqueeze(1).to(x.dtype)

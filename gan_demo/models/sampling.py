"""Codes from the prior N(0, I) that every generator samples from, reproducible per seed."""

from __future__ import annotations

import torch


def sample_codes(n: int, z_dim: int, seed: int = 0, truncation: float = 1.0, method: str = "resample") -> torch.Tensor:
    """n codes from N(0, I), reproducible per seed.

    truncation < 1 trades variety for quality: "resample" redraws entries beyond 2*truncation
    standard deviations (the BigGAN trick); "scale" shrinks every code towards 0 by `truncation`.
    """
    if n < 1 or not 0 < truncation <= 1:
        raise ValueError(f"need n >= 1 and 0 < truncation <= 1, got n={n}, truncation={truncation}")
    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(n, z_dim, generator=gen)
    if truncation < 1 and method == "scale":
        return z * truncation
    if truncation < 1 and method == "resample":
        limit = 2.0 * truncation
        for _ in range(100):
            outside = z.abs() > limit
            if not outside.any():
                break
            z = torch.where(outside, torch.randn(z.shape, generator=gen), z)
        return z.clamp(-limit, limit)
    if method not in ("resample", "scale"):
        raise ValueError(f"truncation method must be 'resample' or 'scale', got {method!r}")
    return z

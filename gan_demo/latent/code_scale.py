"""Where a plain autoencoder's codes lie, so random codes can be drawn there.

Nothing shapes a plain autoencoder's code space: its codes of real faces have a norm near 86,
not N(0, I)'s 10, and an N(0, I) code decodes to a flat brown square. The course's point (random
codes give smeared, unrealistic faces) is made by codes drawn at the scale of the autoencoder's
own: each dimension from a normal with the mean and spread its codes of real images have, but
independently, which is exactly what its codes are not. Kept beside the checkpoint as
NAME.codes.safetensors (`python -m gan_demo code-scale`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save as st_save

from gan_demo.models.checkpoints import CheckpointError, atomic_write, read_safetensors, side_file
from gan_demo.models.pretrained import Pretrained
from gan_demo.models.sampling import sample_codes


def code_scale_path(checkpoint_stem: str | os.PathLike) -> Path:
    return side_file(checkpoint_stem, ".codes.safetensors")


@dataclass
class CodeScale:
    mean: torch.Tensor  # (z_dim,)
    std: torch.Tensor  # (z_dim,)
    images: int  # how many images' codes were measured

    def draw(self, n: int, seed: int) -> torch.Tensor:
        """n codes, each dimension drawn on its own at the measured mean and spread."""
        return self.mean + self.std * sample_codes(n, self.mean.numel(), seed)

    def save(self, path: str | os.PathLike) -> Path:
        tensors = {"mean": self.mean.float().contiguous(), "std": self.std.float().contiguous()}
        atomic_write(Path(path), st_save(tensors, metadata={"images": str(self.images)}))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike, z_dim: int) -> CodeScale:
        tensors, meta = read_safetensors(Path(path))
        mean, std = tensors.get("mean"), tensors.get("std")
        if mean is None or std is None or mean.shape != (z_dim,) or std.shape != (z_dim,):
            raise CheckpointError(f"{Path(path).name}: expected a mean and a std of {z_dim} numbers each")
        if not (torch.isfinite(mean).all() and torch.isfinite(std).all() and (std >= 0).all()):
            raise CheckpointError(f"{Path(path).name}: the mean or std holds NaN, infinite or negative values")
        return cls(mean, std, int(meta.get("images", "0") or 0))


def random_codes(model: Pretrained, n: int, seed: int, scale: CodeScale | None = None) -> torch.Tensor:
    """n random codes of a seed: from N(0, I), or for a model whose codes nothing shapes (a plain
    autoencoder) from its measured `scale`, when there is one."""
    if scale is not None and not model.spec.gaussian_prior:
        return scale.draw(n, seed)
    return sample_codes(n, model.arch.z_dim, seed)


def seed_codes(model: Pretrained, seeds, scale: CodeScale | None = None) -> torch.Tensor:
    """One code per seed, each the first of `random_codes` for it: seed S is the same face in every
    tab of the app and every command, whichever batch it is drawn in."""
    return torch.cat([random_codes(model, 1, int(s), scale) for s in seeds])


def measure(model: Pretrained, images: torch.Tensor, batch: int = 256) -> CodeScale:
    """The per-dimension mean and spread of the model's codes of these images ((N, C, S, S) in [-1, 1])."""
    if not model.has_encoder:
        raise ValueError(f"{model.name} has no encoder: its codes cannot be measured")
    with torch.no_grad():
        codes = torch.cat([model.encode(part.to(model.device)).cpu() for part in images.split(batch)])
    return CodeScale(codes.mean(0), codes.std(0), len(codes))

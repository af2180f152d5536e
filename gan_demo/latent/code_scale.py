"""Where a plain autoencoder's codes lie, so random codes can be drawn there.

Nothing shapes a plain autoencoder's code space: its codes of real faces have a norm near 86,
not N(0, I)'s 10, and an N(0, I) code decodes to a flat brown square. The course's point (random
codes give smeared, unrealistic faces) is made by codes drawn at the scale of the autoencoder's
own: each dimension from a normal with the mean and spread its codes of real images have, but
independently, which is exactly what its codes are not. Kept beside the checkpoint as
NAME.codes.safetensors (`python -m gan_demo code-scale`).

A pix2pix translator's style codes are held near N(0, I) only by a small KL weight (their spreads
ranged from 0.3 to 1.4 early in training, where N(0, I) styles gave faces unlike any training
face's: the model card). For a translator the scale keeps the styles' full covariance too (its
Cholesky factor), and random styles are drawn from that Gaussian.
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
    chol: torch.Tensor | None = None  # (z_dim, z_dim) lower Cholesky factor of the codes' covariance

    def draw(self, n: int, seed: int) -> torch.Tensor:
        """n codes at the measured mean: with the measured covariance when kept, else each
        dimension on its own at its measured spread."""
        noise = sample_codes(n, self.mean.numel(), seed)
        if self.chol is not None:
            return self.mean + noise @ self.chol.T
        return self.mean + self.std * noise

    def save(self, path: str | os.PathLike) -> Path:
        tensors = {"mean": self.mean.float().contiguous(), "std": self.std.float().contiguous()}
        if self.chol is not None:
            tensors["chol"] = self.chol.float().contiguous()
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
        chol = tensors.get("chol")
        if chol is not None and (chol.shape != (z_dim, z_dim) or not torch.isfinite(chol).all()):
            raise CheckpointError(f"{Path(path).name}: expected a finite {z_dim}x{z_dim} covariance factor")
        return cls(mean, std, int(meta.get("images", "0") or 0), None if chol is None else chol.tril())


def scale_beside(checkpoint_stem: str | os.PathLike, z_dim: int) -> CodeScale | None:
    """The scale kept beside a checkpoint, or None when it has none."""
    path = code_scale_path(checkpoint_stem)
    return CodeScale.load(path, z_dim) if path.exists() else None


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
    """The per-dimension mean and spread of the model's codes of these images ((N, C, S, S) in
    [-1, 1]); a translator's style codes, with their covariance."""
    translator = model.spec.can("translate")
    if not (translator or model.has_encoder):
        raise ValueError(f"{model.name} has no encoder: its codes cannot be measured")
    code = model.style_of if translator else model.encode
    with torch.no_grad():
        codes = torch.cat([code(part.to(model.device)).cpu() for part in images.split(batch)])
    chol = None
    if translator:
        # a ridge a millionth of the mean variance keeps the factor defined if a dimension collapsed
        cov = torch.cov(codes.T.double())
        cov += (1e-6 * cov.diagonal().mean() + 1e-12) * torch.eye(len(cov), dtype=cov.dtype)
        chol = torch.linalg.cholesky(cov).float()
    return CodeScale(codes.mean(0), codes.std(0), len(codes), chol)

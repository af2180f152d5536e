"""Attribute directions: mean differences and linear-classifier normals (InterFaceGAN-style),
optionally conditional, fitted from codes and labels, and saved beside a checkpoint.

Codes are (N, z_dim) float tensors; directions are unit vectors (K, z_dim).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save as st_save

from gan_demo.models.checkpoints import CheckpointError, atomic_write, read_safetensors, side_file


def mean_difference_directions(codes: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per attribute: mean code of the positives minus mean code of the negatives, unit length."""
    pos = labels.float()
    neg = 1 - pos
    mean_pos = pos.T @ codes / pos.sum(0).clamp_min(1).unsqueeze(1)
    mean_neg = neg.T @ codes / neg.sum(0).clamp_min(1).unsqueeze(1)
    return F.normalize(mean_pos - mean_neg, dim=1)


def linear_directions(codes: torch.Tensor, labels: torch.Tensor, steps: int = 200, l2: float = 1e-3) -> torch.Tensor:
    """Per attribute: the unit normal of a logistic-regression boundary (InterFaceGAN-style),
    all attributes fitted at once by L-BFGS, with classes weighted to balance rare attributes."""
    codes, labels = codes.float(), labels.float()
    w = torch.zeros(codes.shape[1], labels.shape[1], requires_grad=True)
    b = torch.zeros(labels.shape[1], requires_grad=True)
    share = labels.mean(0).clamp(0.01, 0.99)
    pos_weight = (1 - share) / share
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(codes @ w + b, labels, pos_weight=pos_weight) + l2 * w.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return F.normalize(w.detach().T, dim=1)


def conditional_direction(direction: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Remove from `direction` its components along the `keep` directions (M, z_dim), so moving
    along it leaves those attributes' boundaries alone (InterFaceGAN's conditional manipulation)."""
    if keep.numel() == 0:
        return direction
    basis, _ = torch.linalg.qr(keep.T)  # orthonormal basis of the span, (z_dim, M)
    residual = direction - basis @ (basis.T @ direction)
    if residual.norm() < 1e-6:
        raise ValueError("the direction lies in the span of the attributes to keep")
    return F.normalize(residual, dim=0)


@dataclass
class Directions:
    """Unit attribute directions of one model, with the scale of each attribute's code projection."""

    names: list[str]
    mean_difference: torch.Tensor  # (K, z_dim)
    linear: torch.Tensor  # (K, z_dim)
    separation: torch.Tensor  # (K,) mean projection of positives minus negatives, on `linear`
    source: str = ""

    def index(self, name: str) -> int:
        if name not in self.names:
            raise KeyError(f"unknown attribute {name!r}; known: {', '.join(self.names)}")
        return self.names.index(name)

    def get(self, name: str, method: str = "linear", keep: list[str] = ()) -> torch.Tensor:
        table = self.linear if method == "linear" else self.mean_difference
        direction = table[self.index(name)]
        return conditional_direction(direction, table[[self.index(k) for k in keep if k != name]])

    def step(self, name: str, method: str = "linear", keep: list[str] = ()) -> torch.Tensor:
        """One unit of edit strength: the (conditional) direction scaled by the attribute's separation."""
        return self.separation[self.index(name)].abs() * self.get(name, method, keep)

    def shift(
        self,
        z: torch.Tensor,
        strengths: dict[str, float | torch.Tensor],
        method: str = "linear",
        keep: list[str] | Callable[[str], list[str]] = (),
    ) -> torch.Tensor:
        """Codes z (N, z_dim) moved by strength x `step` for every attribute in `strengths` (one
        number for every code, or a tensor (N,) of one per code); `keep` is one list for every
        attribute, or a function of the attribute edited."""
        moved = z.clone()
        for name, strength in strengths.items():
            per_code = isinstance(strength, torch.Tensor)
            if bool(strength.any()) if per_code else strength:
                kept = keep(name) if callable(keep) else keep
                scale = strength.to(z).view(-1, 1) if per_code else strength
                moved += scale * self.step(name, method, kept).to(z.device)
        return moved

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        tensors = {
            "mean_difference": self.mean_difference.contiguous(),
            "linear": self.linear.contiguous(),
            "separation": self.separation.contiguous(),
        }
        atomic_write(path, st_save(tensors, metadata={"names": json.dumps(self.names), "source": self.source}))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Directions:
        tensors, meta = read_safetensors(Path(path))
        try:
            names = json.loads(meta["names"])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError("names must be a list of strings")
            out = cls(
                names,
                tensors["mean_difference"].float(),
                tensors["linear"].float(),
                tensors["separation"].float(),
                meta.get("source", ""),
            )
        except (KeyError, ValueError, TypeError) as err:
            raise CheckpointError(f"{path}: not a gan_demo directions file ({err})") from err
        k = len(names)
        if out.linear.ndim != 2 or out.linear.shape[0] != k or out.mean_difference.shape != out.linear.shape:
            raise CheckpointError(f"{path}: {k} names for directions of shape {tuple(out.linear.shape)}")
        if out.separation.shape != (k,):
            raise CheckpointError(f"{path}: {k} names for separations of shape {tuple(out.separation.shape)}")
        return out


def fit_directions(codes: torch.Tensor, labels: torch.Tensor, names: list[str], source: str) -> Directions:
    """Both kinds of direction for every attribute, from codes and their 0/1 labels."""
    labels = (labels > 0.5).float()
    linear = linear_directions(codes, labels)
    proj = codes.float() @ linear.T
    pos = labels.sum(0).clamp_min(1)
    neg = (1 - labels).sum(0).clamp_min(1)
    separation = (proj * labels).sum(0) / pos - (proj * (1 - labels)).sum(0) / neg
    return Directions(list(names), mean_difference_directions(codes.float(), labels), linear, separation, source)


def directions_path(checkpoint_stem: str | os.PathLike) -> Path:
    return side_file(checkpoint_stem, ".directions.safetensors")

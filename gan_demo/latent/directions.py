"""Latent-space tools: sampling with truncation, slerp/lerp paths, attribute directions
(mean difference and linear-classifier normals, optionally conditional), and exemplar arithmetic.

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

from gan_demo.data.datasets import DIGIT_NAMES
from gan_demo.models.checkpoints import CheckpointError, atomic_write, read_safetensors

from .strokes import STROKE_NAMES


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


def prior_penalty(z: torch.Tensor) -> torch.Tensor:
    """Keep each code near the shell of radius sqrt(z_dim) where N(0, I) puts almost all its mass."""
    return (z.norm(dim=1) / z.shape[1] ** 0.5 - 1).pow(2)


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    t = t.view(-1, 1)
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of directions, with the norm interpolated linearly: midpoints stay
    on the shell where Gaussian codes live, instead of the washed-out centre lerp passes through."""
    t = t.view(-1, 1)
    n0, n1 = z0.norm(), z1.norm()
    u0, u1 = z0 / n0.clamp_min(1e-8), z1 / n1.clamp_min(1e-8)
    omega = torch.arccos((u0 * u1).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    if omega.abs() < 1e-4:
        direction = lerp(u0, u1, t)
    else:
        direction = (torch.sin((1 - t) * omega) * u0 + torch.sin(t * omega) * u1) / torch.sin(omega)
    return direction * ((1 - t) * n0 + t * n1)


def interpolate(keyframes: torch.Tensor, n_frames: int, method: str = "slerp") -> torch.Tensor:
    """A path through K keyframe codes (K, z_dim) -> n_frames codes, evenly spaced per segment."""
    if keyframes.shape[0] < 2 or n_frames < 2:
        raise ValueError("interpolation needs at least 2 keyframes and 2 frames")
    if method not in ("slerp", "lerp"):
        raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}")
    step = lerp if method == "lerp" else slerp
    position = torch.linspace(0, keyframes.shape[0] - 1, n_frames)
    segment = position.floor().long().clamp(max=keyframes.shape[0] - 2)
    frac = position - segment
    return torch.cat([step(keyframes[s], keyframes[s + 1], f.view(1)) for s, f in zip(segment.tolist(), frac)])


def interpolate_with_detail(
    keyframes: torch.Tensor, details: torch.Tensor, n_frames: int, method: str = "slerp"
) -> tuple[torch.Tensor, torch.Tensor]:
    """`interpolate` for projected photos: the codes by `method`, their details (K, ...) (see
    gan_demo.inversion) linearly at the same positions."""
    codes = interpolate(keyframes, n_frames, method)
    return codes, interpolate(details.flatten(1), n_frames, "lerp").view(n_frames, *details.shape[1:])


# -- attribute directions -----------------------------------------------------------------------------


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


# the attributes a conditional edit keeps, in the app and in `evaluate`'s edit metric
CONDITIONAL_KEEP = ["Male", "Young", "Smiling", "Eyeglasses", "Blond_Hair"]


def conditional_keep(names: list[str], edited: str) -> list[str]:
    """What a conditional edit of `edited` holds, of the model's attribute `names`: on faces
    CONDITIONAL_KEEP; on digits the digit while a stroke measure changes, and the stroke measures
    while the digit changes (holding the other digits would block the change itself)."""
    if edited in STROKE_NAMES:
        return [n for n in DIGIT_NAMES if n in names]
    if edited in DIGIT_NAMES:
        return [n for n in STROKE_NAMES if n in names]
    return [k for k in CONDITIONAL_KEEP if k in names]


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
        strengths: dict[str, float],
        method: str = "linear",
        keep: list[str] | Callable[[str], list[str]] = (),
    ) -> torch.Tensor:
        """Codes z (N, z_dim) moved by strength x `step` for every attribute in `strengths`;
        `keep` is one list for every attribute, or a function of the attribute edited."""
        moved = z.clone()
        for name, strength in strengths.items():
            if strength:
                kept = keep(name) if callable(keep) else keep
                moved += strength * self.step(name, method, kept).to(z.device)
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
    p = Path(checkpoint_stem)
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".directions.safetensors")


def exemplar_arithmetic(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """The paper's vector arithmetic on exemplar averages: mean(A) - mean(B) + mean(C), (1, z_dim).
    E.g. A = men with glasses, B = men without, C = women without: a woman with glasses."""
    for name, group in (("A", a), ("B", b), ("C", c)):
        if group.ndim != 2 or group.shape[0] < 1:
            raise ValueError(f"exemplar set {name} must be a non-empty (k, z_dim) tensor, got {tuple(group.shape)}")
    return (a.mean(0) - b.mean(0) + c.mean(0)).unsqueeze(0)

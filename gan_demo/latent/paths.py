"""Paths through code space for morphs: lerp, and slerp, which keeps midpoints on the shell
where Gaussian codes live."""

from __future__ import annotations

import torch


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
    keyframes: torch.Tensor, details, n_frames: int, method: str = "slerp"
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`interpolate` for projected photos: the codes by `method`, their details (K, ...) (one
    tensor, or one (1, ...) per keyframe; see gan_demo.latent.inversion) linearly at the same
    positions; None when any keyframe has none (a generator that takes no detail)."""
    codes = interpolate(keyframes, n_frames, method)
    if details is None or any(d is None for d in details):
        return codes, None
    details = torch.cat(list(details)) if not isinstance(details, torch.Tensor) else details
    return codes, interpolate(details.flatten(1), n_frames, "lerp").view(n_frames, *details.shape[1:])

"""Moving MNIST (Srivastava et al. 2015), made from any digit images: 64x64 frames in which
28x28 digits move at constant speed and bounce off the edges, overlapping by pixel-wise max.

The trajectory is the original generator's: a position drawn uniformly in the unit square, a
direction drawn uniformly, a step of 0.1 a frame taken before each frame is drawn, a bounce
(velocity reversed, position clamped) at 0 and 1; positions scale by (64 - 28) = 36 pixels.
Everything is vectorised over clips and seeded by a torch.Generator, so training makes its clips
on the fly on the device and a held-out set is a pure function of its seed.

Our clips are "Moving-MNIST-like": the digits (the shared MNIST test set) and the test clips
differ from the standard mnist_test_seq.npy, which `open_clips` also reads.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

FRAME = 64  # frame side, pixels
DIGIT = 28  # digit side, pixels
STEP = 0.1  # the original generator's step length, in units of the free range (FRAME - DIGIT)
INPUT_FRAMES, PREDICTED_FRAMES = 10, 10  # the protocol: 10 frames in, 10 predicted
# the shared MNIST set's split: training clips from digits 0-7,999 (train.py refuses a video run
# that would see more), held-out clips from 8,000 on
HELD_OUT_FROM = 8000
HELD_OUT_SEED = 20150101  # the held-out test clips' seed (Srivastava et al.'s year)
MAX_CLIP_FRAMES = 1000
MAX_CLIPS_IN_FILE = 100_000
STANDARD_SHAPE = (20, 10000, 64, 64)  # mnist_test_seq.npy: frames first


class ClipError(ValueError):
    """A clip file or array that cannot be used, with a message saying what is wrong."""


@dataclass
class Clips:
    """frames: float (N, T, 64, 64) in [0, 1]; positions: long (N, T, K, 2), each digit's top-left
    (row, column) in every frame; labels: long (N, K), each digit's class (-1 when unknown)."""

    frames: torch.Tensor
    positions: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.frames.shape[0]


def as_digits(images: torch.Tensor) -> torch.Tensor:
    """Digit images as the loaders give them, uint8 (N, 1, 28|32, 28|32), or as the training loop
    does, float in [-1, 1] -> float (N, 28, 28) in [0, 1]; MNIST's 2-pixel padding to 32 is cut off
    again. No branch on the values: a training step calls this without waiting on its device."""
    if images.dim() != 4 or images.shape[1] != 1 or images.shape[-1] not in (DIGIT, 32) or len(images) < 1:
        raise ValueError(f"expected gray digit images (N, 1, 28|32, 28|32), got {tuple(images.shape)}")
    x = images[:, 0].float() / 255 if images.dtype == torch.uint8 else (images[:, 0].float() + 1) / 2
    return x[..., 2:30, 2:30] if x.shape[-1] == 32 else x


def trajectories(n: int, k: int, frames: int, gen: torch.Generator, step: float = STEP, device=None) -> torch.Tensor:
    """Top-left pixel positions (n, frames, k, 2) of k digits bouncing in the frame."""
    pos = torch.rand(n, k, 2, generator=gen, device=gen.device)
    theta = torch.rand(n, k, generator=gen, device=gen.device) * 2 * math.pi
    return bounce(pos.to(device or gen.device), theta.to(device or gen.device), frames, step)


def bounce(pos: torch.Tensor, theta: torch.Tensor, frames: int, step: float = STEP) -> torch.Tensor:
    """Positions (n, frames, k, 2) in pixels from starts (n, k, 2) in [0, 1] and headings (n, k)
    in radians: a step, then a bounce (velocity reversed, position clamped) at 0 and 1."""
    velocity = torch.stack([theta.sin(), theta.cos()], -1) * step
    out = []
    for _ in range(frames):
        pos = pos + velocity
        velocity = torch.where((pos <= 0) | (pos >= 1), -velocity, velocity)
        pos = pos.clamp(0, 1)
        out.append(pos)
    return (torch.stack(out, 1) * (FRAME - DIGIT)).long()


def render(digits: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Frames (n, T, 64, 64) from digits (n, k, 28, 28) in [0, 1] at positions (n, T, k, 2):
    each pixel the max over the digits covering it (the protocol's overlap)."""
    n, t, k, _ = positions.shape
    padded = torch.nn.functional.pad(digits, (0, 1, 0, 1))  # index DIGIT reads 0: outside the digit
    grid = torch.arange(FRAME, device=digits.device)
    rows = grid.view(1, 1, 1, FRAME) - positions[..., 0:1]  # (n, T, k, 64)
    cols = grid.view(1, 1, 1, FRAME) - positions[..., 1:2]
    rows = torch.where((rows >= 0) & (rows < DIGIT), rows, DIGIT)
    cols = torch.where((cols >= 0) & (cols < DIGIT), cols, DIGIT)
    clip = torch.arange(n, device=digits.device).view(n, 1, 1, 1, 1)
    which = torch.arange(k, device=digits.device).view(1, 1, k, 1, 1)
    pixels = padded[clip, which, rows[..., :, None], cols[..., None, :]]  # (n, T, k, 64, 64)
    return pixels.amax(2)


def make_clips(
    digits: torch.Tensor,
    labels: torch.Tensor | None,
    n: int,
    gen: torch.Generator,
    frames: int = INPUT_FRAMES + PREDICTED_FRAMES,
    k: int = 2,
    step: float = STEP,
) -> Clips:
    """n clips of `frames` frames, each of k digits drawn at random from `digits` (N, 28, 28)."""
    if not 1 <= frames <= MAX_CLIP_FRAMES or k < 1 or n < 0:
        raise ValueError(f"clips need 1..{MAX_CLIP_FRAMES} frames, 1 or more digits and n >= 0; got {frames}, {k}, {n}")
    device = digits.device
    pick = torch.randint(len(digits), (n, k), generator=gen, device=gen.device).to(device)
    positions = trajectories(n, k, frames, gen, step, device)
    found = labels.to(device)[pick] if labels is not None else torch.full((n, k), -1, device=device)
    return Clips(render(digits[pick], positions), positions, found.long())


def placed_clip(
    digits: torch.Tensor,
    labels: torch.Tensor,
    starts: list[tuple[float, float]],
    angles_deg: list[float],
    frames: int = INPUT_FRAMES + PREDICTED_FRAMES,
    step: float = STEP,
) -> Clips:
    """One clip of the given digits (k, 28, 28) and their labels (k,), each starting at (row,
    column) in [0, 1] and heading at its angle (0 degrees: to the right, 90: down)."""
    pos = torch.tensor(starts, dtype=torch.float32).view(1, -1, 2)
    theta = torch.tensor(angles_deg, dtype=torch.float32).view(1, -1).deg2rad()
    positions = bounce(pos, theta, frames, step)
    return Clips(render(digits.unsqueeze(0), positions), positions, labels.view(1, -1).long())


def held_out_digits(digits: torch.Tensor, labels: torch.Tensor | None, allow_all: bool = False):
    """Digits 8,000 on (and their labels) of a set of 10,000, the ones no video model trains on;
    a smaller set has none, so it is refused unless `allow_all` (then all of it is used)."""
    if len(digits) > HELD_OUT_FROM:
        return digits[HELD_OUT_FROM:], None if labels is None else labels[HELD_OUT_FROM:]
    if allow_all:
        return digits, labels
    raise ValueError(
        f"{len(digits)} digits: held-out clips use digits {HELD_OUT_FROM:,} on, which this set does not have"
    )


def held_out_clips(digits: torch.Tensor, labels: torch.Tensor | None, n: int, frames: int = 20) -> Clips:
    """The held-out test clips: digits 8,000 on of the shared set, a fixed seed; the same clips on
    every machine (a longer clip continues the shorter one)."""
    pool, pool_labels = held_out_digits(digits, labels)
    return make_clips(pool, pool_labels, n, torch.Generator().manual_seed(HELD_OUT_SEED), frames)


def to_uint8(frames: torch.Tensor) -> np.ndarray:
    return (frames.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()


def open_clips(path: str | os.PathLike, frames: int | None = None, frames_first: bool | None = None) -> np.ndarray:
    """Clips from a .npy file, checked for shape and type and mapped, not read: (N, T, 64, 64), or
    the standard mnist_test_seq.npy's (20, N, 64, 64) frames first (by default recognised by its
    exact shape, (20, 10000, 64, 64)). With `frames`, T must be at least that and only the first
    `frames` are kept. Never unpickles. `as_frames` checks the values and converts, chunk by chunk."""
    path = Path(path)
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except FileNotFoundError:
        raise ClipError(f"{path.name}: no such file") from None
    except (OSError, ValueError) as err:
        raise ClipError(f"{path.name}: not a readable .npy array ({err})") from None
    return checked_clips(array, path.name, frames, frames_first)


def checked_clips(array: np.ndarray, where: str, frames: int | None = None, frames_first: bool | None = None):
    """An array of clips brought to (N, T, 64, 64) after its shape and type are checked (see open_clips)."""
    if not isinstance(array, np.ndarray) or array.ndim != 4 or array.shape[-2:] != (FRAME, FRAME):
        raise ClipError(f"{where}: expected clips shaped (N, T, 64, 64), found {getattr(array, 'shape', None)}")
    if array.dtype != np.uint8 and array.dtype.kind != "f":
        raise ClipError(f"{where}: expected uint8 (0-255) or float (0-1) frames, found {array.dtype}")
    if frames_first if frames_first is not None else array.shape == STANDARD_SHAPE:
        array = array.transpose(1, 0, 2, 3)
    n, t = array.shape[:2]
    if not 1 <= n <= MAX_CLIPS_IN_FILE or t > MAX_CLIP_FRAMES:
        raise ClipError(
            f"{where}: {n} clips of {t} frames; 1..{MAX_CLIPS_IN_FILE} clips of at most {MAX_CLIP_FRAMES} frames"
        )
    if frames is not None and t < frames:
        raise ClipError(f"{where}: clips of {t} frames, {frames} needed")
    return array[:, :frames] if frames is not None else array


def as_frames(array: np.ndarray, where: str) -> torch.Tensor:
    """Checked clips (or a chunk of them) -> float (N, T, 64, 64) in [0, 1], refusing NaN,
    infinite values and floats outside [0, 1]."""
    if array.dtype == np.uint8:
        return torch.from_numpy(np.array(array)).float() / 255  # a copy: the file is mapped read-only
    x = torch.from_numpy(np.array(array, dtype=np.float32))
    if not torch.isfinite(x).all():
        raise ClipError(f"{where}: the frames hold NaN or infinite values")
    if x.min() < 0 or x.max() > 1:
        raise ClipError(f"{where}: float frames must lie in [0, 1], found {x.min():.3g}..{x.max():.3g}")
    return x


def read_clips(path: str | os.PathLike, frames: int | None = None, frames_first: bool | None = None) -> torch.Tensor:
    """A whole (small) clip file as float (N, T, 64, 64) in [0, 1] (see open_clips)."""
    return as_frames(open_clips(path, frames, frames_first), Path(path).name)

"""The Video tab's operations as plain library calls (no Gradio here): a Moving-MNIST-like clip
by seed or from two placed digits, its continuation by every video model and the baselines,
one side-by-side animation of them all, and per-frame curves of MSE, SSIM and digit identity.

The clips are made of held-out MNIST digits shipped beside the video checkpoint
(NAME.digits.safetensors), so the tab needs no data folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from safetensors.torch import save as st_save

from gan_demo.data import moving_mnist as mm
from gan_demo.data.photos import write_mp4
from gan_demo.limits import bounded_float, bounded_int
from gan_demo.metrics.video import copy_last, digit_identity, frame_mse, frame_ssim
from gan_demo.models.checkpoints import CheckpointError, atomic_write, read_safetensors, side_file
from gan_demo.models.pretrained import Pretrained

MAX_FRAMES = 90  # predicted frames one request may ask for (10, then "continue" by 20s)
PANEL = 128  # each clip is shown at 2x
HEADER = 20
GAP = 4
FPS = 6
# where the two placed digits start (row, column in [0, 1]): apart, so their paths can be told apart
STARTS = ((0.15, 0.1), (0.85, 0.9))
MAX_SEED = 2**31 - 1


def digits_path(checkpoint_stem: str | os.PathLike) -> Path:
    """The digits a video checkpoint's app clips are made of: NAME.digits.safetensors beside it."""
    return side_file(checkpoint_stem, ".digits.safetensors")


def save_digits(path: str | os.PathLike, digits: torch.Tensor, labels: torch.Tensor, source: str) -> Path:
    """Digits (N, 28, 28) in [0, 1] and their labels (N,), stored as uint8, with where they came from."""
    tensors = {
        "digits": (digits.clamp(0, 1) * 255).round().to(torch.uint8).contiguous(),
        "labels": labels.to(torch.uint8).contiguous(),
    }
    atomic_write(Path(path), st_save(tensors, metadata={"source": source}))
    return Path(path)


def load_digits(path: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    tensors, _ = read_safetensors(Path(path))
    digits, labels = tensors.get("digits"), tensors.get("labels")
    if digits is None or labels is None or digits.dtype != torch.uint8 or digits.shape[1:] != (mm.DIGIT, mm.DIGIT):
        raise CheckpointError(f"{Path(path).name}: not a digits file (uint8 digits (N, 28, 28) and their labels)")
    if labels.shape != (digits.shape[0],) or len(digits) == 0:
        raise CheckpointError(f"{Path(path).name}: {len(digits)} digits but labels of shape {tuple(labels.shape)}")
    return digits.float() / 255, labels.long()


def method_name(model: Pretrained) -> str:
    """What the tab calls a video model: by how it was trained, with its file name."""
    trained_as = ((model.meta.get("training") or {}).get("options") or {}).get("kind", model.kind)
    return f"{'GAN' if trained_as == 'video-gan' else 'pixel loss'} ({model.name})"


@dataclass
class Showing:
    """One answer: the side-by-side animation's frames, every method's predicted frames, and
    per-frame rows (frame, value, method) for the MSE, SSIM and identity curves."""

    animation: list[Image.Image]
    predicted: dict[str, torch.Tensor]
    curves: dict[str, list[tuple[int, float, str]]]


class ClipStudio:
    """The video models of a Studio's folder, the digits their clips are made of (the first video
    model's side file that loaded: Studio.load reads them) and the classifier that reads digits."""

    def __init__(
        self,
        models: dict[str, Pretrained],
        digits: dict[str, tuple[torch.Tensor, torch.Tensor]],
        classifier: Pretrained | None,
    ):
        self.models = {n: m for n, m in models.items() if m.spec.can("predict")}
        self.classifier = classifier
        self.digits, self.labels = next((digits[n] for n in self.models if n in digits), (None, None))

    @property
    def available(self) -> bool:
        return bool(self.models) and self.digits is not None

    def methods(self) -> list[str]:
        names = sorted(self.models, key=lambda n: method_name(self.models[n]).startswith("GAN"))
        return ["truth", "copy last frame", *(method_name(self.models[n]) for n in names)]

    def clip(self, source: str, seed, digit_a, digit_b, angle_a, angle_b, horizon) -> mm.Clips:
        """A held-out clip drawn by `seed`, or two digits of the given classes (the seed picks which
        drawing of each) heading at the given angles in degrees: 10 input frames and `horizon` more."""
        if not self.available:
            raise ValueError("no video model with its digits is loaded: train one (docs/training.md, video)")
        frames = mm.INPUT_FRAMES + bounded_int(horizon, "Frames to predict", mm.PREDICTED_FRAMES, MAX_FRAMES)
        seed = bounded_int(seed, "Seed", 0, MAX_SEED)
        gen = torch.Generator().manual_seed(seed)
        if source == "held-out clip":
            return mm.make_clips(self.digits, self.labels, 1, gen, frames)
        picked = []
        for digit in (digit_a, digit_b):
            digit = bounded_int(digit, "Digit", 0, 9)
            index = (self.labels == digit).nonzero().flatten()
            if len(index) == 0:
                raise ValueError(f"no drawing of a {digit} among the stored digits: choose another digit")
            picked.append(index[torch.randint(len(index), (1,), generator=gen)].item())
        angles = [bounded_float(a, "Direction", -360, 360) for a in (angle_a, angle_b)]
        return mm.placed_clip(self.digits[picked], self.labels[picked], list(STARTS), angles, frames)

    def show(self, clip: mm.Clips) -> Showing:
        """The truth, copy-last and every model's continuation of the clip's first ten frames, for
        as many frames as the clip has after them."""
        horizon = clip.frames.shape[1] - mm.INPUT_FRAMES
        past, truth = clip.frames[:, : mm.INPUT_FRAMES], clip.frames[:, mm.INPUT_FRAMES :]
        predicted = {"truth": truth[0], "copy last frame": copy_last(past, horizon)[0]}
        for model in self.models.values():
            predicted[method_name(model)] = model.predict(past, horizon)[0].cpu()
        order = [m for m in self.methods() if m in predicted]
        predicted = {m: predicted[m] for m in order}
        return Showing(animate(past[0], predicted), predicted, self.curves(clip, predicted))

    def curves(self, clip: mm.Clips, predicted: dict[str, torch.Tensor]) -> dict[str, list]:
        truth, rows = predicted["truth"], {"MSE": [], "SSIM": [], "digits read right": []}
        positions = clip.positions[0, mm.INPUT_FRAMES :]
        labels = clip.labels[0].expand(len(truth), -1)
        for method, frames in predicted.items():
            if method == "truth":
                continue
            mse = frame_mse(frames[None], truth[None])[0]
            ssim = frame_ssim(frames[None], truth[None])[0]
            read = (
                digit_identity(self.classifier, frames, positions, labels).float().mean(1)
                if self.classifier is not None
                else None
            )
            for t in range(len(truth)):
                rows["MSE"].append((t + 1, round(mse[t].item(), 2), method))
                rows["SSIM"].append((t + 1, round(ssim[t].item(), 4), method))
                if read is not None:
                    rows["digits read right"].append((t + 1, read[t].item(), method))
        return rows


def animate(past: torch.Tensor, predicted: dict[str, torch.Tensor]) -> list[Image.Image]:
    """One frame per time step: the methods side by side, each labelled, the input frames shown
    in every panel first (marked "input"), then each method's own prediction."""
    names = list(predicted)
    width = len(names) * (PANEL + GAP) - GAP
    out = []
    steps = [(f"input {t + 1}/{len(past)}", {n: past[t] for n in names}) for t in range(len(past))]
    horizon = len(next(iter(predicted.values())))
    steps += [(f"predicted +{t + 1}", {n: predicted[n][t] for n in names}) for t in range(horizon)]
    for caption, frames in steps:
        canvas = Image.new("L", (width, HEADER + PANEL + HEADER), 0)
        draw = ImageDraw.Draw(canvas)
        for i, name in enumerate(names):
            x = i * (PANEL + GAP)
            frame = (frames[name].clamp(0, 1) * 255).round().to(torch.uint8).numpy()
            canvas.paste(Image.fromarray(frame).resize((PANEL, PANEL), Image.Resampling.NEAREST), (x, HEADER))
            draw.text((x + 2, 4), name.split(" (")[0], fill=255)
        draw.text((2, HEADER + PANEL + 4), caption, fill=160 if caption.startswith("input") else 255)
        out.append(canvas.convert("RGB"))
    return out


def write_animation(frames: list[Image.Image], folder: Path) -> tuple[Path, Path]:
    """The animation as a looping GIF and an MP4, both at the size shown."""
    import imageio.v3 as iio

    array = np.stack([np.asarray(f) for f in frames])
    gif, mp4 = folder / "prediction.gif", folder / "prediction.mp4"
    iio.imwrite(gif, array, duration=1000 / FPS, loop=0)
    write_mp4(array, mp4, FPS)
    return gif, mp4

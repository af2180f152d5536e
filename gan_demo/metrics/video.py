"""How well a model continues Moving-MNIST clips: per-frame MSE, SSIM, PSNR, and digit identity.

MSE follows the OpenSTL benchmark's convention: squared errors summed over the 64x64 pixels of a
frame on [0, 1] intensities, averaged over clips. SSIM is Wang et al.'s (Gaussian window 11,
sigma 1.5, torchmetrics), PSNR per frame on [0, 1]. MSE alone misleads here (an all-black frame
beats copying the last one), so the digit identity score has the shipped MNIST classifier read
each digit, cropped at its known position, in a predicted frame: it rewards a sharp digit in
the right place, which a grey blob never is.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torchmetrics.functional.image import structural_similarity_index_measure

from gan_demo.data.moving_mnist import DIGIT, INPUT_FRAMES, Clips
from gan_demo.models.pretrained import Pretrained

Predictor = Callable[[torch.Tensor, int], torch.Tensor]  # (input frames, how many) -> the next frames
CHUNK = 100  # clips per predictor call, to bound memory


def copy_last(frames: torch.Tensor, count: int) -> torch.Tensor:
    return frames[:, -1:].expand(-1, count, -1, -1)


def black(frames: torch.Tensor, count: int) -> torch.Tensor:
    return torch.zeros(frames.shape[0], count, *frames.shape[2:])


def mean_of_inputs(frames: torch.Tensor, count: int) -> torch.Tensor:
    return frames.mean(1, keepdim=True).expand(-1, count, -1, -1)


BASELINES: dict[str, Predictor] = {
    "copy last frame": copy_last,
    "black frame": black,
    "mean of the inputs": mean_of_inputs,
}


def model_predictor(model: Pretrained) -> Predictor:
    return lambda frames, count: model.predict(frames, count).cpu()


def frame_mse(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """(N, T, H, W) -> (N, T): squared error summed over a frame's pixels."""
    return (pred - truth).pow(2).sum((-1, -2))


def frame_ssim(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """(N, T, H, W) -> (N, T) SSIM of each frame."""
    n, t = pred.shape[:2]
    flat = [x.reshape(n * t, 1, *x.shape[2:]).float().contiguous() for x in (pred, truth)]
    return structural_similarity_index_measure(*flat, data_range=1.0, reduction="none").view(n, t)


def frame_psnr(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    per_pixel = (pred - truth).pow(2).mean((-1, -2)).clamp_min(1e-10)
    return -10 * per_pixel.log10()


def digit_crops(frames: torch.Tensor, positions: torch.Tensor, size: int = 32) -> torch.Tensor:
    """Each digit's 28x28 square at its known top-left (N, K, 2) in frames (N, 64, 64) ->
    (N * K, 1, size, size) in [-1, 1], padded as the classifier's training digits were (MNIST's
    28 padded to 32 by the loader)."""
    n, k, _ = positions.shape
    pad = (size - DIGIT) // 2
    offsets = torch.arange(DIGIT)
    rows = (positions[..., 0:1] + offsets).view(n, k, DIGIT, 1)
    cols = (positions[..., 1:2] + offsets).view(n, k, 1, DIGIT)
    crops = frames[torch.arange(n).view(n, 1, 1, 1), rows, cols]  # (N, K, 28, 28)
    return F.pad(crops.reshape(n * k, 1, DIGIT, DIGIT), (pad,) * 4).clamp(0, 1) * 2 - 1


def digit_identity(
    classifier: Pretrained, frames: torch.Tensor, positions: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """(N, K) booleans: whether the classifier reads each digit as its label in frames (N, 64, 64)."""
    crops = digit_crops(frames, positions, classifier.arch.size)
    read = torch.cat([classifier.probabilities(c).argmax(1).cpu() for c in crops.split(1000)])
    return read.view(labels.shape) == labels


def score(
    predict: Predictor, clips: Clips, count: int, classifier: Pretrained | None = None, at: tuple[int, ...] = (10,)
) -> dict:
    """A predictor on clips of at least INPUT_FRAMES + count frames (see score_frames)."""
    pred = torch.cat([predict(part, count).clamp(0, 1) for part in clips.frames[:, :INPUT_FRAMES].split(CHUNK)])
    return score_frames(pred, clips, classifier, at)


def score_frames(
    pred: torch.Tensor, clips: Clips, classifier: Pretrained | None = None, at: tuple[int, ...] = (10,)
) -> dict:
    """Predicted frames (N, count, 64, 64) of the clips: per-frame curves and means of MSE, SSIM
    and PSNR over them, and the digit identity at frames `at` (1-based, counted after the inputs)
    when a classifier is given."""
    truth = clips.frames[:, INPUT_FRAMES : INPUT_FRAMES + pred.shape[1]]
    curves = {
        "mse": frame_mse(pred, truth).mean(0),
        "ssim": torch.cat([frame_ssim(p, t) for p, t in zip(pred.split(CHUNK), truth.split(CHUNK))]).mean(0),
        "psnr": frame_psnr(pred, truth).mean(0),
    }
    out = {name: round(curve.mean().item(), 4) for name, curve in curves.items()}
    out["per_frame"] = {name: [round(v, 4) for v in curve.tolist()] for name, curve in curves.items()}
    if classifier is not None:
        for frame in at:
            index = INPUT_FRAMES + frame - 1
            hits = digit_identity(classifier, pred[:, frame - 1], clips.positions[:, index], clips.labels)
            out[f"identity_{frame}"] = round(hits.float().mean().item(), 4)
    return out

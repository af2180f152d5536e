"""Video frame prediction networks: a non-recurrent predictor in the SimVP manner (Gao et al.
2022) and the conditional discriminator of its GAN variant (Mathieu, Couprie & LeCun 2016).

Frames are (N, T, 64, 64) float in [0, 1] (one gray channel, as Moving MNIST has). The predictor
cuts every input frame into 4x4 patches and stacks them as channels (10 frames: 160 channels
at 16x16), so one stack of convolutional blocks sees the whole clip at once; its output is
linear (a sigmoid here stayed stuck at the all-black answer) and becomes the next frames by the
inverse cut. Longer futures are predicted autoregressively, ten frames at a time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.data.moving_mnist import INPUT_FRAMES, PREDICTED_FRAMES

from .nets import ArchConfig

PATCH = 4  # 64x64 frames -> 16x16 grids of 4x4 patches
DEPTH = 8  # blocks of the predictor: with 7x7 kernels they see 49 patches, the whole frame
KERNEL = 7


class Block(nn.Module):
    """After ConvNeXt's block (Liu et al. 2022): a depthwise 7x7 convolution, a norm (GroupNorm of
    one group: over channels and space, where ConvNeXt's LayerNorm takes channels alone), a
    two-layer pointwise MLP, a scaled residual."""

    def __init__(self, width: int):
        super().__init__()
        self.spatial = nn.Conv2d(width, width, KERNEL, padding=KERNEL // 2, groups=width)
        self.norm = nn.GroupNorm(1, width)
        self.mlp = nn.Sequential(nn.Conv2d(width, 2 * width, 1), nn.GELU(), nn.Conv2d(2 * width, width, 1))
        self.scale = nn.Parameter(torch.full((width, 1, 1), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.scale * self.mlp(self.norm(self.spatial(x)))


class FramePredictor(nn.Module):
    """10 frames (N, 10, 64, 64) in [0, 1] -> the next 10, unbounded (clamp to show them)."""

    def __init__(self, arch: ArchConfig, depth: int = DEPTH):
        super().__init__()
        cells = PATCH * PATCH
        self.stem = nn.Sequential(nn.Conv2d(INPUT_FRAMES * cells, arch.width, 3, padding=1), nn.GELU())
        self.blocks = nn.Sequential(*(Block(arch.width) for _ in range(depth)))
        self.head = nn.Sequential(
            nn.Conv2d(arch.width, arch.width, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(arch.width, PREDICTED_FRAMES * cells, 1),
        )

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.shape[1:] != (INPUT_FRAMES, 64, 64):
            raise ValueError(f"expected frames (N, {INPUT_FRAMES}, 64, 64), got {tuple(frames.shape)}")
        # channels_last: on a CPU the depthwise 7x7 convolutions run about 1.8x faster in it
        x = self.stem(F.pixel_unshuffle(frames, PATCH).contiguous(memory_format=torch.channels_last))
        return F.pixel_shuffle(self.head(self.blocks(x)), PATCH)

    @torch.no_grad()
    def continue_clip(self, frames: torch.Tensor, count: int) -> torch.Tensor:
        """`count` frames after the last ten of `frames`, predicted ten at a time, each ten from the
        ten before (predicted ones clamped to [0, 1], as they would be shown)."""
        history, out = frames[:, -INPUT_FRAMES:], []
        for _ in range(-(-count // PREDICTED_FRAMES)):
            future = self(history).clamp(0, 1)
            out.append(future)
            history = torch.cat([history, future], 1)[:, -INPUT_FRAMES:]
        return torch.cat(out, 1)[:, :count]


class ClipDiscriminator(nn.Module):
    """Judges a whole clip, the 10 input frames and 10 future ones stacked as channels (the
    condition and the prediction together), with one logit per 8x8 region (a PatchGAN)."""

    def __init__(self, width: int = 64):
        super().__init__()
        frames = INPUT_FRAMES + PREDICTED_FRAMES
        self.net = nn.Sequential(
            nn.Conv2d(frames, width, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.GroupNorm(8, 2 * width),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 4, 2, 1),
            nn.GroupNorm(8, 4 * width),
            nn.LeakyReLU(0.2),
            nn.Conv2d(4 * width, 1, 3, 1, 1),
        )

    def forward(self, past: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([past, future], 1) * 2 - 1)

"""The face <-> map networks: a U-Net (the segmenter's, and pix2pix's generator), pix2pix's
PatchGAN discriminator and a style encoder (BicycleGAN's), so one map gives several faces.

    U-Net: stride-2 4x4 convs from S down to 2x2, then per level a nearest 2x resize, the skip
    concatenated, two 3x3 convs (a resize-conv, not a transposed conv: no checkerboard).

Widths double from arch.width up to 4x; GroupNorm, not BatchNorm, so a single map in the app
sees the statistics it trained with. A style code (N, arch.z_dim) is broadcast and concatenated
to the input and to the bottleneck, two places it cannot be routed around.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .nets import ArchConfig

MAX_MULT = 4  # widths stop at 4x the base: 32 -> 128 keeps the generator near 1.5 M weights


def norm(ch: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, ch // 4), ch)


def widths(arch: ArchConfig) -> list[int]:
    """Channels at 1/2, 1/4, ... down to 2x2."""
    levels = arch.size.bit_length() - 2  # 64 -> 5 levels (32, 16, 8, 4, 2)
    return [arch.width * min(2**i, MAX_MULT) for i in range(levels)]


class Up(nn.Module):
    def __init__(self, ch_in: int, ch_skip: int, ch_out: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch_in + ch_skip, ch_out, 3, padding=1), norm(ch_out), nn.ReLU(inplace=True),
            nn.Conv2d(ch_out, ch_out, 3, padding=1), norm(ch_out), nn.ReLU(inplace=True),
        )  # fmt: skip

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([F.interpolate(x, scale_factor=2.0, mode="nearest"), skip], 1))


class UNet(nn.Module):
    """(N, in_ch, S, S) [+ style (N, style_dim)] -> (N, out_ch, S, S) logits or values."""

    def __init__(self, arch: ArchConfig, in_ch: int, out_ch: int, style_dim: int = 0):
        super().__init__()
        self.style_dim = style_dim
        chs = widths(arch)
        self.down = nn.ModuleList()
        prev = in_ch + style_dim
        for i, ch in enumerate(chs):
            layers = [nn.Conv2d(prev, ch, 4, stride=2, padding=1)]
            layers += [norm(ch)] if i else []  # pix2pix: no norm on the first layer
            self.down.append(nn.Sequential(*layers, nn.LeakyReLU(0.2, inplace=True)))
            prev = ch
        self.bottleneck = nn.Sequential(
            nn.Conv2d(prev + style_dim, prev, 3, padding=1), norm(prev), nn.ReLU(inplace=True)
        )
        skips = [in_ch + style_dim, *chs[:-1]]
        self.up = nn.ModuleList()
        for skip in reversed(skips):
            out = max(skip, arch.width) if skip != skips[0] else arch.width
            self.up.append(Up(prev, skip, out))
            prev = out
        self.head = nn.Conv2d(prev, out_ch, 3, padding=1)

    def forward(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        if self.style_dim:
            if style is None or style.shape != (x.shape[0], self.style_dim):
                raise ValueError(f"expected a style code of shape ({x.shape[0]}, {self.style_dim})")
            x = torch.cat([x, broadcast(style, x)], 1)
        skips = []
        for down in self.down:
            skips.append(x)
            x = down(x)
        if self.style_dim:
            x = torch.cat([x, broadcast(style, x)], 1)
        x = self.bottleneck(x)
        for up, skip in zip(self.up, reversed(skips)):
            x = up(x, skip)
        return self.head(x)


def broadcast(code: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return code[:, :, None, None].to(like.dtype).expand(-1, -1, *like.shape[2:])


def one_hot(maps: torch.Tensor, classes: int) -> torch.Tensor:
    """(N, S, S) integer class ids -> (N, K, S, S) float in {-1, 1}, the generator's input."""
    return F.one_hot(maps.long(), classes).permute(0, 3, 1, 2).float() * 2 - 1


class Segmenter(nn.Module):
    """face (N, 3, S, S) in [-1, 1] -> class logits (N, K, S, S)."""

    def __init__(self, arch: ArchConfig, classes: int):
        super().__init__()
        self.classes = classes
        self.net = UNet(arch, arch.channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MapToFace(nn.Module):
    """class ids (N, S, S) + style (N, z_dim) -> face (N, 3, S, S) in [-1, 1]."""

    def __init__(self, arch: ArchConfig, classes: int):
        super().__init__()
        self.classes = classes
        self.net = UNet(arch, classes, arch.channels, style_dim=arch.z_dim)

    def forward(self, maps: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(one_hot(maps, self.classes), style))


class StyleEncoder(nn.Module):
    """face (N, 3, S, S) -> (mean, log-variance) of its style code, each (N, z_dim): what the map
    does not say (colours, light, hair's texture), held near N(0, I) by a KL term."""

    def __init__(self, arch: ArchConfig):
        super().__init__()
        chs = widths(arch)[:4]
        layers, prev = [], arch.channels
        for ch in chs:
            layers += [nn.Conv2d(prev, ch, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
            prev = ch
        self.trunk = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out = nn.Linear(prev, 2 * arch.z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.out(self.trunk(x)).chunk(2, dim=1)


class PatchDiscriminator(nn.Module):
    """(one-hot map, face) -> a 14x14 grid of real/fake logits at 64 px, each seeing a 34x34
    patch (pix2pix's 70x70 at 256 px, scaled): four 4x4 convs, strides 2, 2, 1, 1."""

    def __init__(self, arch: ArchConfig, classes: int, width: int = 64):
        super().__init__()
        self.classes = classes
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(classes + arch.channels, w, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(w, 2 * w, 4, 2, 1), norm(2 * w), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(2 * w, 4 * w, 4, 1, 1), norm(4 * w), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(4 * w, 1, 4, 1, 1),
        )  # fmt: skip

    def forward(self, maps: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([one_hot(maps, self.classes).to(faces.dtype), faces], 1))

"""Network modules only: the DCGAN generator and discriminator, an encoder that mirrors the
discriminator, a latent-code discriminator and an image classifier.

Images are NCHW float in [-1, 1]; codes are (N, z_dim) float.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

SUPPORTED_SIZES = (32, 64)
SUPPORTED_CHANNELS = (1, 3)


# Upper bounds, so a hostile JSON cannot make us allocate gigabytes before the weights are checked
MAX_WIDTH = 256
MAX_Z_DIM = 1024


@dataclass(frozen=True)
class ArchConfig:
    """Shapes shared by every network of one model: the single source of truth for sizes."""

    channels: int = 3
    size: int = 64
    width: int = 64
    z_dim: int = 100
    enc_width: int = 32  # encoder trunk width: half of G's keeps G + E fp16 under 10 MB

    def __post_init__(self) -> None:
        fields = (self.channels, self.size, self.width, self.z_dim, self.enc_width)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in fields):
            raise ValueError(f"every architecture number must be an integer, got {fields}")
        if self.channels not in SUPPORTED_CHANNELS:
            raise ValueError(f"channels must be one of {SUPPORTED_CHANNELS}, got {self.channels}")
        if self.size not in SUPPORTED_SIZES:
            raise ValueError(f"size must be one of {SUPPORTED_SIZES}, got {self.size}")
        if not (4 <= self.width <= MAX_WIDTH and 4 <= self.enc_width <= MAX_WIDTH and 1 <= self.z_dim <= MAX_Z_DIM):
            raise ValueError(
                f"widths must be 4..{MAX_WIDTH} and z_dim 1..{MAX_Z_DIM}, got {self.width}, {self.enc_width}, {self.z_dim}"
            )

    @property
    def n_stages(self) -> int:
        """Stride-2 stages between 4x4 and the image: 3 for 32x32, 4 for 64x64."""
        return {32: 3, 64: 4}[self.size]

    def to_dict(self) -> dict:
        return asdict(self)


def init_dcgan_weights(module: nn.Module) -> None:
    """Radford et al.: conv weights ~ N(0, 0.02), batch-norm scale ~ N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


HEAD_LAYERS = 3  # the first block (conv, BN, ReLU): its 4x4 feature map is where a photo's detail is added


class Generator(nn.Module):
    """z (N, z_dim) -> image (N, C, S, S) in [-1, 1]: fractionally strided convs, BN, ReLU, tanh.

    `detail` (N, width x 2^(stages-1), 4, 4), when given, is added to the first block's output:
    a projected photo's residual that its code alone cannot express (gan_demo.latent.inversion)."""

    def __init__(self, cfg: ArchConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.width * 2 ** (cfg.n_stages - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.z_dim, ch, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(cfg.n_stages - 1):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, cfg.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor, detail: torch.Tensor | None = None) -> torch.Tensor:
        if detail is None:
            return self.net(z.view(z.shape[0], -1, 1, 1))
        return self.net[HEAD_LAYERS:](self.net[:HEAD_LAYERS](z.view(z.shape[0], -1, 1, 1)) + detail)

    def detail_shape(self) -> tuple[int, int, int]:
        """The shape of one image's detail: the first block's output."""
        return (self.net[0].out_channels, 4, 4)


def conv_trunk(cfg: ArchConfig, width: int) -> tuple[nn.Sequential, int]:
    """The discriminator's strided-conv trunk: image -> (N, ch, 4, 4) features, and ch."""
    ch = width
    layers: list[nn.Module] = [
        nn.Conv2d(cfg.channels, ch, 4, 2, 1, bias=False),
        nn.LeakyReLU(0.2, True),
    ]
    for _ in range(cfg.n_stages - 1):
        layers += [
            nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ch * 2),
            nn.LeakyReLU(0.2, True),
        ]
        ch *= 2
    return nn.Sequential(*layers), ch


class Discriminator(nn.Module):
    """image -> one logit per image (no sigmoid: the loss takes logits)."""

    def __init__(self, cfg: ArchConfig):
        super().__init__()
        self.cfg = cfg
        self.trunk, ch = conv_trunk(cfg, cfg.width)
        self.head = nn.Conv2d(ch, 1, 4, 1, 0, bias=False)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x)).flatten()


class Encoder(nn.Module):
    """image -> code (N, out_dim): the discriminator's trunk with a linear head.

    A VAE encoder uses out_dim = 2 * z_dim (mean and log-variance side by side).
    """

    def __init__(self, cfg: ArchConfig, out_dim: int | None = None):
        super().__init__()
        self.cfg = cfg
        self.trunk, ch = conv_trunk(cfg, cfg.enc_width)
        self.head = nn.Conv2d(ch, out_dim or cfg.z_dim, 4, 1, 0)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x)).flatten(1)


class Classifier(Encoder):
    """image -> n_classes logits (multi-label attributes or one-of-k digits)."""

    def __init__(self, cfg: ArchConfig, n_classes: int):
        super().__init__(cfg, out_dim=n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled trunk activations, the feature space for FID-style metrics."""
        return self.trunk(x).mean(dim=(2, 3))


class CodeDiscriminator(nn.Module):
    """code (N, z_dim) -> logit: tells encoder codes from prior draws (adversarial autoencoder)."""

    def __init__(self, z_dim: int, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(z_dim, hidden),
            nn.LeakyReLU(0.2, True),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2, True),
            nn.Linear(hidden, 1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).flatten()

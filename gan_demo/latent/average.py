"""Truncation towards the average face.

Shrinking codes towards 0 (BigGAN's resampling, or plain scaling) leaves the shell of radius
sqrt(z_dim) where N(0, I) puts its codes, and near 0 our generators draw flat brown squares, not
the average face a user expects at low truncation. So a truncated code is moved along the shell
instead, from the code of the average face (the mean of many samples, projected back into the
generator: StyleGAN's w-average, for a generator without a mapping network) towards its own
sample, by the truncation: 0 gives the average face, 1 the sample itself.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gan_demo.models.pretrained import Pretrained

from .code_scale import CodeScale, random_codes
from .inversion import project
from .paths import slerp

AVERAGE_OF = 256  # samples averaged into the mean image
AVERAGE_SEED = 12345


def average_code(model: Pretrained, scale: CodeScale | None = None) -> torch.Tensor:
    """(1, z_dim): the code whose image is nearest the mean image of AVERAGE_OF random codes (drawn
    as `random_codes` draws them, at a plain autoencoder's `scale`); about 3 s on a CPU."""
    codes = random_codes(model, AVERAGE_OF, AVERAGE_SEED, scale)
    with torch.no_grad():
        codes = codes.to(model.device)
        mean = torch.cat([model.generate(part) for part in codes.split(64)]).mean(0, keepdim=True)
    return project(model, mean.cpu(), seed=AVERAGE_SEED, detail_bound=0.0).z.cpu()


def towards(centre: torch.Tensor, codes: torch.Tensor, truncation: float) -> torch.Tensor:
    """Each code moved along the shell from `centre` (1, z_dim) to itself, `truncation` of the way."""
    if not 0 <= truncation <= 1:
        raise ValueError(f"truncation must be between 0 and 1, got {truncation}")
    t = torch.tensor([float(truncation)])
    return torch.cat([slerp(centre[0], z, t) for z in codes])


def truncated(codes: torch.Tensor, truncation: float, centre: Callable[[], torch.Tensor]) -> torch.Tensor:
    """Random codes at a truncation: themselves at 1, moved towards `centre()` (the average face's
    code, asked for only then) below it."""
    if not 0 < truncation <= 1:
        raise ValueError(f"truncation must be above 0 and at most 1, got {truncation}")
    return codes if truncation == 1 else towards(centre(), codes, truncation)

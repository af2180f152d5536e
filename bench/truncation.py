"""Truncation 0.1 on the shipped face generators: shrinking codes towards 0 (BigGAN's resampling,
what the app did) against moving them towards the average face's code (gan_demo.latent.average,
what it does). For each: how much structure the samples have (a flat square: about 0.04) and how
far they are from the mean image of 256 samples (lower: nearer the average face).

    python -m bench.truncation

The last line printed is JSON.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from gan_demo.latent.average import average_code, truncated
from gan_demo.models.pretrained import load_pretrained
from gan_demo.models.sampling import sample_codes

CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"
MODELS = ("dcgan-celeba64", "aegan-celeba64", "vae-celeba64")
TRUNCATION, N = 0.1, 8


def figures(images: torch.Tensor, mean: torch.Tensor) -> dict[str, float]:
    return {
        "spatial_std": round(images.flatten(2).std(-1).mean().item(), 3),
        "rms_to_mean_image": round((images - mean).pow(2).mean().sqrt().item(), 3),
    }


def main() -> None:
    report = {}
    for name in MODELS:
        model = load_pretrained(CHECKPOINTS / name, "cpu")
        with torch.no_grad():
            mean = model.generate(sample_codes(256, model.arch.z_dim, 999)).mean(0, keepdim=True)
            shrunk = model.generate(sample_codes(N, model.arch.z_dim, 0, TRUNCATION))
        started = time.perf_counter()
        centre = average_code(model)
        seconds = time.perf_counter() - started
        with torch.no_grad():
            towards = model.generate(truncated(sample_codes(N, model.arch.z_dim, 0), TRUNCATION, lambda c=centre: c))
        report[name] = {
            "shrunk_towards_0": figures(shrunk, mean),
            "towards_the_average_face": figures(towards, mean),
            "average_code_s": round(seconds, 1),
        }
    print(json.dumps({"truncation": TRUNCATION, "samples": N, "models": report}))


if __name__ == "__main__":
    main()

"""Latent toolkit speed at default settings, medians over repeats, on the shipped checkpoints.

    python -m bench.latent_speed --checkpoint checkpoints/aegan-celeba64 --repeats 5

Prints one JSON line: median milliseconds per operation, beside the issue's targets.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from gan_demo.latent.directions import Directions, directions_path
from gan_demo.latent.edits import conditional_rule, edit_codes
from gan_demo.latent.inversion import colorize, inpaint, luminance, project
from gan_demo.latent.paths import interpolate
from gan_demo.metrics.inpainting import centre_mask
from gan_demo.models.pretrained import classifier_for, load_pretrained
from gan_demo.models.sampling import sample_codes

TARGETS_MS = {"sample_16": 50, "interpolate_8": 100, "inpaint": 2000, "colorize": 2000, "project": 2000}


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="checkpoints/aegan-celeba64")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--classifier", help="guides the guided edit (default: the shipped face or digit classifier)")
    args = p.parse_args()
    model = load_pretrained(args.checkpoint)
    size = model.arch.size
    photo = model.generate(sample_codes(1, model.arch.z_dim, seed=99))  # a stand-in photo: no data needed
    hole = centre_mask(size, size * 3 // 8)
    keys = sample_codes(2, model.arch.z_dim, seed=1)
    ops = {
        "sample_16": lambda: model.generate(sample_codes(16, model.arch.z_dim, seed=0)),
        "interpolate_8": lambda: model.generate(interpolate(keys, 8)),
        "inpaint": lambda: inpaint(model, photo, hole),
        "project": lambda: project(model, photo),  # code plus bounded detail, the default
        "project_code_only": lambda: project(model, photo, detail_bound=0.0),
    }
    if model.arch.channels == 3:  # gray images have no colour to restore
        ops["colorize"] = lambda: colorize(model, luminance(photo))
    if directions_path(args.checkpoint).exists():  # no target in the issue
        guide = classifier_for(model, args.classifier)
        edit = {model.domain.sliders[0]: 2.0}  # Smiling on faces, thickness on digits
        directions = Directions.load(directions_path(args.checkpoint))
        keep = conditional_rule(directions)  # as the app: conditional, then guided
        ops["guided_edit"] = lambda: edit_codes(model, directions, keys[:1], edit, keep, guide=guide)
    result = {name: median_ms(fn, args.repeats) for name, fn in ops.items()}
    print(
        json.dumps(
            {
                "checkpoint": model.name,
                "threads": torch.get_num_threads(),
                "median_ms": result,
                "target_ms": TARGETS_MS,
                "all_within_target": all(result[k] < TARGETS_MS[k] for k in TARGETS_MS if k in result),
            }
        )
    )


if __name__ == "__main__":
    main()

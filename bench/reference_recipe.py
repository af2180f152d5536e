"""Train the classic reference recipe (bench/reference.py) for a wall-time budget and save its generator.

The saved checkpoint has gan_demo's format, so `python -m gan_demo evaluate` scores it exactly as it
scores ours: the quality half of "ours against the reference at equal wall time on the same machine".

    python -m bench.reference_recipe --data ../shared/data/celeba64 --holdout 500 --minutes 5 --out runs/ref
    python -m gan_demo evaluate --checkpoint runs/ref/reference-celeba64 --data ../shared/data/celeba64

Writes OUT/NAME.safetensors + OUT/NAME.json and OUT/NAME-samples.png (64 samples from seed 0).
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import torch
from torchvision.utils import save_image

from bench.reference import reference_steps, write_pngs
from gan_demo import __version__
from gan_demo.data.datasets import load_images, split_holdout
from gan_demo.models.checkpoints import save_checkpoint
from gan_demo.models.nets import ArchConfig
from gan_demo.runtime import describe_hardware, resolve_device


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="an RGB dataset train.py reads (npz shards or an image folder)")
    p.add_argument("--holdout", type=int, default=500, help="keep the last N images out, as train.py --holdout")
    p.add_argument("--minutes", type=float, required=True, help="training wall time, data loading included")
    p.add_argument("--out", required=True)
    p.add_argument("--name", default="reference-celeba64")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    device = resolve_device(args.device)
    train, held = split_holdout(load_images(args.data, size=64), args.holdout)
    if train.channels != 3:
        raise SystemExit(f"{args.data}: the reference recipe reads RGB images; this data has {train.channels} channel")
    arch = ArchConfig(channels=3, size=64, width=64, z_dim=100)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        write_pngs(train.images, Path(tmp) / "png")
        start = time.perf_counter()
        steps = 0
        for G, loss_d, loss_g in reference_steps(Path(tmp) / "png", arch, device, seed=args.seed):  # noqa: B007 - G is kept
            steps += 1
            if steps % 200 == 0:
                print(f"step {steps}: loss_D {loss_d:.3f} loss_G {loss_g:.3f}", flush=True)
            if time.perf_counter() - start >= args.minutes * 60:
                break
        wall = time.perf_counter() - start
    G.eval()
    with torch.no_grad():
        samples = G(torch.randn(64, arch.z_dim, 1, 1, generator=torch.Generator().manual_seed(0)).to(device))
    save_image(samples, out / f"{args.name}-samples.png", nrow=8, normalize=True, value_range=(-1, 1))
    meta = {
        "kind": "dcgan",
        "arch": arch.to_dict(),
        "labels": None,
        "data": {
            "source": str(train.source),
            "train_images": len(train),
            "holdout_images": len(held),
            "holdout_first": held.names[0] if len(held) else None,
            "holdout_last": held.names[-1] if len(held) else None,
        },
        "training": {
            "recipe": "pytorch/examples dcgan (bench/reference.py): fp32, Sigmoid + BCELoss, Adam 2e-4/0.5, batch 64, no EMA",
            "command": shlex.join(["python", "-m", "bench.reference_recipe", *sys.argv[1:]]),
            "steps": steps,
            "images_seen": steps * 64,
            "wall_time_s": round(wall, 1),
            "final_losses": {"loss_D": round(loss_d, 4), "loss_G": round(loss_g, 4)},
        },
        "hardware": describe_hardware(device, 1),
        "software": {"python": platform.python_version(), "torch": torch.__version__, "gan_demo": __version__},
    }
    weights = {f"G.{k}": v.half() if v.is_floating_point() else v for k, v in G.state_dict().items()}
    path = save_checkpoint(out / args.name, weights, meta)
    print(f"wrote {path} after {steps} steps in {wall:.0f} s")


if __name__ == "__main__":
    main()

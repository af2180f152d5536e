"""DCGAN training speed: gan_demo's training loop against the classic reference recipe.

Both train the same DCGAN (64x64, width 64, z 100, batch 64) on the same images in one process:
- baseline: the pytorch/examples `dcgan` recipe (bench/reference.py): PNG files decoded by PIL
  through a 2-worker DataLoader, fp32, NCHW, Sigmoid + BCELoss, a host sync every step;
- ours: `gan_demo.training.Trainer.run` exactly as `train.py` runs it (uint8 data in memory,
  bf16 autocast where supported, channels_last, fused Adam, syncs only at log intervals; on CUDA
  the whole step recorded as one CUDA graph, and also timed without it, launched step by step).

    python -m bench.train_speed --data ../shared/data/celeba64 --steps 60

The last line printed is JSON: {"baseline_img_s", "ours_img_s", "ratio", ...}; on CUDA also
"ours_eager_img_s" and "ratio_eager" (train.py --no-cuda-graphs).
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from pathlib import Path

import torch

from bench.reference import reference_steps, write_pngs
from gan_demo.data.datasets import load_images
from gan_demo.models.nets import ArchConfig
from gan_demo.runtime import resolve_device
from gan_demo.training.config import RunConfig
from gan_demo.training.loop import Trainer


def baseline_img_s(folder: Path, arch: ArchConfig, device: torch.device, warmup: int, steps: int, batch: int) -> float:
    """Images per second of the reference recipe's loop, after `warmup` steps."""
    loop = reference_steps(folder, arch, device, batch)
    for _ in range(warmup):
        next(loop)
    start = time.perf_counter()
    for _ in range(steps):
        next(loop)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def ours_img_s(
    data,
    arch: ArchConfig,
    device: torch.device,
    warmup: int,
    steps: int,
    batch: int,
    out: Path,
    compile: str | None,
    cuda_graphs: bool = True,
) -> tuple[float, str, bool]:
    """Images per second of train.py's loop, its precision, and whether it replayed a CUDA graph."""
    cfg = RunConfig(
        kind="dcgan",
        out=str(out),
        name="bench",
        arch=arch,
        batch_size=batch,
        max_images=(warmup + steps) * batch,
        sample_every=10**9,
        checkpoint_every=10**9,
        progress=False,
        compile=compile,
        cuda_graphs=cuda_graphs,
    )
    trainer = Trainer(cfg, data, device)
    trainer.total_steps = warmup + steps
    trainer.train_steps(warmup)  # warm-up: allocator, cuDNN's algorithm choice, compilation, graph recording
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    trainer.train_steps(warmup + steps)  # the loop train.py runs, read-outs every 50 steps included
    if device.type == "cuda":
        torch.cuda.synchronize()
    rate = steps * batch / (time.perf_counter() - start)
    recorded = trainer.graphed is not None and trainer.graphed.graph is not None
    precision = trainer.precision
    del trainer  # the trainer and its recorded step refer to each other: free the GPU memory now
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return rate, precision, recorded


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "celeba64"))
    p.add_argument("--images", type=int, default=4096, help="how many of the images to use")
    p.add_argument("--steps", type=int, default=60, help="timed steps for each side")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--compile", nargs="?", const="default", help="also torch.compile our networks (a torch.compile mode)"
    )
    args = p.parse_args()
    device = resolve_device(args.device)
    data = load_images(args.data, size=64)
    data = data.subset(slice(0, args.images))
    arch = ArchConfig(channels=data.channels, size=64, width=64, z_dim=100)
    with tempfile.TemporaryDirectory() as tmp:
        write_pngs(data.images, Path(tmp) / "png")
        base = baseline_img_s(Path(tmp) / "png", arch, device, args.warmup, args.steps, args.batch_size)
        print(f"baseline: {base:.1f} img/s", flush=True)
        ours, precision, recorded = ours_img_s(
            data, arch, device, args.warmup, args.steps, args.batch_size, Path(tmp) / "out", args.compile
        )
        print(f"ours ({precision}{', one CUDA graph per step' if recorded else ''}): {ours:.1f} img/s", flush=True)
        if device.type == "cuda":
            eager, _, _ = ours_img_s(
                data, arch, device, args.warmup, args.steps, args.batch_size, Path(tmp) / "eager", args.compile, False
            )
            print(f"ours without CUDA graphs: {eager:.1f} img/s", flush=True)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{torch.get_num_threads()} threads"
    print(
        json.dumps(
            {
                "device": name,
                "steps": args.steps,
                "batch": args.batch_size,
                "baseline_img_s": round(base, 1),
                "ours_img_s": round(ours, 1),
                "precision": precision,
                "compile": args.compile,
                "cuda_graph": recorded,
                **(
                    {"ours_eager_img_s": round(eager, 1), "ratio_eager": round(eager / base, 2)}
                    if device.type == "cuda"
                    else {}
                ),
                "ratio": round(ours / base, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

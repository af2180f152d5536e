"""A folder of faces through `project`, `inpaint` and `colorize`: seconds per face with the default
batch against `--batch-size 1` (one by one), and the mean PSNR of both, in one process.

The photos are the first N of the held-out faces (the last 500 of --data); each command runs as
`python -m gan_demo` runs it after loading the model (gan_demo.cli's command functions on a
folder), so start-up is excluded. Inpainting fills a centred 24x24 hole.

    python -m bench.folder_speed --n 64

The last line printed is JSON; the issue's target is 2.5x per face, at a PSNR within 0.1 dB.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gan_demo.cli import DEFAULT_BATCH, cmd_colorize, cmd_inpaint, cmd_project, parse_args
from gan_demo.data.datasets import load_images, split_holdout
from gan_demo.data.photos import load_mask, load_photo
from gan_demo.metrics.inpainting import centre_mask
from gan_demo.metrics.maths import psnr
from gan_demo.models.pretrained import load_pretrained

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {"project": cmd_project, "inpaint": cmd_inpaint, "colorize": cmd_colorize}


def faces_folder(data: str, holdout: int, n: int, folder: Path) -> tuple[Path, Path]:
    """The first n held-out faces as PNGs, and a folder of centre masks matched by name."""
    _, held = split_holdout(load_images(data, size=64, channels=3), holdout)
    photos, masks = folder / "photos", folder / "masks"
    photos.mkdir()
    masks.mkdir()
    hole = (centre_mask(64, 24)[0, 0].numpy() * 255).astype(np.uint8)
    for i, image in enumerate(held.images[:n].permute(0, 2, 3, 1).numpy()):
        Image.fromarray(image).save(photos / f"{i:03d}.png")
        Image.fromarray(hole).save(masks / f"{i:03d}.png")
    return photos, masks


def quality(command: str, photos: Path, masks: Path, out: Path) -> float:
    """The mean PSNR of the outputs against the photos (inpainting: in the hole only)."""
    values = []
    for path in sorted(photos.glob("*.png")):
        photo, result = load_photo(path, 64), load_photo(out / path.name, 64)
        hole = load_mask(masks / path.name, 64) if command == "inpaint" else None
        values.append(psnr(result, photo, hole))
    return float(np.mean(values))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "aegan-celeba64"))
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "celeba64"))
    p.add_argument("--holdout", type=int, default=500)
    p.add_argument("--n", type=int, default=64, help="faces in the folder")
    p.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=list(COMMANDS))
    args = p.parse_args()
    model = load_pretrained(args.checkpoint)
    report: dict = {
        "checkpoint": model.name,
        "faces": args.n,
        "default_batch": DEFAULT_BATCH,
        "cpu_threads": torch.get_num_threads(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        photos, masks = faces_folder(args.data, args.holdout, args.n, Path(tmp))
        for command in args.commands:
            row = {}
            for batch in (1, DEFAULT_BATCH):
                out = Path(tmp) / f"{command}-{batch}"
                argv = [command, "--checkpoint", args.checkpoint, "--image", str(photos), "--out", str(out)]
                argv += ["--batch-size", str(batch), *(["--mask", str(masks)] if command == "inpaint" else [])]
                cli_args = parse_args(argv)
                started = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    COMMANDS[command](model, cli_args)
                seconds = time.perf_counter() - started
                row[f"batch_{batch}"] = {
                    "s_per_face": round(seconds / args.n, 3),
                    "psnr_db": round(quality(command, photos, masks, out), 3),
                }
            one, many = row["batch_1"], row[f"batch_{DEFAULT_BATCH}"]
            row["speedup"] = round(one["s_per_face"] / many["s_per_face"], 2)
            row["psnr_difference_db"] = round(many["psnr_db"] - one["psnr_db"], 3)
            report[command] = row
            print(command, row, flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()

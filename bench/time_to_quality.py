"""How good the faces are after M minutes: the classic reference recipe against train.py's, on one machine.

Trains, one after the other and each with the whole machine, the pytorch/examples recipe
(bench/reference_recipe.py) and `train.py --model dcgan --max-minutes M` exactly as a user types it
(on a CPU that picks the time-budget recipe; `--ours` adds options to try others), then scores both
generators with `evaluate`'s FID (500 samples from fixed codes against the first 500 held-out faces,
in the attribute classifier's features).

    python -m bench.time_to_quality --minutes 10 --device cpu
    python -m bench.time_to_quality --minutes 3 --device cuda

The last line printed is JSON: both FIDs, their steps and images seen, and "ratio" (ours / reference,
lower is better).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from gan_demo.metrics.evaluation import evaluate
from gan_demo.models.pretrained import load_pretrained
from gan_demo.runtime import describe_hardware, resolve_device

SHARED_FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "celeba64"


def train(command: list[str]) -> None:
    print("$ " + shlex.join(command), flush=True)
    subprocess.run(command, check=True)


def score(checkpoint: Path, data: str, holdout: int) -> dict:
    """FID of the checkpoint's generator as `python -m gan_demo evaluate --metrics fid` gives it,
    with the steps, images and seconds its training recorded."""
    model = load_pretrained(checkpoint)
    report = evaluate(model, data, holdout, ["fid"])
    training = model.meta["training"]
    return {
        "fid": report["sample_fid_classifier_features"],
        "steps": training["steps"],
        "images_seen": training["images_seen"],
        "wall_time_s": training["wall_time_s"],
        "width": model.arch.width,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, required=True, help="training wall time of each side")
    p.add_argument("--data", default=str(SHARED_FACES), help="RGB faces train.py reads")
    p.add_argument("--holdout", type=int, default=500, help="the last N faces: never trained on, scored against")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--ours", default="", help="extra train.py options, e.g. '--width 64' (default: none)")
    p.add_argument("--out", help="keep both runs here (default: a temporary folder)")
    args = p.parse_args()
    device = resolve_device(args.device)
    common = ["--data", args.data, "--holdout", str(args.holdout), "--device", device.type]
    with tempfile.TemporaryDirectory(prefix="gan_demo_ttq_") as tmp:
        out = Path(args.out or tmp)
        train(
            [sys.executable, "-m", "bench.reference_recipe", *common, "--minutes", str(args.minutes), "--out", str(out)]
        )
        ours = [sys.executable, "train.py", "--model", "dcgan", *common, "--max-minutes", str(args.minutes)]
        ours += ["--out", str(out), "--no-progress", *shlex.split(args.ours)]
        train(ours)
        reference = score(out / "reference-celeba64", args.data, args.holdout)
        print(f"reference recipe: FID {reference['fid']} after {reference['images_seen']:,} images", flush=True)
        mine = score(out / f"dcgan-{Path(args.data.rstrip('/')).name}", args.data, args.holdout)
        print(f"train.py: FID {mine['fid']} after {mine['images_seen']:,} images", flush=True)
    print(
        json.dumps(
            {
                "minutes": args.minutes,
                "hardware": describe_hardware(device, 1),
                "ours_options": args.ours,
                "reference": reference,
                "ours": mine,
                "ratio": round(mine["fid"] / reference["fid"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()

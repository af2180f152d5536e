"""Video frame prediction on held-out Moving-MNIST-like clips: the shipped models against the
baselines, and their speed.

    python -m bench.video --n 1000

Clips: digits 8,000-9,999 of the shared MNIST set (never trained on), two per clip, the fixed
held-out seed (gan_demo.data.moving_mnist), 10 frames in and 20 out. For every method the means
over the first 10 predicted frames of per-frame MSE (summed over the 64x64 pixels on [0, 1],
OpenSTL's convention), SSIM and PSNR; the digit identity at predicted frames +10 and +20 (+20:
continued, each ten from the ten before), the shipped MNIST classifier reading each digit cropped
at its known position; "truth" is the ceiling (digits that overlap are misread even there).

Speed: the median of 50 predictions of 10 frames for one clip, and of 10 answers of the Video
tab's operation (a clip, every model's 10 frames and the baselines, the animation's frames, the
curves, GIF and MP4 written), as the app runs them, on this machine's threads. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from gan_demo.clip_studio import ClipStudio, method_name, write_animation
from gan_demo.data import moving_mnist as mm
from gan_demo.data.datasets import load_images
from gan_demo.metrics.video import BASELINES, model_predictor, score, score_frames
from gan_demo.models.pretrained import load_pretrained

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up: first-call allocations
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digits", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    p.add_argument(
        "--models", nargs="+", default=[str(ROOT / "checkpoints" / n) for n in ("video-mnist", "video-mnist-gan")]
    )
    p.add_argument("--classifier", default=str(ROOT / "checkpoints" / "classifier-mnist"))
    p.add_argument("--n", type=int, default=1000, help="held-out clips")
    args = p.parse_args(argv)

    data = load_images(args.digits)
    held_digits, held_labels = mm.held_out_digits(mm.as_digits(data.images), data.labels.argmax(1))
    longer = mm.held_out_clips(mm.as_digits(data.images), data.labels.argmax(1), args.n, frames=30)
    classifier = load_pretrained(args.classifier)
    models = [load_pretrained(m) for m in args.models]
    if len({m.name for m in models}) < len(models):  # rows and the tab are keyed by name: one would hide another
        raise SystemExit(f"--models: two checkpoints share a name ({', '.join(m.name for m in models)}): rename a copy")

    rows = {"truth": score_frames(longer.frames[:, 10:30], longer, classifier, (10, 20))}
    for name, fn in BASELINES.items():
        rows[name] = score(fn, longer, 20, classifier, (10, 20))
    for model in models:
        rows[method_name(model)] = score(model_predictor(model), longer, 20, classifier, (10, 20))
    # MSE, SSIM and PSNR over the protocol's 10 predicted frames
    for row in rows.values():
        for metric in ("mse", "ssim", "psnr"):
            row[metric] = round(sum(row["per_frame"][metric][:10]) / 10, 4)

    one = longer.frames[:1, :10]
    speed = {method_name(m): median_seconds(lambda m=m: m.predict(one, 10), 50) for m in models}
    studio = ClipStudio({m.name: m for m in models}, {m.name: (held_digits, held_labels) for m in models}, classifier)
    with tempfile.TemporaryDirectory() as folder:

        def answer():
            shown = studio.show(studio.clip("held-out clip", 3, 0, 0, 0, 0, 10))
            write_animation(shown.animation, Path(folder))

        tab_s = median_seconds(answer, 10)

    print(f"{args.n} held-out clips; threads {torch.get_num_threads()}")
    print(f"{'method':34s} {'MSE':>7s} {'SSIM':>6s} {'PSNR':>6s} {'id +10':>7s} {'id +20':>7s}")
    for name, row in rows.items():
        print(
            f"{name:34s} {row['mse']:7.1f} {row['ssim']:6.3f} {row['psnr']:6.2f} "
            f"{row['identity_10']:7.1%} {row['identity_20']:7.1%}"
        )
    for name, s in speed.items():
        print(f"10 frames of one clip, {name}: {s * 1000:.1f} ms")
    print(f"the Video tab's answer (clip, {len(models)} models, animation, curves, GIF, MP4): {tab_s:.2f} s")
    result = {
        "clips": args.n,
        "rows": {n: {k: v for k, v in r.items() if k != "per_frame"} for n, r in rows.items()},
        "per_frame_mse": {n: r["per_frame"]["mse"] for n, r in rows.items()},
        "predict_10_frames_s": speed,
        "tab_answer_s": round(tab_s, 3),
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

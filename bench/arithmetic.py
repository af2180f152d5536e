"""The course's headline arithmetic through the app's equation builder (gan_demo.latent.equation),
on both face GANs, for Radford et al.'s two examples:

    python -m bench.arithmetic --n 100 --judge runs/clf-seed1/classifier-celeba64

glasses: man with glasses - man without + woman without (a woman with glasses); smile: smiling
woman - neutral woman + neutral man (a smiling man). For seeds 0 .. n-1 (the app's Seed box), the
share of results that have every attribute the equation implies, read by the shipped classifier
(which picks the exemplars and guides the correction) and by --judge (a classifier trained apart,
so a result cannot pass by fooling the guide): for the plain sum (the paper's recipe), the plain
sum scaled to the radius of N(0, I)'s shell, sqrt(z_dim), C's mean alone (what the equation adds
to C), the corrected result the app shows first, and its 8 noisy neighbours in the app's 3x3 grid.
Also the median norm of the plain sum against sqrt(z_dim), and the median seconds of the whole
answer (sets from the shipped pool, the result's and the grid's corrections; images drawn apart).
The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from gan_demo.latent.equation import ExemplarPool, exemplars_path, solve
from gan_demo.models.pretrained import Pretrained, load_pretrained

ROOT = Path(__file__).resolve().parent.parent
EQUATIONS = {
    "glasses": (
        {"Male": True, "Eyeglasses": True},
        {"Male": True, "Eyeglasses": False},
        {"Male": False, "Eyeglasses": False},
    ),
    "smile": (
        {"Smiling": True, "Male": False},
        {"Smiling": False, "Male": False},
        {"Smiling": False, "Male": True},
    ),
}
MODELS = ("aegan-celeba64", "dcgan-celeba64")


def has_all(reader: Pretrained, images: torch.Tensor, wanted: dict[str, bool]) -> float:
    """The share of images the reader finds to have (p > 0.5) or lack every wanted attribute."""
    probs = reader.probabilities(images).cpu()
    ok = torch.ones(images.shape[0], dtype=torch.bool)
    for name, present in wanted.items():
        p = probs[:, reader.label_names.index(name)]
        ok &= (p > 0.5) if present else (p < 0.5)
    return round(float(ok.float().mean()), 3)


def run(model: Pretrained, guide: Pretrained, pool: ExemplarPool, readers: dict[str, Pretrained], sets, n: int) -> dict:
    shell = model.arch.z_dim**0.5
    codes = {"plain sum": [], "plain sum on the shell": [], "C's mean alone": [], "corrected": [], "neighbours": []}
    norms, seconds = [], []
    for seed in range(n):
        started = time.perf_counter()
        fit = solve(model, guide, pool, *sets, seed=seed)
        seconds.append(time.perf_counter() - started)
        plain = fit.means[0] - fit.means[1] + fit.means[2]
        norms.append(float(plain.norm()))
        codes["plain sum"].append(plain[None])
        codes["plain sum on the shell"].append((plain * shell / plain.norm())[None])
        codes["C's mean alone"].append(fit.means[2:3])
        codes["corrected"].append(fit.codes[:1])
        codes["neighbours"].append(fit.codes[1:])
    out = {
        "implied": fit.implied,
        "plain_sum_norm_median": round(statistics.median(norms), 2),
        "shell_radius": round(shell, 2),
        "answer_seconds_median": round(statistics.median(seconds), 3),
    }
    with torch.no_grad():
        for what, parts in codes.items():
            images = torch.cat([model.generate(part) for part in torch.cat(parts).split(64)])
            out[what] = {reader: has_all(r, images, fit.implied) for reader, r in readers.items()}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100, help="seeds 0 .. n-1")
    p.add_argument("--judge", help="a second attribute classifier, trained apart from the shipped one")
    p.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    p.add_argument("--equation", choices=sorted(EQUATIONS), action="append", help="default: both")
    args = p.parse_args()
    folder = Path(args.checkpoints)
    guide = load_pretrained(folder / "classifier-celeba64")
    pools = {name: ExemplarPool.load(exemplars_path(folder / name)) for name in MODELS}
    readers = {"shipped classifier": guide}
    if args.judge:
        readers["judge"] = load_pretrained(args.judge)
    result = {}
    for name in MODELS:
        model = load_pretrained(folder / name)
        for equation in args.equation or sorted(EQUATIONS):
            result[f"{name} {equation}"] = run(model, guide, pools[name], readers, EQUATIONS[equation], args.n)
            print(f"{name} {equation}: {json.dumps(result[f'{name} {equation}'])}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

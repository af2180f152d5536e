"""The model card's analyses beside `evaluate`'s metrics, each one command, printing JSON.

    python bench/card_analysis.py digits --data ../shared/data/mnist
    python bench/card_analysis.py label-gap --data ../shared/data/celeba64
    python bench/card_analysis.py edit-strength --strength 2.5

digits: aegan-mnist's share of 1,000 samples the digit classifier labels with confidence >= 0.9,
from N(0, I), truncated codes, a Gaussian fitted to the encoded training digits, and for the
reconstructions of 1,000 training digits. label-gap: per edited attribute, the mean absolute
difference of the other 39 attributes' label frequencies between faces with and without it.
edit-strength: `evaluate`'s conditional edit success at another strength.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_demo.attributes import encode_all  # noqa: E402
from gan_demo.data import load_images, split_holdout  # noqa: E402
from gan_demo.latent import Directions, directions_path, sample_codes  # noqa: E402
from gan_demo.metrics import EDIT_TARGETS, KEEP_DEFAULT, edit_success  # noqa: E402
from gan_demo.pretrained import load_pretrained  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@torch.no_grad()
def digits(args) -> dict:
    model = load_pretrained(model_path(args.checkpoint, "aegan-mnist"))
    classifier = load_pretrained(model_path(args.classifier, "classifier-mnist"))

    def confident(images: torch.Tensor) -> float:
        probs = torch.cat([classifier.probabilities(part) for part in images.split(250)])
        return round(float((probs.max(1).values >= 0.9).float().mean()), 3)

    z = sample_codes(1000, model.arch.z_dim, seed=31)  # evaluate's digit codes
    train, _ = split_holdout(load_images(args.data, size=model.arch.size, channels=1), args.holdout)
    codes = encode_all(model, train.images)
    fitted = torch.distributions.MultivariateNormal(
        codes.mean(0), covariance_matrix=torch.cov(codes.T) + 1e-4 * torch.eye(codes.shape[1])
    )
    torch.manual_seed(0)
    return {
        "prior": confident(model.generate(z)),
        **{f"codes_scaled_{s}": confident(model.generate(z * s)) for s in (0.9, 0.8, 0.7)},
        "gaussian_fitted_to_encoded_digits": confident(model.generate(fitted.sample((1000,)))),
        "reconstructions_of_1000_training_digits": confident(model.generate(codes[:1000])),
    }


def label_gap(args) -> dict:
    data = load_images(args.data, size=64, channels=3)
    labels = (data.labels > 0.5).float()
    out = {}
    for attr in EDIT_TARGETS:
        i = data.label_names.index(attr)
        gap = (labels[labels[:, i] == 1].mean(0) - labels[labels[:, i] == 0].mean(0)).abs()
        others = [j for j in range(labels.shape[1]) if j != i]
        top = sorted(others, key=lambda j: -gap[j])[:4]
        out[attr] = {
            "mean_other_gap": round(float(gap[others].mean()), 3),
            "largest": {data.label_names[j]: round(float(gap[j]), 2) for j in top},
        }
    return out


def edit_strength(args) -> dict:
    model = load_pretrained(model_path(args.checkpoint, "aegan-celeba64"))
    classifier = load_pretrained(model_path(args.classifier, "classifier-celeba64"))
    directions = Directions.load(directions_path(model_path(args.checkpoint, "aegan-celeba64")))
    return {
        attr: edit_success(model, classifier, directions, attr, strength=args.strength, keep=KEEP_DEFAULT)
        for attr in EDIT_TARGETS
    }


def model_path(given: str | None, default: str) -> Path:
    return Path(given) if given else ROOT / "checkpoints" / default


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("analysis", choices=["digits", "label-gap", "edit-strength"])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "celeba64"))
    p.add_argument("--holdout", type=int, default=500)
    p.add_argument("--checkpoint", help="default: the shipped model the analysis is about")
    p.add_argument("--classifier")
    p.add_argument("--strength", type=float, default=2.0)
    args = p.parse_args()
    run = {"digits": digits, "label-gap": label_gap, "edit-strength": edit_strength}[args.analysis]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()

"""The model card's analyses beside `evaluate`'s metrics, each one command, printing JSON.

    python -m bench.card_analysis digits --data ../shared/data/mnist
    python -m bench.card_analysis digit-edits --judge runs/clf-mnist-seed1/classifier-mnist
    python -m bench.card_analysis label-gap --data ../shared/data/celeba64
    python -m bench.card_analysis edit-strength --strength 2.5
    python -m bench.card_analysis projection-steps --n 20
    python -m bench.card_analysis projection-edits --n 100 --grid checkpoints/cards/aegan-celeba64-detail.png
    python -m bench.card_analysis refit --before STAGE1_CHECKPOINT --grid checkpoints/cards/aegan-celeba64-refit.png
    python -m bench.card_analysis guided --judge runs/clf-seed1/classifier-celeba64 --grid checkpoints/cards/aegan-celeba64-guided.png

digits: aegan-mnist's share of 1,000 samples the digit classifier labels with confidence >= 0.9,
from N(0, I), truncated codes, a Gaussian fitted to the encoded training digits, and for the
reconstructions of 1,000 training digits. digit-edits: both digit GANs' edits of 200 samples,
plain, conditional and guided: stroke thickness and slant at -/+ strength (the measured change, the share
moved the right way, the share the classifier still reads as the same digit) and each digit
identity at + strength (the share that becomes that digit), read by classifier-mnist (the guide)
and by --judge. label-gap: per edited attribute, the mean absolute
difference of the other 39 attributes' label frequencies between faces with and without it.
edit-strength: `evaluate`'s conditional edit success at another strength. projection-steps:
the AE+GAN's projection PSNR on the first n held-out faces at 1, 3, 10, 100 (the default), 200
and 400 optimisation steps, by the code alone and with the bounded detail. projection-edits:
the AE+GAN's projection of the first n held-out faces, by the code alone and with the bounded detail (gan_demo.latent.inversion.DETAIL_BOUND, or
--detail-bound): PSNR, and the conditional and guided edits of the four target attributes from
each projection (towards the side the classifier says the reconstruction is not on); --grid: 8
photos above, for each way, their projections and guided Eyeglasses edits. refit: the AE+GAN's
encoder before and after `train.py --model encoder`: encoder-only PSNR on the first 100 held-out
faces, how far the encoded codes are from N(0, I), and a grid of 8 held-out photos above both
encoders' reconstructions. guided: both GANs' conditional and classifier-guided edits, read by
the shipped classifier and by a second one trained with another seed (--judge). The course's
equation has a bench of its own: bench/arithmetic.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torchvision.utils import save_image

import gan_demo.latent.guided
from gan_demo.data.datasets import load_images, split_holdout, to_float, to_uint8
from gan_demo.domain import DIGIT_NAMES, FACES, STROKE_NAMES
from gan_demo.latent.attributes import encode_all
from gan_demo.latent.directions import Directions, directions_path
from gan_demo.latent.edits import conditional_rule, edit_codes
from gan_demo.latent.inversion import DETAIL_BOUND, project
from gan_demo.latent.strokes import stroke_measures
from gan_demo.metrics.evaluation import across, edit_report, edit_success, encoder_psnr, projection_psnr
from gan_demo.metrics.maths import psnr
from gan_demo.models.pretrained import load_pretrained
from gan_demo.models.sampling import sample_codes

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


@torch.no_grad()
def digit_edits(args) -> dict:
    if args.stay_weight is not None:
        gan_demo.latent.guided.STAY_WEIGHT = args.stay_weight
    classifier = load_pretrained(model_path(args.classifier, "classifier-mnist"))
    readers = {"": classifier}  # the guide reads its own result; --judge, trained apart, checks it
    if args.judge:
        readers["judge_"] = load_pretrained(args.judge)
    shipped = [model_path(None, name) for name in ("dcgan-mnist", "aegan-mnist")]
    out = {}
    for path in [Path(args.checkpoint)] if args.checkpoint else shipped:
        model, directions = load_pretrained(path), Directions.load(directions_path(path))
        z = sample_codes(200, model.arch.z_dim, seed=7)
        before = model.generate(z)
        digit = {key: reader.probabilities(before).argmax(1) for key, reader in readers.items()}
        measures = stroke_measures(to_uint8(before))
        rows = {}
        for mode in ("plain", "conditional", "guided"):
            for j, attr in enumerate(STROKE_NAMES):
                for strength in (-args.strength, args.strength):
                    after = edited_digits(model, classifier, directions, z, {attr: strength}, mode)
                    change = stroke_measures(to_uint8(after))[:, j] - measures[:, j]
                    rows[f"{mode} {attr} {strength:+g}"] = {
                        "mean_change": round(float(change.mean()), 2),
                        "moved_right_way": share(change * strength > 0),
                        **{
                            f"{key}digit_kept": share(reader.probabilities(after).argmax(1) == digit[key])
                            for key, reader in readers.items()
                        },
                    }
                    if args.judge:  # where the two read the sample alike before the edit
                        agreed = digit[""] == digit["judge_"]
                        kept = readers["judge_"].probabilities(after).argmax(1) == digit["judge_"]
                        rows[f"{mode} {attr} {strength:+g}"]["judge_digit_kept_where_both_agreed"] = share(kept[agreed])
            reached = {key: [] for key in readers}
            for d in DIGIT_NAMES:
                after = edited_digits(model, classifier, directions, z, {d: args.strength}, mode)
                for key, reader in readers.items():
                    reached[key].append(share(reader.probabilities(after).argmax(1) == int(d)))
            rows[f"{mode} each digit {args.strength:+g}"] = {
                **{f"{key}reached_mean": round(sum(r) / 10, 3) for key, r in reached.items()},
                **{f"{key}reached_min": min(r) for key, r in reached.items()},
            }
        out[path.name] = rows
    return out


def edited_digits(model, classifier, directions, z, strengths, mode) -> torch.Tensor:
    """Images of codes z edited plainly, conditionally, or guided by the digit classifier (the app's default)."""
    keep = conditional_rule(directions) if mode != "plain" else []
    guide = classifier if mode == "guided" else None
    return model.generate(edit_codes(model, directions, z, strengths, keep, guide=guide))


def share(flags: torch.Tensor) -> float:
    return round(float(flags.float().mean()), 3)


def label_gap(args) -> dict:
    data = load_images(args.data, size=64, channels=3)
    labels = (data.labels > 0.5).float()
    out = {}
    for attr in FACES.edit_targets:
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
        attr: edit_success(
            model, classifier, directions, attr, strength=args.strength, keep=conditional_rule(directions)
        )
        for attr in FACES.edit_targets
    }


def guided(args) -> dict:
    """Conditional and guided edits of both GANs (evaluate's edit metric), each read by the shipped
    classifier (which guides) and by --judge, a classifier trained apart: if guidance only fooled
    its own classifier, the judge would not see the flips, or would see the drift. --grid: 8
    AE+GAN samples above, per attribute, their conditional and their guided edit."""
    guide = load_pretrained(model_path(args.classifier, "classifier-celeba64"))
    judge = load_pretrained(args.judge)
    if args.hold_weight is not None:
        gan_demo.latent.guided.HOLD_WEIGHT = args.hold_weight
    out = {"hold_weight": gan_demo.latent.guided.HOLD_WEIGHT}
    for name in ("aegan-celeba64", "dcgan-celeba64"):
        model = load_pretrained(ROOT / "checkpoints" / name)
        directions = Directions.load(directions_path(ROOT / "checkpoints" / name))
        z = sample_codes(200, model.arch.z_dim, seed=777)  # evaluate's edit samples
        rows = [model.generate(z[:8]).cpu()]
        out[name] = {}
        for attr in FACES.edit_targets:
            strength = {attr: 2.0 * across(model, guide, z, attr)}
            out[name][attr] = {}
            for mode in ("conditional", "guided"):
                edited = edit_codes(
                    model,
                    directions,
                    z,
                    strength,
                    conditional_rule(directions),
                    guide=guide if mode == "guided" else None,
                )
                out[name][attr][mode] = {
                    "shipped classifier": edit_report(model, guide, z, edited, attr),
                    "judge": edit_report(model, judge, z, edited, attr),
                }
                rows.append(model.generate(edited[:8]).cpu())
        if args.grid and name == "aegan-celeba64":
            save_image(torch.cat(rows).add(1).div(2).clamp(0, 1), args.grid, nrow=8)
    return out


STEPS_TRIED = (1, 3, 10, 100, 200, 400)  # 100 is the default


def projection_steps(args) -> dict:
    model = load_pretrained(model_path(args.checkpoint, "aegan-celeba64"))
    _, held = split_holdout(load_images(args.data, size=model.arch.size, channels=model.arch.channels), args.holdout)
    photos = to_float(held.images[: args.n])
    return {
        name: {
            f"{steps}_steps_psnr_db": round(projection_psnr(model, photos, bound, steps), 2) for steps in STEPS_TRIED
        }
        for name, bound in (("code_alone", 0.0), ("with_detail", DETAIL_BOUND))
    }


@torch.no_grad()
def refit(args) -> dict:
    after = load_pretrained(model_path(args.checkpoint, "aegan-celeba64"))
    before = load_pretrained(args.before)
    _, held = split_holdout(load_images(args.data, size=after.arch.size, channels=after.arch.channels), args.holdout)
    photos = to_float(held.images[:100])
    out = {}
    for name, model in (("before", before), ("after", after)):
        codes = model.encode(photos)
        out[name] = {
            "encoder_psnr_db": round(encoder_psnr(model, photos), 2),
            "code_norm_over_sqrt_dim": round(float(codes.norm(dim=1).mean()) / codes.shape[1] ** 0.5, 3),
            "code_mean_abs": round(float(codes.mean(0).abs().mean()), 3),
            "code_std": round(float(codes.std(0).mean()), 3),
        }
    if args.grid:
        rows = [photos[:8], *(m.generate(m.encode(photos[:8])) for m in (before, after))]
        save_image(torch.cat(rows).add(1).div(2).clamp(0, 1), args.grid, nrow=8)
        out["grid"] = args.grid
    return out


def projection_edits(args) -> dict:
    model = load_pretrained(model_path(args.checkpoint, "aegan-celeba64"))
    classifier = load_pretrained(model_path(args.classifier, "classifier-celeba64"))
    directions = Directions.load(directions_path(model_path(args.checkpoint, "aegan-celeba64")))
    _, held = split_holdout(load_images(args.data, size=model.arch.size, channels=model.arch.channels), args.holdout)
    photos = to_float(held.images[: args.n])
    out, rows = {}, [photos[:8]]
    for bound in (0.0, DETAIL_BOUND if args.detail_bound is None else args.detail_bound):
        fits = [project(model, x, detail_bound=bound) for x in photos.split(1)]
        z = torch.cat([f.z for f in fits])
        detail = torch.cat([f.detail for f in fits]) if bound > 0 else None
        report = {"psnr_db": round(sum(psnr(f.image, x) for f, x in zip(fits, photos.split(1))) / args.n, 2)}
        glasses = None
        for attr in FACES.edit_targets:
            strength = {attr: args.strength * across(model, classifier, z, attr, detail)}
            report[attr] = {}
            for mode, guide in (("conditional", None), ("guided", classifier)):
                edited = edit_codes(
                    model, directions, z, strength, conditional_rule(directions), guide=guide, detail=detail
                )
                report[attr][mode] = edit_report(model, classifier, z, edited, attr, detail)
                if attr == "Eyeglasses" and mode == "guided":  # the grid's row of edits
                    glasses = model.generate(edited[:8], None if detail is None else detail[:8]).cpu()
        rows += [torch.cat([f.image for f in fits[:8]]), *([glasses] if glasses is not None else [])]
        out[f"detail_bound_{bound}"] = report
    if args.grid:
        save_image(torch.cat(rows).add(1).div(2).clamp(0, 1), args.grid, nrow=8)
        out["grid"] = args.grid
    return out


def model_path(given: str | None, default: str) -> Path:
    return Path(given) if given else ROOT / "checkpoints" / default


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "analysis",
        choices=[
            "digits",
            "digit-edits",
            "label-gap",
            "edit-strength",
            "projection-steps",
            "projection-edits",
            "refit",
            "guided",
        ],
    )
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "celeba64"))
    p.add_argument("--holdout", type=int, default=500)
    p.add_argument("--checkpoint", help="default: the shipped model the analysis is about")
    p.add_argument("--classifier")
    p.add_argument("--strength", type=float, default=2.0)
    p.add_argument("--n", type=int, default=20, help="projection-steps, -edits: held-out faces")
    p.add_argument(
        "--detail-bound", type=float, help="projection-edits: instead of gan_demo.latent.inversion.DETAIL_BOUND"
    )
    p.add_argument("--before", help="refit: the first-stage aegan checkpoint")
    p.add_argument("--grid", help="refit, guided, projection-edits: write the comparison grid PNG here")
    p.add_argument("--judge", help="guided, digit-edits: a second classifier, trained apart")
    p.add_argument("--hold-weight", type=float, help="guided: instead of gan_demo.latent.guided.HOLD_WEIGHT")
    p.add_argument("--stay-weight", type=float, help="digit-edits: instead of gan_demo.latent.guided.STAY_WEIGHT")
    args = p.parse_args()
    if args.analysis == "refit" and not args.before:
        p.error("refit needs --before STAGE1_CHECKPOINT")
    if args.analysis == "guided" and not args.judge:
        p.error("guided needs --judge CLASSIFIER (one trained apart from the shipped one)")
    run = {
        "digits": digits,
        "digit-edits": digit_edits,
        "label-gap": label_gap,
        "edit-strength": edit_strength,
        "projection-steps": projection_steps,
        "projection-edits": projection_edits,
        "refit": refit,
        "guided": guided,
    }[args.analysis]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()

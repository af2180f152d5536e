"""Face <-> map on the held-out shared faces: the segmenter against the average-map baseline, the
translators (pix2pix and its L1-only twin) by FCN-score and FID against nearest-neighbour
retrieval, the styles' spread, and the round trip's speed.

    python -m bench.face_maps --maps data/celeba64-maps.npz --grid checkpoints/cards/pix2pix-celeba64.png
    python -m bench.face_maps --segmenter runs/ab/segmenter-celeba64 --translators   # a segmenter alone
    python -m bench.face_maps --translators runs/maps/pix2pix-celeba64 --prior-styles  # styles from N(0, I)

Held out: the last 500 faces that have a map (as train.py --holdout 500 keeps them out). FCN-score
(Isola et al.): the shipped segmenter reads the faces made from the held-out maps, scored against
those maps; its "real photos" row reads the held-out photos themselves. The faces get random
styles (seeded, drawn where the training faces' styles lie: the translators' code-scale files;
from N(0, I) with --prior-styles). FID: the shipped face classifier's features, 500 faces against
the 500 held-out photos, the shipped DCGAN's 500 samples in the same measure. Retrieval: each
held-out map's training face whose map agrees with it on the most pixels (800-face pool, and the whole set).
Speed: median of 20 round trips (one photo -> map -> face) on this machine's threads.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from gan_demo.data.datasets import attach_maps, load_images, split_holdout, to_float
from gan_demo.latent.code_scale import random_codes, scale_beside
from gan_demo.metrics.maths import FID_SEED, features, fid, generator_scores
from gan_demo.metrics.segmentation import average_map, fcn_score, map_scores, nearest_maps
from gan_demo.models.pretrained import load_pretrained
from gan_demo.models.sampling import sample_codes

ROOT = Path(__file__).resolve().parent.parent
CK = ROOT / "checkpoints"


def rounded(scores: dict) -> dict:
    return {k: round(v, 4) for k, v in scores.items() if k != "iou"} | {"iou": scores["iou"]}


GRID = 8  # held-out faces in the grid's rows


def write_grid(path: str, photos: torch.Tensor, maps: torch.Tensor, translators: dict, scales: dict) -> None:
    from torchvision.utils import save_image

    from gan_demo.data.face_parts import colorize

    rows = [torch.from_numpy(colorize(maps.numpy())).permute(0, 3, 1, 2).float() / 127.5 - 1, photos]
    for name, model in translators.items():
        rows.append(model.translate(maps, model.style_of(photos)))
        rows += [model.translate(maps, random_codes(model, len(maps), seed, scales[name])) for seed in (1, 2)]
    save_image(torch.cat(rows).add(1).div(2).clamp(0, 1), path, nrow=len(maps), padding=1)
    print(f"wrote {path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "celeba64"))
    p.add_argument("--maps", default=str(ROOT / "data" / "celeba64-maps.npz"))
    p.add_argument("--holdout", type=int, default=500)
    p.add_argument("--pool", type=int, default=800, help="the retrieval baseline's smaller pool")
    p.add_argument(
        "--grid",
        help="write a PNG: rows of held-out maps, their photos, then per translator the face in the photo's own style and in two random styles",
    )
    p.add_argument("--segmenter", default=str(CK / "segmenter-celeba64"), help="the face -> map checkpoint scored")
    p.add_argument(
        "--translators",
        nargs="*",
        default=[str(CK / "pix2pix-celeba64"), str(CK / "pix2pix-l1-celeba64")],
        help="the map -> face checkpoints scored (none: the segmenter alone)",
    )
    p.add_argument("--prior-styles", action="store_true", help="random styles from N(0, I), not the code-scale files")
    args = p.parse_args()
    torch.manual_seed(0)
    train, held = split_holdout(attach_maps(load_images(args.data), args.maps), args.holdout)
    photos, maps = to_float(held.images), held.labels
    segmenter = load_pretrained(args.segmenter)
    judge = load_pretrained(CK / "classifier-celeba64")
    real_features = features(judge, photos)
    report: dict = {"held_out_faces": len(held), "training_faces": len(train)}

    guess = average_map(train.labels).expand(len(held), -1, -1)
    report["segmenter"] = {
        "average_map": rounded(map_scores(guess, maps)),
        "segmenter": rounded(fcn_score(segmenter, photos, maps)),
    }

    if not args.translators:
        print(json.dumps(report))
        return
    translators = {model.name: model for model in map(load_pretrained, args.translators)}
    # random styles where each translator's training faces' styles lie (its code-scale file)
    scales = {
        name: None if args.prior_styles else scale_beside(model.path, model.arch.z_dim)
        for name, model in translators.items()
    }
    fcn = {"real_photos": report["segmenter"]["segmenter"]}
    fids, spread = {}, {}
    for name, model in translators.items():
        styles = random_codes(model, len(held), FID_SEED, scales[name])
        made = torch.cat([model.translate(m, s) for m, s in zip(maps.split(100), styles.split(100))])
        fcn[name] = rounded(fcn_score(segmenter, made, maps))
        fids[name] = round(fid(features(judge, made), real_features), 3)
        other = torch.cat([model.translate(m, s) for m, s in zip(maps.split(100), styles.roll(1, 0).split(100))])
        spread[name] = round(float((made - other).abs().mean() / 2), 4)  # mean |difference| on [0, 1]
    for label, pool in ((f"retrieval_{args.pool}", train.subset(slice(0, args.pool))), ("retrieval_all", train)):
        picks = nearest_maps(maps, pool.labels)
        found = to_float(pool.images[picks])
        fcn[label] = rounded(fcn_score(segmenter, found, maps))
        fcn[label]["its_map_against_the_query"] = round(map_scores(pool.labels[picks], maps)["miou"], 4)
        fids[label] = round(fid(features(judge, found), real_features), 3)
    dcgan = load_pretrained(CK / "dcgan-celeba64")
    fids["dcgan-celeba64_samples"] = round(
        generator_scores(
            dcgan.generate, sample_codes(len(held), dcgan.arch.z_dim, seed=FID_SEED), judge, real_features
        )["fid"],
        3,
    )
    report |= {"fcn_score": fcn, "fid": fids, "style_spread": spread}
    if args.grid:
        write_grid(args.grid, photos[:GRID], maps[:GRID], translators, scales)

    model = next(iter(translators.values()))
    one, style = photos[:1], model.style_of(photos[:1])

    def round_trip():
        return model.translate(segmenter.segment(one), style)

    round_trip()
    times = []
    for _ in range(20):
        start = time.perf_counter()
        round_trip()
        times.append(time.perf_counter() - start)
    report["round_trip_s"] = round(statistics.median(times), 4)
    report["threads"] = torch.get_num_threads()
    print(json.dumps(report, indent=1))
    print(json.dumps(report))


if __name__ == "__main__":
    main()

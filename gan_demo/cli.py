"""`python -m gan_demo <command>`: the latent toolkit from scripts and smoke tests.

Commands: sample, interpolate, edit, project, inpaint, colorize, directions, exemplars, evaluate,
predict (video frames), segment (face -> part map), translate (part map -> face); every one takes --checkpoint (a path without extension, or either file)
and --device, and prints what it wrote. moving-mnist writes a set of test clips, video-digits the
digits the app's clips are made of.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torchvision.utils import save_image
from tqdm import tqdm

from gan_demo.data import moving_mnist
from gan_demo.data.datasets import IMAGE_SUFFIXES, load_images
from gan_demo.data.map_files import load_map, save_map
from gan_demo.data.photos import ImageInputError, load_mask, load_photo, open_image, save_frames, to_pil, to_tensor
from gan_demo.domain import parse_filters
from gan_demo.latent.attributes import directions_from_classifier, directions_from_photos
from gan_demo.latent.average import average_code, truncated
from gan_demo.latent.code_scale import code_scale_path, measure, random_codes, scale_beside, seed_codes
from gan_demo.latent.directions import Directions, directions_path
from gan_demo.latent.edits import arithmetic, edit_codes, subject
from gan_demo.latent.equation import POOL, ExemplarPool, build_pool, exemplars_path, solve
from gan_demo.latent.inversion import DETAIL_BOUND, blank_detail, colorize_all, inpaint_all, luminance, project_all
from gan_demo.latent.paths import interpolate_with_detail
from gan_demo.limits import bounded_int
from gan_demo.metrics.evaluation import METRICS, evaluate
from gan_demo.metrics.maths import psnr
from gan_demo.models.checkpoints import CheckpointError
from gan_demo.models.pretrained import Pretrained, classifier_for, load_pretrained
from gan_demo.models.sampling import sample_codes
from gan_demo.runtime import resolve_device

MAX_SEEDS = 10_000  # --seeds of one command
DEFAULT_BATCH = 16  # photos of a folder in one optimisation: several times the speed of one by one on a CPU
MAX_BATCH = 256
PREDICT_CHUNK = 100  # clips read, converted and predicted at a time: a 100,000-clip file never sits in memory as floats


def safe_output(out_dir: Path, relative: Path, suffix: str) -> Path:
    """out_dir/relative with `suffix`, refusing names that would land outside out_dir."""
    target = (out_dir / relative).with_suffix(suffix).resolve()
    if not target.is_relative_to(out_dir.resolve()):
        raise ValueError(f"output name {relative} would leave {out_dir}")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def inputs(image: str) -> list[tuple[Path, Path]]:
    """--image as a file or a folder -> (path, name relative to the input root) pairs."""
    root = Path(image)
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise ImageInputError(f"{root}: no images found")
        return [(p, p.relative_to(root)) for p in files]
    if not root.is_file():
        raise ImageInputError(f"{root}: file not found")
    return [(root, Path(root.name))]


def write(images: torch.Tensor, paths: list[Path]) -> None:
    for im, path in zip(to_pil(images), paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        im.save(path)
        tqdm.write(f"wrote {path}", file=sys.stdout)  # beside a progress bar, if one is drawn


def grid(images: torch.Tensor, path: Path, nrow: int = 8) -> None:
    save_image(images.add(1).div(2).clamp(0, 1), path, nrow=nrow)
    print(f"wrote {path}")


def cmd_sample(model: Pretrained, args) -> None:
    scale = scale_beside(args.checkpoint, model.arch.z_dim)
    seeds = range(args.seed, args.seed + args.n)  # each image its own seed, as in the app's Generate
    z = truncated(seed_codes(model, seeds, scale), args.truncation, lambda: average_code(model, scale))
    images = model.generate(z.to(model.device)).cpu()
    out = Path(args.out)
    write(images, [out / f"sample-{s}.png" for s in seeds])
    if args.grid:
        grid(images, out / f"grid-{args.seed}.png")


def subject_of(model: Pretrained, spec: str, detail_bound: float) -> tuple[torch.Tensor, torch.Tensor | None]:
    """'seed:N' -> a sampled code; a file path -> the photo's projected code; each with its detail."""
    if spec.startswith("seed:"):
        return subject(model, int(spec[5:]))
    return subject(model, photo=load_photo(spec, model.arch.size, model.arch.channels), detail_bound=detail_bound)


def cmd_interpolate(model: Pretrained, args) -> None:
    codes, details = zip(*(subject_of(model, s, args.detail_bound) for s in args.keyframes))
    path = interpolate_with_detail(torch.cat(codes), details, args.frames, args.method)
    frames = model.generate(*path).cpu()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid(frames, out / "frames.png", nrow=args.frames)
    for suffix in (".gif", ".mp4"):
        print(f"wrote {save_frames(frames, out / ('morph' + suffix), fps=args.fps)}")


def parse_seeds(text: str) -> list[int]:
    """'0-99' -> 0 .. 99; '1,5,9' -> those; ranges and numbers may mix ('0-3,10')."""
    seeds = []
    for part in (p.strip() for p in text.split(",")):
        first, dash, last = part.partition("-")
        try:
            low, high = int(first), int(last if dash else first)
        except ValueError:
            raise ValueError(f"--seeds takes numbers and ranges such as 0-99 or 1,5,9, got {text!r}") from None
        if not 0 <= low <= high or high - low >= MAX_SEEDS:
            raise ValueError(f"--seeds: {part!r} is not a range of 1 to {MAX_SEEDS} seeds from 0 up")
        seeds.extend(range(low, high + 1))
    if len(seeds) > MAX_SEEDS:
        raise ValueError(f"--seeds names {len(seeds)} seeds, at most {MAX_SEEDS}")
    return seeds


def cmd_equation(model: Pretrained, args) -> None:
    """--equation A B C: each seed's corrected result (gan_demo.latent.equation) as DIR/SEED.png."""
    if args.attribute or args.arithmetic or args.image:
        raise ValueError("--equation makes its own faces: give it without --attribute, --arithmetic or --image")
    guide = classifier_for(model, args.classifier)
    sets = [parse_filters(text) for text in args.equation]
    out = Path(args.out)
    seeds = parse_seeds(args.seeds)
    pool = exemplar_pool(model, guide, args.checkpoint)
    for seed in tqdm(seeds, desc="equation", unit="seed", disable=len(seeds) < 2):
        fit = solve(model, guide, pool, *sets, seed=seed, k=args.exemplars, grid=1)
        write(model.generate(fit.codes).cpu(), [out / f"{seed}.png"])


def exemplar_pool(model: Pretrained, guide: Pretrained, checkpoint: str) -> ExemplarPool:
    """The pool beside the checkpoint when it was read by this classifier, else a fresh one."""
    path = exemplars_path(checkpoint)
    if path.exists():
        pool = ExemplarPool.load(path)
        if pool.fits(model, guide):
            return pool
    print(f"sampling {POOL} codes for the exemplar sets (python -m gan_demo exemplars saves them)", file=sys.stderr)
    return build_pool(model, guide)


def cmd_exemplars(model: Pretrained, args) -> None:
    pool = build_pool(model, classifier_for(model, args.classifier), args.n)
    print(f"wrote {pool.save(exemplars_path(args.checkpoint))}")


def cmd_code_scale(model: Pretrained, args) -> None:
    n = bounded_int(args.n, "--n", 2, 1_000_000)
    data = load_images(args.data, model.arch.size, model.arch.channels)
    images = data.images[:n].float() / 127.5 - 1
    scale = measure(model, images)
    print(f"wrote {scale.save(code_scale_path(args.checkpoint))} (the codes of {scale.images} images)")


def cmd_edit(model: Pretrained, args) -> None:
    if args.equation:
        return cmd_equation(model, args)
    directions = Directions.load(args.directions or directions_path(args.checkpoint))
    if args.guided and not args.attribute:
        raise ValueError("--guided edits attributes: give --attribute")
    for name in [*(args.attribute or []), *(args.keep or [])]:
        directions.index(name)  # an unknown name fails here, with the known ones listed
    out = Path(args.out)
    if args.arithmetic:
        pools = [sample_codes(args.exemplars, model.arch.z_dim, s) for s in args.arithmetic]
        z, detail = arithmetic(*pools), blank_detail(model)
    else:
        spec = args.image if args.image else f"seed:{args.seed}"
        z, detail = subject_of(model, spec, args.detail_bound)
    rows = []
    guide = classifier_for(model, args.classifier) if args.guided else None
    for attr in args.attribute or []:
        strengths = torch.linspace(-args.strength, args.strength, args.steps)  # one image each
        codes = edit_codes(
            model,
            directions,
            z.expand(len(strengths), -1),
            {attr: strengths},
            args.keep or [],
            args.method,
            guide,
            detail,
        )
        rows.append(model.generate(codes, detail).cpu())
    if not rows:
        rows.append(model.generate(z, detail).cpu())
    out.mkdir(parents=True, exist_ok=True)
    grid(torch.cat(rows), out / "edit.png", nrow=rows[0].shape[0])


def per_batch(model: Pretrained, args, run, with_masks: bool = False, report=None) -> None:
    """run(photos (B, C, S, S), holes (B, 1, S, S) or None) -> B images, for the --image photos
    in batches of --batch-size (one optimisation each), outputs mirroring the names under --out;
    report(path, photo, image), if given, says something of each. In a folder an unusable file
    (or its mask) is reported and skipped so the others are still written, and the command fails
    at the end."""
    out = Path(args.out)
    pairs = inputs(args.image)
    batch_size = bounded_int(args.batch_size, "--batch-size", 1, MAX_BATCH)
    loaded, failures = [], []
    for path, rel in pairs:  # decoded first, so a bad file never costs a batch its optimisation
        try:
            original = open_image(path)
            photo = to_tensor(original, model.arch.size, model.arch.channels)
            hole = mask_for(args, path, rel, model.arch.size, original.size) if with_masks else None
        except ImageInputError as err:
            if len(pairs) == 1:
                raise
            failures.append(str(err))
            print(f"skipped {path}: {err}", file=sys.stderr)
            continue
        loaded.append((path, rel, photo, hole))
    with tqdm(total=len(loaded), unit="photo", disable=len(loaded) < 2, desc=args.command) as bar:
        for start in range(0, len(loaded), batch_size):
            chunk = loaded[start : start + batch_size]
            photos = torch.cat([photo for _, _, photo, _ in chunk]) if len(chunk) > 1 else chunk[0][2]
            holes = None
            if with_masks:
                holes = torch.cat([hole for _, _, _, hole in chunk]) if len(chunk) > 1 else chunk[0][3]
            for (path, rel, photo, _), image in zip(chunk, run(photos, holes)):
                if report is not None:
                    report(path, photo, image)
                write(image, [safe_output(out, rel, ".png")])
            bar.update(len(chunk))
    if failures:
        raise ImageInputError(f"{len(failures)} of {len(pairs)} images could not be used (listed above)")


def cmd_project(model: Pretrained, args) -> None:
    def run(photos, holes):
        return [
            fit.image for fit in project_all(model, photos, args.steps, args.candidates, detail_bound=args.detail_bound)
        ]

    def report(path, photo, image):
        tqdm.write(f"{path}: PSNR {psnr(image, photo):.2f} dB", file=sys.stdout)

    per_batch(model, args, run, report=report)


def mask_for(args, path: Path, rel: Path, size: int, photo_size: tuple[int, int]) -> torch.Tensor:
    mask = Path(args.mask)
    if mask.is_dir():
        candidates = [mask / rel.with_suffix(".png"), mask / rel]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise ImageInputError(f"{mask}: no mask named {rel.with_suffix('.png')} for {path}")
        mask = found
    return load_mask(mask, size, expect=photo_size)


def cmd_inpaint(model: Pretrained, args) -> None:
    def run(photos, holes):
        fits = inpaint_all(model, photos, holes, args.steps, args.candidates, blend=args.blend)
        return [fit.image for fit in fits]

    per_batch(model, args, run, with_masks=True)


def cmd_colorize(model: Pretrained, args) -> None:
    def run(photos, holes):
        return [fit.image for fit in colorize_all(model, luminance(photos), args.steps, args.candidates)]

    per_batch(model, args, run)


def cmd_directions(model: Pretrained, args) -> None:
    if model.has_encoder and args.data:
        directions = directions_from_photos(model, args.data, args.holdout)
    else:
        directions = directions_from_classifier(model, classifier_for(model, args.classifier), args.n)
    print(f"wrote {directions.save(directions_path(args.checkpoint))}")


def cmd_evaluate(model: Pretrained, args) -> None:
    for field in ("n", "fit_n"):
        bounded_int(getattr(args, field), "--" + field.replace("_", "-"), 1, 10**6)
    report = evaluate(model, args.data, args.holdout, args.metrics, args.classifier, args.n, args.fit_n)
    print(json.dumps(report, indent=2))


def cmd_predict(model: Pretrained, args) -> None:
    """The --frames frames that follow the first ten of every clip in --clips (the protocol's input),
    read and predicted a chunk of clips at a time."""
    if not model.spec.can("predict"):
        raise CheckpointError(
            f"{args.checkpoint}: a {model.kind} does not predict frames; 'predict' needs a video model"
        )
    frames = bounded_int(args.frames, "--frames", 1, moving_mnist.MAX_CLIP_FRAMES)
    out = Path(args.out)
    if out.suffix != ".npy":
        raise ValueError(f"--out {out}: the predictions are written as a .npy file")
    clips = moving_mnist.open_clips(args.clips, moving_mnist.INPUT_FRAMES, args.frames_first)
    predicted = np.empty((len(clips), frames, moving_mnist.FRAME, moving_mnist.FRAME), np.uint8)
    with tqdm(total=len(clips), unit="clip", disable=len(clips) < 200, desc="predict") as bar:
        for start in range(0, len(clips), PREDICT_CHUNK):
            part = moving_mnist.as_frames(clips[start : start + PREDICT_CHUNK], Path(args.clips).name)
            predicted[start : start + len(part)] = moving_mnist.to_uint8(model.predict(part, frames))
            bar.update(len(part))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, predicted)
    print(f"wrote {out}: {len(clips)} clips of {frames} predicted frames, uint8 (N, {frames}, 64, 64)")


def needs(model: Pretrained, ability: str, command: str, what: str) -> None:
    if not model.spec.can(ability):
        raise CheckpointError(f"a {model.kind} checkpoint does not {ability}; '{command}' needs {what}")


def each_readable(pairs: list[tuple[Path, Path]], read, what: str):
    """(path, relative name, read(path)) for every input `read` can use; in a folder an unusable
    file is reported and skipped, and the command fails at the end, after the others."""
    failures = []
    for path, rel in pairs:
        try:
            value = read(path)
        except ImageInputError as err:
            if len(pairs) == 1:
                raise
            failures.append(path)
            print(f"skipped {path}: {err}", file=sys.stderr)
            continue
        yield path, rel, value
    if failures:
        raise ImageInputError(f"{len(failures)} of {len(pairs)} {what} could not be used (listed above)")


def cmd_segment(model: Pretrained, args) -> None:
    """OUT/NAME.png: each face's part map as class ids (mode L, 0-7); OUT/preview/NAME.png in the
    palette's colours."""
    needs(model, "segment", "segment", "a segmenter")
    out = Path(args.out)

    def read(path):
        return to_tensor(open_image(path), model.arch.size, model.arch.channels)

    for _, rel, face in each_readable(inputs(args.image), read, "images"):
        target = safe_output(out, rel, ".png")
        save_map(model.segment(face)[0].cpu().numpy(), target, safe_output(out / "preview", rel, ".png"))
        print(f"wrote {target}")


def cmd_translate(model: Pretrained, args) -> None:
    """OUT/NAME.png: one face per part map (class-id or palette-colour PNG), in the style of
    --style (a face) or of --seed's random style."""
    needs(model, "translate", "translate", "a pix2pix checkpoint")
    if args.style:
        style = model.style_of(to_tensor(open_image(args.style), model.arch.size, model.arch.channels))
    else:
        style = random_codes(model, 1, args.seed, scale_beside(args.checkpoint, model.arch.z_dim))

    def read(path):
        return torch.from_numpy(load_map(path, model.arch.size))[None]

    for _, rel, ids in each_readable(inputs(args.map), read, "maps"):
        write(model.translate(ids, style), [safe_output(Path(args.out), rel, ".png")])


def held_out_digits(args) -> tuple[torch.Tensor, torch.Tensor | None]:
    """--digits' digits 8,000 on (every one with --digits-from all) and their labels."""
    data = load_images(args.digits)
    if data.channels != 1:
        raise ValueError(f"--digits {args.digits}: expected gray digit images, found {data.channels} channels")
    labels = None if data.labels is None else data.labels.argmax(1)
    return moving_mnist.held_out_digits(moving_mnist.as_digits(data.images), labels, args.digits_from == "all")


def cmd_moving_mnist(args) -> None:
    """A Moving-MNIST-like test set from --digits, as uint8 (N, T, 64, 64)."""
    n = bounded_int(args.n, "--n", 1, moving_mnist.MAX_CLIPS_IN_FILE)
    frames = bounded_int(args.frames, "--frames", 1, moving_mnist.MAX_CLIP_FRAMES)
    digits, _ = held_out_digits(args)
    clips = moving_mnist.make_clips(digits, None, n, torch.Generator().manual_seed(args.seed), frames)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, moving_mnist.to_uint8(clips.frames))
    print(f"wrote {out}: {n} clips of {frames} frames, uint8 (N, {frames}, 64, 64)")


def cmd_video_digits(args) -> None:
    """The held-out digits the app's video clips are made of, beside a video checkpoint."""
    from gan_demo.clip_studio import digits_path, save_digits

    digits, labels = held_out_digits(args)
    if labels is None:
        raise ValueError(f"--digits {args.digits}: expected labelled digits (an MNIST IDX folder)")
    digits, labels = digits[: bounded_int(args.n, "--n", 1, moving_mnist.MAX_CLIPS_IN_FILE)], labels[: args.n]
    source = (
        "MNIST test set, digits 8,000 on (held out)" if args.digits_from == "held-out" else "every digit of --digits"
    )
    path = save_digits(digits_path(args.checkpoint), digits, labels, source)
    print(f"wrote {path}: {len(digits)} digits ({source})")


def equation_values(argv: list[str]) -> list[str]:
    """The three sets after --equation as values even when one starts with '-' ('-Male'), which
    argparse would read as an option: a leading space makes it a value (parse_filters strips it)."""
    out, i = list(argv), 0
    while i < len(out):
        if out[i] == "--equation":
            for j in range(i + 1, min(i + 4, len(out))):
                if out[j].startswith("-") and not out[j].startswith("--"):
                    out[j] = " " + out[j]
            i += 3
        i += 1
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    argv = equation_values(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(
        prog="python -m gan_demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)

    def command(
        name: str, help: str, out: bool = True, image: bool = False, optimise: bool = False, detail_bound: bool = False
    ):
        c = sub.add_parser(name, help=help)
        c.add_argument("--checkpoint", required=True, help="checkpoints/NAME (or NAME.safetensors / NAME.json)")
        c.add_argument("--device", default="auto")
        c.add_argument("--seed", type=int, default=0)
        if out:
            c.add_argument("--out", required=True, help="output folder")
        if image:
            c.add_argument("--image", required=True, help="a photo, or a folder of photos (outputs mirror the names)")
        if optimise:
            c.add_argument("--steps", type=int, help="optimisation steps (default 100 with an encoder, else 60)")
            c.add_argument(
                "--candidates", type=int, help="starting codes optimised together (default 1 with an encoder, else 4)"
            )
            c.add_argument(
                "--batch-size",
                type=int,
                default=DEFAULT_BATCH,
                help=f"photos of a folder optimised together (default {DEFAULT_BATCH}; 1: one by one)",
            )
        if detail_bound:
            c.add_argument(
                "--detail-bound",
                type=float,
                default=DETAIL_BOUND,
                help="how far a projected photo's detail may move the generator's first feature map (0: the code alone)",
            )
        return c

    c = command("sample", "N images from a seed")
    c.add_argument("--n", type=int, default=16)
    c.add_argument(
        "--truncation", type=float, default=1.0, help="below 1, samples moved towards the average face (0.7 in the app)"
    )
    c.add_argument("--grid", action="store_true", help="also write a contact sheet")
    c = command("interpolate", "a morph through keyframes (seed:N or photo paths): frames, GIF, MP4", detail_bound=True)
    c.add_argument("--keyframes", nargs="+", default=["seed:0", "seed:1"])
    c.add_argument("--frames", type=int, default=8)
    c.add_argument("--method", choices=("slerp", "lerp"), default="slerp")
    c.add_argument("--fps", type=int, default=8)
    c = command("edit", "attribute sliders or exemplar arithmetic", detail_bound=True)
    c.add_argument("--attribute", action="append", help="e.g. Smiling (repeatable)")
    c.add_argument("--keep", nargs="*", help="attributes to hold fixed (conditional direction)")
    c.add_argument(
        "--strength",
        type=float,
        default=2.0,
        help="in units of the attribute's separation (with --guided also the logit to reach)",
    )
    c.add_argument("--steps", type=int, default=5, help="images per attribute, from -strength to +strength")
    c.add_argument("--method", choices=("linear", "mean_difference"), default="linear")
    c.add_argument("--image", help="edit this photo's projected code instead of a sample")
    c.add_argument("--directions", help="default: CHECKPOINT.directions.safetensors")
    c.add_argument(
        "--guided",
        action="store_true",
        help="correct each step with the classifier so the other attributes (digits: the digit) keep their read-out",
    )
    c.add_argument(
        "--classifier",
        help="guides --guided edits (default: the classifier of the model's images beside it, "
        "else in the repository's checkpoints/)",
    )
    c.add_argument(
        "--arithmetic",
        nargs=3,
        type=int,
        metavar=("SEED_A", "SEED_B", "SEED_C"),
        help="mean(A) - mean(B) + mean(C) of sampled exemplar sets",
    )
    c.add_argument(
        "--equation",
        nargs=3,
        metavar=("A", "B", "C"),
        help="A - B + C in the app's syntax, e.g. 'Male, Eyeglasses' 'Male, -Eyeglasses' '-Male, -Eyeglasses': "
        "each of --seeds' results as OUT/SEED.png",
    )
    c.add_argument("--seeds", default="0", help="with --equation: a range or a list, e.g. 0-99 or 1,5,9")
    c.add_argument("--exemplars", type=int, default=3)
    command("project", "photo -> code -> reconstruction", image=True, optimise=True, detail_bound=True)
    c = command("inpaint", "fill the white pixels of --mask", image=True, optimise=True)
    c.add_argument(
        "--mask", required=True, help="a PNG of the photo's size (white = fill), or a folder matched by name"
    )
    c.add_argument("--blend", choices=("feather", "poisson", "none"), default="feather")
    command("colorize", "colour a gray face", image=True, optimise=True)
    c = command("directions", "compute and save the 40 attribute directions beside the checkpoint", out=False)
    c.add_argument("--data", help="labelled photos to encode (models with an encoder)")
    c.add_argument("--holdout", type=int, default=500)
    c.add_argument(
        "--classifier",
        help="labels samples, for models without an encoder (default: the classifier of the model's images "
        "beside it, else in the repository's checkpoints/)",
    )
    c.add_argument("--n", type=int, default=10000)
    c = command("exemplars", "sample and save the equation builder's exemplar pool beside the checkpoint", out=False)
    c.add_argument("--n", type=int, default=POOL, help="codes in the pool")
    c.add_argument(
        "--classifier",
        help="reads the samples (default: the classifier of the model's images beside it, else in checkpoints/)",
    )
    c = command(
        "code-scale",
        "measure where an autoencoder's codes (or a pix2pix translator's style codes) of real images lie, saved "
        "beside the checkpoint: its random samples (styles) are drawn there, since those codes are far from N(0, I)",
        out=False,
    )
    c.add_argument("--data", required=True, help="the images it was trained on (a folder, npz shards or IDX files)")
    c.add_argument("--n", type=int, default=2000, help="images whose codes are measured")
    c = command("predict", "video: the frames that follow each clip of a .npy file", out=False)
    c.add_argument(
        "--clips",
        required=True,
        help="uint8 (N, T >= 10, 64, 64) .npy, or the standard (20, N, 64, 64): the first 10 frames are the input",
    )
    c.add_argument("--out", required=True, help="the predictions, a .npy file: uint8 (N, FRAMES, 64, 64)")
    c.add_argument(
        "--frames", type=int, default=moving_mnist.PREDICTED_FRAMES, help="frames to predict (past 10: continued)"
    )
    c.add_argument(
        "--frames-first",
        action=argparse.BooleanOptionalAction,
        help="the file is (T, N, 64, 64), as mnist_test_seq.npy (default: only a file of exactly its shape, (20, 10000, 64, 64))",
    )
    command("segment", "face -> part map: OUT/NAME.png class ids 0-7, OUT/preview/NAME.png in colour", image=True)
    c = command("translate", "part map -> face: one RGB face per class-id (or palette-colour) PNG")
    c.add_argument("--map", required=True, help="a map PNG, or a folder of them (outputs mirror the names)")
    c.add_argument(
        "--style", help="a face whose style (colours, light) the faces take (default: --seed's random style)"
    )
    digits_from = {
        "choices": ("held-out", "all"),
        "default": "held-out",
        "help": "held-out: digits 8,000 on, which no video model trains on (train.py refuses); all: every digit",
    }
    c = sub.add_parser("moving-mnist", help="write Moving-MNIST-like test clips made from digit images")
    c.add_argument("--digits", required=True, help="MNIST IDX folder (or any folder of digit images)")
    c.add_argument("--n", type=int, default=1000)
    c.add_argument("--frames", type=int, default=moving_mnist.INPUT_FRAMES + moving_mnist.PREDICTED_FRAMES)
    c.add_argument("--seed", type=int, default=moving_mnist.HELD_OUT_SEED)
    c.add_argument("--digits-from", **digits_from)
    c.add_argument("--out", required=True, help="a .npy file")
    c = sub.add_parser("video-digits", help="store the held-out digits the app's video clips are made of")
    c.add_argument("--digits", required=True, help="MNIST IDX folder")
    c.add_argument("--checkpoint", required=True, help="the video checkpoint: writes CHECKPOINT.digits.safetensors")
    c.add_argument("--n", type=int, default=1000, help="the first N of them (all when fewer)")
    c.add_argument("--digits-from", **digits_from)
    c = command("evaluate", "metrics as JSON", out=False)
    c.add_argument("--data", required=True)
    c.add_argument("--holdout", type=int, default=500)
    c.add_argument(
        "--classifier",
        help="judges the samples: FID's features, edits' read-outs (default: the classifier of the model's "
        "images beside it, else in the repository's checkpoints/)",
    )
    c.add_argument("--n", type=int, default=500, help="samples and held-out images for FID")
    c.add_argument("--fit-n", type=int, default=100, help="held-out images for projection, inpainting and colorization")
    c.add_argument(
        "--metrics",
        nargs="*",
        choices=list(METRICS),
        default=list(METRICS),
    )
    return p.parse_args(argv)


COMMANDS = {
    "sample": cmd_sample,
    "interpolate": cmd_interpolate,
    "edit": cmd_edit,
    "project": cmd_project,
    "inpaint": cmd_inpaint,
    "colorize": cmd_colorize,
    "directions": cmd_directions,
    "exemplars": cmd_exemplars,
    "code-scale": cmd_code_scale,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "segment": cmd_segment,
    "translate": cmd_translate,
}


DATA_COMMANDS = {"moving-mnist": cmd_moving_mnist, "video-digits": cmd_video_digits}  # no model to load


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command in DATA_COMMANDS:
            DATA_COMMANDS[args.command](args)
            return 0
        model = load_pretrained(args.checkpoint, resolve_device(args.device))
        if model.G is None and args.command not in ("evaluate", "predict", "segment", "translate", "code-scale"):
            raise CheckpointError(f"{args.checkpoint}: a {model.kind} has no generator; '{args.command}' needs one")
        COMMANDS[args.command](model, args)
    except (CheckpointError, ImageInputError, ValueError, KeyError, RuntimeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

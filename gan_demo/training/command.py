"""Train a DCGAN, AE+GAN, plain AE, VAE or attribute classifier, or fit an encoder to a trained
generator (refit an AE+GAN's, or give a DCGAN one).

    python train.py --model dcgan --data ../shared/data/celeba64 --out runs/faces
    torchrun --nproc_per_node=2 train.py --model dcgan --data ../shared/data/celeba64 --out runs/faces

Writes OUT/NAME.safetensors + OUT/NAME.json (inference), OUT/NAME.state.safetensors (resume)
and OUT/samples/NAME-STEP.png. Every default is in gan_demo/training/config.py, and a kind's
own in its row of gan_demo/models/kinds.py.
"""

from __future__ import annotations

import argparse
import errno
import logging
import shlex
import sys
from pathlib import Path

from gan_demo.data.datasets import DataError, attach_maps, conform, load_images
from gan_demo.data.face_parts import MapError
from gan_demo.data.moving_mnist import HELD_OUT_FROM
from gan_demo.domain import domain_of
from gan_demo.models import kinds
from gan_demo.models.checkpoints import CheckpointError, checkpoint_paths, remove_stale_temps, state_path
from gan_demo.models.nets import SUPPORTED_CHANNELS, SUPPORTED_SIZES, ArchConfig
from gan_demo.models.pretrained import Pretrained, find_classifier, load_pretrained
from gan_demo.runtime import DTYPES, PRECISIONS, init_distributed, resolve_device, shutdown_distributed

from .config import RECIPES, Hyper, RunConfig
from .loop import Trainer, TrainingDiverged
from .schedule import LR_SCHEDULES

STORAGE_DTYPES = {dtype: name for name, dtype in DTYPES.items()}  # torch dtype -> option name
H, ARCH = Hyper(), ArchConfig()


def per_kind(field: str) -> str:
    """The kinds whose default for a Hyper or ArchConfig field differs, as help text."""
    rows = {k: {**kinds.get(k).defaults, **kinds.get(k).arch_defaults} for k in kinds.names()}
    own = {k: row[field] for k, row in rows.items() if field in row}
    return "".join(f"; {k}: {v}" for k, v in own.items())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="train.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", required=True, choices=kinds.names())
    p.add_argument(
        "--data",
        required=True,
        help="npz shard folder, MNIST IDX folder, image folder tree, or 'celeba'/'mnist' with --download",
    )
    p.add_argument("--download", action="store_true", help="let torchvision download 'celeba' or 'mnist'")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--generator",
        help="--model encoder: the aegan checkpoint whose encoder to refit, or a dcgan one to give an encoder "
        "(its generator stays; the result is an aegan checkpoint); --model video-gan: the video checkpoint to fine-tune",
    )
    p.add_argument("--name", help="checkpoint name (default: KIND-DATAFOLDER)")
    length = p.add_mutually_exclusive_group()
    length.add_argument(
        "--epochs", type=float, help=f"passes over the training images (default {RunConfig.DEFAULT_EPOCHS})"
    )
    length.add_argument("--max-images", type=int, help="stop after this many training images")
    p.add_argument(
        "--max-minutes",
        type=float,
        help="stop after this much training time (a wall-time budget; alone, without --epochs or --max-images, "
        "the run lasts that long)",
    )
    p.add_argument(
        "--recipe",
        choices=("auto", *RECIPES),
        default="auto",
        help="course: the DCGAN paper's settings; cpu-budget: a lighter DCGAN (width 32) that gives better faces "
        "in minutes on a CPU; auto (default): cpu-budget for a dcgan on a CPU with --max-minutes, else course. "
        "Options given explicitly always win",
    )
    p.add_argument("--batch-size", type=int, default=RunConfig.batch_size, help="per process")
    p.add_argument("--lr", type=float, help=f"Adam learning rate (default {H.lr})")
    p.add_argument(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        help=f"constant, or cosine: every rate decays to 0 over the run's steps (default {H.lr_schedule})",
    )
    p.add_argument("--lr-d", type=float, help="discriminator learning rate (two-time-scale; default: --lr)")
    p.add_argument("--beta1", type=float, help=f"Adam beta1 (default {H.beta1}{per_kind('beta1')})")
    p.add_argument("--loss", choices=("bce", "hinge"), help=f"GAN loss (default {H.loss})")
    p.add_argument("--size", type=int, choices=SUPPORTED_SIZES, help="image size (default: 64, or 32 for MNIST)")
    p.add_argument("--channels", type=int, choices=SUPPORTED_CHANNELS, help="default: the data's own")
    p.add_argument(
        "--width", type=int, help=f"base channel width of every network (default {ARCH.width}{per_kind('width')})"
    )
    p.add_argument("--enc-width", type=int, help=f"base width of the encoder and classifier (default {ARCH.enc_width})")
    p.add_argument("--z-dim", type=int, help=f"code size (default {ARCH.z_dim}{per_kind('z_dim')})")
    p.add_argument(
        "--maps",
        help="face-part maps to train on (.npz from gan_demo.data.prepare_face_maps), joined to the faces by name",
    )
    p.add_argument("--seed", type=int, default=RunConfig.seed)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=RunConfig.precision,
        help="auto: bf16 where the hardware has it, else fp32",
    )
    p.add_argument(
        "--ema", type=float, help=f"EMA decay of generator weights, 0 disables (default {H.ema}{per_kind('ema')})"
    )
    p.add_argument(
        "--diffaug", action="store_true", default=None, help="differentiable augmentation for small datasets"
    )
    p.add_argument(
        "--no-flip", dest="flip", action="store_false", help="no random horizontal flips (default: flip 3-channel data)"
    )
    p.add_argument("--rec-weight", type=float, help=f"AE+GAN reconstruction weight (default {H.rec_weight})")
    p.add_argument(
        "--prior-weight",
        type=float,
        help=f"AE+GAN prior-matching weight; encoder refit: MMD weight (default {H.prior_weight}{per_kind('prior_weight')})",
    )
    p.add_argument("--kl-weight", type=float, help=f"VAE KL weight, beta (default {H.kl_weight})")
    p.add_argument(
        "--gdl-weight",
        type=float,
        help=f"video: gradient difference loss weight against the MSE (default {H.gdl_weight})",
    )
    p.add_argument(
        "--dice-weight",
        type=float,
        help=f"segmenter: soft Dice loss weight beside the cross-entropy (default {H.dice_weight})",
    )
    p.add_argument(
        "--adv-weight",
        type=float,
        help=f"video-gan: adversarial weight against the pixel losses (default {H.adv_weight})",
    )
    p.add_argument(
        "--holdout", type=int, default=RunConfig.holdout, help="keep the last N images out of training (for evaluation)"
    )
    p.add_argument("--resume", action="store_true", help="continue from OUT/NAME.state.safetensors")
    p.add_argument("--sample-every", type=int, default=RunConfig.sample_every, help="steps between sample grids")
    p.add_argument("--checkpoint-every", type=int, default=RunConfig.checkpoint_every, help="steps between checkpoints")
    p.add_argument(
        "--log-every", type=int, default=RunConfig.log_every, help="steps between loss read-outs (the only host syncs)"
    )
    p.add_argument(
        "--weights-dtype",
        choices=tuple(DTYPES),
        help=f"storage type of the inference weights (default {RunConfig.weights_dtype}; an encoder refit: its "
        "source's; the state stays fp32)",
    )
    p.add_argument(
        "--compile",
        nargs="?",
        const="default",
        choices=("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"),
        help="torch.compile the networks (reduce-overhead: CUDA graphs, for small batches on a GPU)",
    )
    p.add_argument(
        "--no-cuda-graphs",
        dest="cuda_graphs",
        action="store_false",
        help="on CUDA, launch the step's kernels one by one instead of replaying it as one recorded graph",
    )
    p.add_argument(
        "--fid-every", type=int, default=RunConfig.fid_every, help="steps between FID measurements (0: none)"
    )
    p.add_argument(
        "--fid-classifier",
        help="classifier checkpoint for FID's features (default: the one for the data's images in --out, "
        "else in the repository's checkpoints/)",
    )
    p.add_argument("--fid-n", type=int, default=RunConfig.fid_n, help="samples and photos per FID measurement")
    p.add_argument("--keep-best", action="store_true", help="also write OUT/NAME-best when the FID improves")
    p.add_argument("--tensorboard", action="store_true", help="log losses to OUT/tensorboard (needs tensorboard)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    return p.parse_args(argv)


def refit_source(args: argparse.Namespace) -> Pretrained | None:
    """A kind that starts from a trained checkpoint (--model encoder, video-gan): load the --generator checkpoint
    and take its architecture and weight storage type into args; None for every other kind."""
    if not kinds.get(args.model).needs_source:
        if args.generator:
            raise ValueError(
                f"--generator is for --model {' or '.join(k for k in kinds.names() if kinds.get(k).needs_source)} only"
            )
        return None
    if not args.generator:
        raise ValueError(f"--model {args.model} starts from a trained checkpoint: pass --generator CHECKPOINT")
    if args.batch_size < 2:
        raise ValueError(
            f"--model {args.model} needs --batch-size 2 or more (its loss compares the samples of a batch)"
        )
    source = load_pretrained(args.generator)
    args.size, args.channels, args.width = source.arch.size, source.arch.channels, source.arch.width
    args.z_dim, args.enc_width = source.arch.z_dim, source.arch.enc_width
    logging.info("architecture from %s: %s", args.generator, source.arch)
    held_before = (source.meta.get("data") or {}).get("holdout_images")
    if held_before is not None and held_before != args.holdout:
        logging.warning(
            "%s held out %s images, this run --holdout %d: it may train on images the first stage held out",
            args.generator,
            held_before,
            args.holdout,
        )
    # keep the generator's stored bytes
    args.weights_dtype = args.weights_dtype or STORAGE_DTYPES.get(source.stored_dtype, RunConfig.weights_dtype)
    return source


def check_video_holdout(args: argparse.Namespace, data) -> None:
    """A video kind trains on digits 0-7,999 only: the app's, the benchmark's and `moving-mnist`'s
    held-out clips are made of the digits from 8,000 on."""
    if not kinds.get(args.model).can("predict"):
        return
    trained = len(data) - args.holdout
    if len(data) > HELD_OUT_FROM and trained > HELD_OUT_FROM:
        raise ValueError(
            f"--model {args.model} trains on digits 0-{HELD_OUT_FROM - 1:,} only (the held-out clips use the rest): "
            f"pass --holdout {len(data) - HELD_OUT_FROM} or more"
        )


def apply_recipe(args: argparse.Namespace, device) -> str:
    """The recipe's name; its settings fill the options not given."""
    recipe = args.recipe
    if recipe == "auto":
        budget = args.model == "dcgan" and device.type == "cpu" and args.max_minutes is not None
        recipe = "cpu-budget" if budget else "course"
    filled = {k: v for k, v in RECIPES[recipe].items() if getattr(args, k) is None}
    for k, v in filled.items():
        setattr(args, k, v)
    if filled:
        logging.info(
            "recipe %s: %s (--recipe course for the course's DCGAN)",
            recipe,
            ", ".join(f"{k} {v}" for k, v in filled.items()),
        )
    return recipe


def checkpoint_name(args: argparse.Namespace, source: Pretrained | None) -> str:
    """--name, else KIND-DATAFOLDER by the kind the checkpoint loads as; a refit of a checkpoint of
    that kind keeps its name."""
    if args.name:
        return args.name
    saves_as = kinds.get(args.model).checkpoint_kind
    if source is not None and source.kind == saves_as:
        return source.name
    return f"{saves_as}-{Path(args.data.rstrip('/')).name}"


def arch_numbers(args: argparse.Namespace, spec) -> dict[str, int]:
    """Widths and code size: the options given, else the kind's own, else ArchConfig's."""
    given = {"width": args.width, "z_dim": args.z_dim, "enc_width": args.enc_width}
    return {k: v if v is not None else spec.arch_defaults.get(k, getattr(ARCH, k)) for k, v in given.items()}


def run_config(args: argparse.Namespace, data, name: str, command: str, recipe: str = "course") -> RunConfig:
    """The run's settings: what the options give, the kind's own defaults, then config.py's."""
    spec = kinds.get(args.model)
    if spec.frozen_generator and args.ema:  # the generator is the source's, as shipped: nothing to average
        logging.warning(
            "--ema %s ignored: --model %s keeps the --generator checkpoint's generator", args.ema, args.model
        )
        args.ema = 0.0
    fid_classifier = args.fid_classifier
    if args.fid_every and not fid_classifier:
        found = find_classifier(
            ArchConfig(channels=data.channels, size=data.size), domain_of(data.label_names, data.channels), args.out
        )
        fid_classifier = str(found) if found else None
    return RunConfig(
        kind=args.model,
        out=args.out,
        name=name,
        arch=ArchConfig(channels=data.channels, size=data.size, **arch_numbers(args, spec)),
        hyper=Hyper.for_kind(spec, **{field: getattr(args, field) for field in Hyper.names()}),
        batch_size=args.batch_size,
        epochs=args.epochs,
        max_images=args.max_images,
        seed=args.seed,
        precision=args.precision,
        flip=args.flip and data.channels == 3,
        holdout=args.holdout,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        log_every=args.log_every,
        max_minutes=args.max_minutes,
        recipe=recipe,
        weights_dtype=args.weights_dtype or RunConfig.weights_dtype,
        compile=args.compile,
        cuda_graphs=args.cuda_graphs,
        fid_every=args.fid_every,
        fid_classifier=fid_classifier,
        fid_n=args.fid_n,
        keep_best=args.keep_best,
        tensorboard=args.tensorboard,
        progress=args.progress,
        command=command,
    )


def main(argv: list[str] | None = None) -> int:
    command = shlex.join(["train.py", *(sys.argv[1:] if argv is None else argv)])
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    ctx = init_distributed(args.device)
    try:
        device = resolve_device(args.device, ctx.local_rank)
        source = refit_source(args)
        recipe = apply_recipe(args, device)
        data = load_images(args.data, size=args.size, channels=args.channels, download=args.download)
        if args.size is None and data.size not in SUPPORTED_SIZES:
            data = conform(data, 32 if data.size == 28 else 64, None)
        if args.maps:
            data = attach_maps(data, args.maps)
        name = checkpoint_name(args, source)
        if (
            source
            and (Path(args.out) / name).resolve() == checkpoint_paths(args.generator)[0].with_suffix("").resolve()
        ):
            raise ValueError(
                f"--out {args.out} would overwrite the --generator checkpoint: choose another --out or --name"
            )
        check_video_holdout(args, data)
        cfg = run_config(args, data, name, command, recipe)
        trainer = Trainer(cfg, data, device, ctx, source=source)
        stem = Path(args.out) / name
        if ctx.is_main and (stale := remove_stale_temps(stem)):
            logging.info("removed %d unfinished temporary files a killed run left in %s", stale, args.out)
        if args.resume:
            if trainer.resume():
                logging.info("resumed %s at step %d of %d", state_path(stem), trainer.step, trainer.total_steps)
            else:
                logging.info("no %s yet: starting from scratch", state_path(stem))
        elif state_path(stem).exists():
            raise CheckpointError(
                f"{state_path(stem)} exists: pass --resume to continue it, or choose another --out/--name"
            )
        if ctx.is_main:
            logging.info(
                "%s on %s (%s), %d images %dx%dx%d, %s of %d x %d",
                name,
                device,
                trainer.precision,
                len(trainer.data),
                data.channels,
                data.size,
                data.size,
                f"{args.max_minutes:g} minutes of steps" if trainer.open_ended else f"{trainer.total_steps} steps",
                args.batch_size,
                ctx.world,
            )
        meta = trainer.run()
        if ctx.is_main:
            print(
                f"wrote {stem}.safetensors and {stem}.json ({meta['training']['images_seen']} images in {meta['training']['wall_time_s']} s)"
            )
        return 0
    except (DataError, MapError, CheckpointError, TrainingDiverged, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # atomic writes: every checkpoint already in --out is complete
        hints = {
            errno.ENOSPC: "free space, then rerun with --resume",
            errno.EDQUOT: "free space, then rerun with --resume",
            errno.EACCES: "make --out writable (or choose another), then rerun with --resume",
            errno.EROFS: "choose a writable --out, then rerun with --resume",
        }
        hint = hints.get(err.errno)
        print(
            f"error: {err}." + (f" Every checkpoint already written is complete: {hint}." if hint else ""),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        shutdown_distributed(ctx)

"""The app's operations as plain library calls (no Gradio here): models loaded once and shared,
inputs validated, outputs as PIL images and plain dicts ready for any UI or script."""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.utils import make_grid

from gan_demo.cache import Recent, content_hash
from gan_demo.clip_studio import digits_path, load_digits
from gan_demo.data.photos import (
    ImageInputError,
    load_mask,
    looks_like_a_digit,
    open_image,
    painted_mask,
    save_frames,
    to_pil,
    to_tensor,
)
from gan_demo.domain import DIGITS, DOMAINS, FACES, Domain, domain_of, parse_filters
from gan_demo.latent.attributes import directions_from_classifier
from gan_demo.latent.average import average_code, truncated
from gan_demo.latent.code_scale import CodeScale, code_scale_path, random_codes, seed_codes
from gan_demo.latent.directions import Directions, directions_path
from gan_demo.latent.edits import conditional_rule, edit_codes, subject
from gan_demo.latent.equation import EXEMPLARS, POOL, ExemplarPool, build_pool, exemplars_path, solve
from gan_demo.latent.inversion import blank_detail, colorize, inpaint, luminance
from gan_demo.latent.paths import interpolate_with_detail, lerp, slerp
from gan_demo.models import kinds
from gan_demo.models.checkpoints import CheckpointError
from gan_demo.models.pretrained import Pretrained, find_checkpoints, load_pretrained, reads
from gan_demo.models.sampling import sample_codes

from . import limits

log = logging.getLogger(__name__)

KEEP_FILES_S = 15 * 60
MORPH_FPS, MP4_SECONDS = 8, 4  # the morph's export: A -> B -> A at 8 frames a second, the MP4 4 s or more
PROJECTIONS_KEPT = 64  # photos' codes kept (a few KB each) for re-edits and re-morphs
MAX_LAYERS = 8  # the canvas sends one per brush layer; more is not a person painting
UPSCALE = 4  # 64x64 faces are shown at 256x256 (nearest keeps them honest)
TRAINED_DIRECTIONS = 2000  # samples labelled for a model the app trained (the shipped DCGAN's 10,000: 43 s)


def show(images: torch.Tensor) -> list[Image.Image]:
    """Model output -> PIL images enlarged for the screen."""
    return [im.resize((im.width * UPSCALE, im.height * UPSCALE), Image.Resampling.NEAREST) for im in to_pil(images)]


@dataclass
class Studio:
    """Every valid checkpoint in a folder, loaded once; the invalid ones listed with the reason."""

    folder: Path
    device: torch.device = torch.device("cpu")
    models: dict[str, Pretrained] = field(default_factory=dict)
    directions: dict[str, Directions] = field(default_factory=dict)
    pools: dict[str, ExemplarPool] = field(default_factory=dict)  # the equation builder's, by model
    clip_digits: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(
        default_factory=dict
    )  # a video model's, and labels
    skipped: dict[str, str] = field(default_factory=dict)
    averages: dict[str, torch.Tensor] = field(default_factory=dict)  # each model's average-face code
    scales: dict[str, CodeScale] = field(default_factory=dict)  # where a plain autoencoder's codes lie
    projections: Recent = field(default_factory=lambda: Recent(PROJECTIONS_KEPT))  # photos' codes, by content
    lock: threading.Lock = field(default_factory=threading.Lock)
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gan_demo_")))

    def __post_init__(self) -> None:
        weakref.finalize(self, shutil.rmtree, self.work_dir, True)  # gone when the app is, even on Ctrl-C

    @classmethod
    def load(cls, folder: str | Path, device: torch.device | str = "cpu") -> Studio:
        studio = cls(Path(folder), torch.device(device))
        for stem in find_checkpoints(folder):
            try:
                studio.models[stem.name] = load_pretrained(stem, studio.device)
            except Exception as err:  # one bad file of any kind must not keep the app from starting
                studio.skipped[stem.name] = str(err)
                log.warning("skipping checkpoint %s: %s", stem, err)
                continue
            if directions_path(stem).exists():
                try:
                    directions = Directions.load(directions_path(stem))
                    z_dim = studio.models[stem.name].arch.z_dim
                    if directions.linear.shape[1] != z_dim:
                        raise CheckpointError(
                            f"{directions_path(stem)}: directions of shape {tuple(directions.linear.shape)}, the model's codes have {z_dim} dimensions"
                        )
                    studio.directions[stem.name] = directions
                except Exception as err:  # as above: a bad side file must not stop the app
                    studio.skipped[stem.name + ".directions"] = str(err)
            if code_scale_path(stem).exists():
                try:
                    z_dim = studio.models[stem.name].arch.z_dim
                    studio.scales[stem.name] = CodeScale.load(code_scale_path(stem), z_dim)
                except Exception as err:  # as above
                    studio.skipped[stem.name + ".codes"] = str(err)
            if exemplars_path(stem).exists():
                try:
                    studio.pools[stem.name] = ExemplarPool.load(exemplars_path(stem))
                except Exception as err:  # as above
                    studio.skipped[stem.name + ".exemplars"] = str(err)
            if digits_path(stem).exists():
                try:
                    studio.clip_digits[stem.name] = load_digits(digits_path(stem))
                except Exception as err:  # as above
                    studio.skipped[stem.name + ".digits"] = str(err)
        if not any(m.G is not None for m in studio.models.values()):
            raise CheckpointError(
                f"{folder}: no usable generator checkpoint found (skipped: {studio.skipped or 'none'})"
            )
        return studio

    def add_checkpoint(self, stem: str | Path, directions_n: int = TRAINED_DIRECTIONS) -> str:
        """Load one more checkpoint (one the app trained) into every list, with attribute
        directions from `directions_n` samples when a loaded classifier reads its images (so the
        Attributes tab edits it too); its name."""
        model = load_pretrained(stem, self.device)
        classifier = self.classifier_for(model) if model.G is not None else None
        if classifier is not None and directions_n > 0:
            directions = directions_from_classifier(model, classifier, directions_n)
            directions.save(directions_path(stem))
            self.directions = {**self.directions, model.name: directions}
        self.models = {**self.models, model.name: model}  # new dicts: readers never see one change
        return model.name

    # -- lookups --------------------------------------------------------------------------------------
    def generators(self) -> list[str]:
        """The models that sample."""
        return [n for n, m in self.models.items() if m.spec.can("sample")]

    def title(self, name: str) -> str:
        """A model as a menu shows it: what it is and what it draws, then its file name in small
        print ("AE+GAN, faces · aegan-celeba64")."""
        model = self.models.get(name)
        if model is None:
            return name
        return f"{model.spec.title or model.kind}, {model.domain.name} · {name}"  # a kind without a title: its name

    def showcase(self, names: list[str]) -> str | None:
        """Of these models, the one to show first: sharp samples and an encoder for photos (the
        AE+GAN), else sharp samples, else the first."""
        specs = {n: self.models[n].spec for n in names}
        ranked = sorted(names, key=lambda n: (not specs[n].adversarial, not specs[n].can("encode")))
        return ranked[0] if ranked else None

    def editable(self) -> list[str]:
        return [n for n in self.generators() if n in self.directions]

    def attribute_names(self, name: str | None) -> list[str]:
        """The attributes a model's directions file edits (none without one)."""
        return self.directions[name].names if name in self.directions else []

    def guided_available(self, name: str | None) -> bool:
        """Whether edits of this model can be guided: a classifier reads its images."""
        return name in self.models and self.classifier_for(self.models[name]) is not None

    def model(self, name: str) -> Pretrained:
        if name not in self.models or self.models[name].G is None:
            raise ValueError(f"no generator named {name!r}; available: {', '.join(self.generators())}")
        return self.models[name]

    def classifier_for(self, model: Pretrained) -> Pretrained | None:
        """The loaded classifier that reads this model's images (gan_demo.models.pretrained.reads)."""
        return next(
            (m for m in self.models.values() if reads(m.kind, m.arch, m.label_kind, model.arch, model.domain)), None
        )

    def photo(self, model: Pretrained, upload) -> torch.Tensor:
        return to_tensor(open_image(upload), model.arch.size, model.arch.channels)

    def code(
        self, model: Pretrained, seed: int, upload=None, truncation: float = 1.0, on_step=None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A seed's code at a truncation (the face Generate shows for that seed), or an uploaded
        photo's projected code; with the photo's detail (zeros for a seed), which edits and morphs
        keep so the photo still looks like itself."""
        if upload is None:
            return self.face_codes(model.name, [limits.seed(seed)], truncation), blank_detail(model)
        key = (model.name, content_hash(upload))
        found = self.projections.get(key)
        if found is None:
            with self.lock:
                found = subject(model, photo=self.photo(model, upload), on_step=on_step)
            self.projections.put(key, found)
        z, detail = found
        return z.clone(), None if detail is None else detail.clone()  # the kept ones never change

    # -- operations -----------------------------------------------------------------------------------
    def generate(self, name: str, seed: int, truncation: float, n: int) -> list[tuple[Image.Image, str]]:
        """n faces, of seeds seed, seed + 1, ..., each captioned with its seed."""
        model = self.model(name)
        n = limits.bounded_int(n, "number of images", *limits.SAMPLES)
        truncation = limits.bounded_float(truncation, "truncation", *limits.TRUNCATION)
        seeds = [limits.seed(seed) + i for i in range(n)]  # MAX_SEED leaves room for the + i
        images = show(model.generate(self.face_codes(name, seeds, truncation)))
        return [(im, f"seed {s}") for im, s in zip(images, seeds)]

    def face_codes(self, name: str, seeds: list[int], truncation: float = 1.0) -> torch.Tensor:
        """The codes of these seeds at a truncation: one face per seed, the same in every tab."""
        truncation = limits.bounded_float(truncation, "truncation", *limits.TRUNCATION)
        codes = seed_codes(self.models[name], seeds, self.scales.get(name))
        return truncated(codes, truncation, lambda: self.average_code(name))

    def random_codes(self, name: str, n: int, seed: int) -> torch.Tensor:
        """n random codes of a seed: from N(0, I), or for a model whose codes nothing shapes (a plain
        autoencoder) at the scale its own codes have, when it was measured."""
        return random_codes(self.models[name], n, seed, self.scales.get(name))

    def warm_up(self) -> float:
        """Find every generator's average-face code now (seconds taken): the default truncation
        needs it, and found on a first request it held that request, and every one queued
        behind the optimisation lock with it, for 3-5 s (16 clients at once met it on a fresh
        server)."""
        started = time.perf_counter()
        for name in self.generators():
            self.average_code(name)
        return time.perf_counter() - started

    def average_code(self, name: str) -> torch.Tensor:
        """The model's average-face code, found once (a projection, about 3 s) and kept."""
        if name not in self.averages:  # once found, read without waiting behind optimisations
            with self.lock:  # finding it is an optimisation, queued like the others
                if name not in self.averages:
                    self.averages[name] = average_code(self.model(name), self.scales.get(name))
        return self.averages[name]

    def morph(
        self,
        name: str,
        seed_a: int,
        seed_b: int,
        photo_a=None,
        photo_b=None,
        frames: int = 8,
        method: str = "slerp",
        out_dir: str | None = None,
        truncation: float = 1.0,
        on_step=None,
    ) -> tuple[list[Image.Image], str, str]:
        model = self.model(name)
        frames = limits.bounded_int(frames, "frames", *limits.FRAMES)
        (za, da), (zb, db) = (
            self.code(model, seed_a, photo_a, truncation, on_step),
            self.code(model, seed_b, photo_b, truncation, on_step),
        )
        images = model.generate(*interpolate_with_detail(torch.cat([za, zb]), (da, db), frames, method))
        folder = Path(out_dir) if out_dir else self.fresh_folder()
        folder.mkdir(parents=True, exist_ok=True)
        there_and_back = torch.cat([images, images.flip(0)[1:-1]])  # A -> B -> A: loops without a jump
        loops = math.ceil(MP4_SECONDS * MORPH_FPS / len(there_and_back))  # a clip long enough to watch
        return (
            show(images),
            str(save_frames(there_and_back, folder / "morph.gif", MORPH_FPS)),
            str(save_frames(there_and_back.repeat(loops, 1, 1, 1), folder / "morph.mp4", MORPH_FPS)),
        )

    def fresh_folder(self) -> Path:
        """A new folder for one request's files under work_dir; folders older than KEEP_FILES_S are
        removed first, so a long-running server's disk use stays bounded (the UI has its copy by then)."""
        now = time.time()
        for old in self.work_dir.glob("request-*"):
            try:
                if now - old.stat().st_mtime > KEEP_FILES_S:
                    shutil.rmtree(old, ignore_errors=True)
            except OSError:  # another request removed it first
                continue
        return Path(tempfile.mkdtemp(prefix="request-", dir=self.work_dir))

    def morph_preview(
        self,
        name: str,
        seed_a: int,
        seed_b: int,
        position: float,
        method: str = "slerp",
        photo_a=None,
        photo_b=None,
        truncation: float = 1.0,
    ) -> Image.Image:
        """The face at `position` on the morph's path: between the seeds, or the photos that
        replace them (each projected once, then kept: moving the slider costs a generation)."""
        model = self.model(name)
        if method not in ("slerp", "lerp"):
            raise ValueError(f"method must be 'slerp' or 'lerp', got {method!r}")
        t = limits.bounded_float(position, "position", 0.0, 1.0)
        (za, da), (zb, db) = (
            self.code(model, seed_a, photo_a, truncation),
            self.code(model, seed_b, photo_b, truncation),
        )
        z = (slerp if method == "slerp" else lerp)(za[0], zb[0], torch.tensor([t]))
        detail = None if da is None or db is None else da + (db - da) * t
        return show(model.generate(z, detail))[0]

    def read_out(self, model: Pretrained, images: torch.Tensor) -> dict[str, float]:
        classifier = self.classifier_for(model)
        if classifier is None:
            return {}
        probs = classifier.probabilities(images)[0].cpu()
        return {name: round(float(p), 3) for name, p in zip(classifier.label_names, probs)}

    def edit(
        self,
        name: str,
        seed: int,
        upload,
        strengths: dict[str, float],
        conditional: bool,
        guided: bool = True,
        truncation: float = 1.0,
        on_step=None,
    ) -> tuple[Image.Image, Image.Image, dict, dict]:
        """Move the code along each attribute's direction by strength x its separation; `guided`
        then corrects the step with the model's classifier (gan_demo.latent.guided: the face attributes',
        or the digit one), when one is loaded."""
        model = self.model(name)
        if name not in self.directions:
            raise ValueError(f"{name} has no attribute directions file")
        directions = self.directions[name]
        z, detail = self.code(model, seed, upload, truncation, on_step)  # on_step: a photo's projection
        strengths = {
            attr: limits.bounded_float(strength, f"{attr} strength", *limits.EDIT_TOTAL)
            for attr, strength in strengths.items()
        }
        keep = conditional_rule(directions) if conditional else []
        if guided and self.guided_available(name):
            with self.lock:  # an optimisation, queued like projection and inpainting
                edited = edit_codes(
                    model, directions, z, strengths, keep, guide=self.classifier_for(model), detail=detail
                )
        else:  # no classifier for this model: the directions alone
            edited = edit_codes(model, directions, z, strengths, keep)
        before, after = model.generate(z, detail), model.generate(edited, detail)
        return show(before)[0], show(after)[0], self.read_out(model, before), self.read_out(model, after)

    def equation(
        self, name: str, a: str | dict, b: str | dict, c: str | dict, seed: int = 0, k: int = EXEMPLARS, on_step=None
    ) -> tuple[Image.Image, Image.Image, str]:
        """A - B + C from exemplar averages (gan_demo.latent.equation); each set is filters as
        {name: present} or in the app's syntax ('Male, -Eyeglasses'). Returns Radford et al.'s
        figure: the k exemplars of A, B and C in three rows, each row's mean image last; the 3x3 grid
        of results (the result top left, then codes near it); and a line saying what the
        equation implies and was held."""
        a, b, c = (parse_filters(s) if isinstance(s, str) else s for s in (a, b, c))
        model = self.model(name)
        classifier = self.classifier_for(model)
        if classifier is None:
            raise ValueError(f"exemplar filters need an attribute classifier for {name}")
        k = limits.bounded_int(k, "exemplars", *limits.EXEMPLARS)
        seed = limits.bounded_int(seed, "seed", 0, limits.MAX_SEED - 1)  # the grid's noise uses seed + 1
        with self.lock:  # the correction is an optimisation, queued like the guided edit
            pool = self.pools.get(name)
            if pool is None or not pool.fits(model, classifier):  # no shipped pool: read one, once
                log.info("%s: no exemplar pool beside the checkpoint, sampling %d codes", name, POOL)
                pool = self.pools[name] = build_pool(model, classifier)
            fit = solve(model, classifier, pool, a, b, c, seed=seed, k=k, on_step=on_step)
        rows = torch.cat([torch.cat([codes, mean[None]]) for codes, mean in zip(fit.sets, fit.means)])
        sets = make_grid(model.generate(rows).cpu(), nrow=k + 1, padding=2, pad_value=1.0)
        results = make_grid(model.generate(fit.codes).cpu(), nrow=3, padding=2, pad_value=1.0)
        held = ", ".join(f"{n}" if present else f"-{n}" for n, present in fit.implied.items())
        note = f"The equation implies: {held}; each result was corrected to hold it." if held else "Plain sum."
        return show(sets.unsqueeze(0))[0], show(results.unsqueeze(0))[0], note

    def inpaint_painted(
        self, name: str, photo, layers: list, steps: int, candidates: int, on_step=None
    ) -> tuple[Image.Image, Image.Image, Image.Image]:
        """Fill what is painted on the photo: `layers` are painted layers of the photo's size (their
        alpha is the hole; paths, bytes, PIL images or arrays). Returns the masked input, the best
        completion and a strip of every candidate, best first."""
        model = self.model(name)
        steps = limits.bounded_int(steps, "steps", *limits.STEPS)
        candidates = limits.bounded_int(candidates, "candidates", *limits.CANDIDATES)
        if photo is None:
            raise ImageInputError("upload a photo (or pick an example) and paint over the part to fill")
        background_image = open_image(photo)
        image = to_tensor(background_image, model.arch.size, model.arch.channels)
        hole = load_mask(painted_mask(layers, background_image.size, MAX_LAYERS), model.arch.size)
        if hole.sum() == 0:
            raise ImageInputError("the painted mask is empty: paint over the part to fill")
        with self.lock:
            fit = inpaint(model, image, hole, steps=steps, candidates=candidates, on_step=on_step)
        # the hole shown magenta on faces, mid-gray on digits (their ink is white on black)
        marker = [1.0, -1.0, 1.0] if image.shape[1] == 3 else [0.0]
        masked = image * (1 - hole) + hole * torch.tensor(marker).view(1, -1, 1, 1)
        strip = make_grid(fit.candidates, nrow=fit.candidates.shape[0], padding=2, pad_value=1.0)
        return show(masked)[0], show(fit.image)[0], show(strip.unsqueeze(0))[0]

    def colorize_upload(self, name: str, upload, on_step=None) -> tuple[Image.Image, Image.Image, Image.Image | None]:
        model = self.model(name)
        im = open_image(upload)
        rgb = np.asarray(im).astype(np.int16)
        in_colour = bool(np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max() > 8)
        photo = to_tensor(im, model.arch.size, 3)
        gray = luminance(photo)
        with self.lock:
            fit = colorize(model, gray, on_step=on_step)
        return show(gray)[0], show(fit.image)[0], show(photo)[0] if in_colour else None

    def story_kinds(self) -> list[str]:
        """The kinds the course compares, in its order (those with a story in the registry)."""
        return [kind for kind in kinds.names() if kinds.get(kind).story]

    def story(self, upload=None, seed: int = 0, n: int = 4) -> list[tuple[str, list[Image.Image], Image.Image | None]]:
        """One row per story kind: the caption of why its samples look as they do, random samples
        of its face model and, given a photo and an encoder, the photo's reconstruction; a row
        without a face model of that kind says so."""
        rows = []
        seed = limits.seed(seed)
        n = limits.bounded_int(n, "number of images", *limits.SAMPLES)
        image = open_image(upload) if upload is not None else None  # decoded once for every encoder
        for kind in self.story_kinds():
            name = next((n for n in self.of_domain(FACES) if self.models[n].kind == kind), None)
            if name is None:
                rows.append((f"{kind}: no face model of this kind is loaded", [], None))
                continue
            model = self.models[name]
            samples = show(model.generate(self.random_codes(name, n, seed)))
            recon = None
            if image is not None and model.has_encoder:
                photo = to_tensor(image, model.arch.size, model.arch.channels)
                recon = show(model.generate(model.encode(photo)))[0]
            rows.append((f"{name}: {kinds.get(kind).story}", samples, recon))
        return rows

    # -- what the app shows beside the operations -------------------------------------------------
    def model_for_photo(self, name: str | None, upload, among: list[str]) -> str | None:
        """The model of `among` to use for a photo when `name` does not fit it (a face photo on a
        digit model gives a blob, a digit on a face model a gray smear): the showcase model of the
        photo's domain; None when `name` fits, or nothing else does, or the photo cannot be read.
        With no `name` (an example clicked), the showcase model of the photo's domain."""
        if upload is None or (name is not None and name not in self.models):
            return None
        try:
            wanted = DIGITS if looks_like_a_digit(open_image(upload)) else FACES
        except ImageInputError:
            return None  # the upload check names the problem
        if name is not None and self.models[name].domain is wanted:
            return None
        return self.showcase([n for n in among if n in self.models and self.models[n].domain is wanted])

    def of_domain(self, domain: Domain) -> list[str]:
        """The generators of a domain (faces or digits)."""
        return [n for n in self.generators() if self.models[n].domain is domain]

    def example_images(self, domain: Domain, n: int, seed: int) -> list[str]:
        """Example images drawn by the domain's showcase model (no dataset photos are shipped), as
        PNG files in the work folder; none without such a model."""
        name = self.showcase(self.of_domain(domain))
        if name is None:
            return []
        model = self.models[name]
        folder = self.work_dir / "examples"
        folder.mkdir(exist_ok=True)
        paths = []
        for i, im in enumerate(show(model.generate(sample_codes(n, model.arch.z_dim, seed)))):
            path = folder / f"example-{model.domain.noun}-{seed}-{i}.png"
            im.save(path)
            paths.append(str(path))
        return paths

    def domain(self, name: str | None) -> Domain:
        """The domain of a model's edits (its directions' names, else its own labels); faces for none."""
        if name in self.directions:
            return domain_of(self.directions[name].names, self.models[name].arch.channels)
        return self.models[name].domain if name in self.models else FACES

    def slider_names(self) -> list[str]:
        """One slider per attribute any editable model edits, in the domains' slider order."""
        known = {n for m in self.editable() for n in self.attribute_names(m)}
        return [attr for d in DOMAINS for attr in d.sliders if attr in known] or list(FACES.sliders)

    def attribute_controls(self, name: str | None, extra: str | None = None, typed: tuple[str, ...] = ()) -> dict:
        """What the Attributes tab shows for a model: its sliders, the choices and value of the
        "any other attribute" menu (the user's `extra` kept when the model knows it), whether
        edits can be guided, and the equation's sets (the user's `typed` ones kept when every
        name in them is the model's, else the domain's example)."""
        own, domain = self.attribute_names(name), self.domain(name)
        default_extra = domain.extra_default if domain.extra_default in own else (own[0] if own else None)
        typed_fits = bool(typed) and all(n in own for text in typed for n in parse_filters(text or ""))
        return {
            "domain": domain,
            "sliders": [attr for attr in self.slider_names() if attr in own],
            "extra_choices": own,
            "extra": extra if extra in own else default_extra,
            "guided": self.guided_available(name),
            "equation": tuple(typed) if typed_fits else domain.equation,
        }

    def slider_strengths(
        self, name: str, sliders: dict[str, float], extra: str | None = None, extra_strength: float = 0.0
    ) -> dict[str, float]:
        """The edit the Attributes tab asks for: the model's own sliders (others are hidden), with
        the "any other attribute" strength added to its attribute's."""
        own = self.attribute_names(name)
        strengths = {attr: v for attr, v in sliders.items() if attr in own}
        if extra is not None:
            strengths[extra] = strengths.get(extra, 0) + extra_strength
        return strengths

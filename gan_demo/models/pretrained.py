"""Rebuild trained networks from a checkpoint (safetensors + JSON), validated, ready for inference.

Every network is built from the JSON alone (its kind's row in gan_demo.models.kinds, its
architecture and label names), then given the file's weights.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from gan_demo.domain import Domain, domain_of

from . import kinds
from .checkpoints import CheckpointError, checkpoint_paths, load_checkpoint, split_prefix
from .kinds import ModelKind
from .nets import ArchConfig

SIDE_FILES = (
    ".state.safetensors",
    ".directions.safetensors",
    ".exemplars.safetensors",
    ".digits.safetensors",
    ".codes.safetensors",
)


def shipped_folder() -> Path:
    """The repository's own checkpoints: $GAN_DEMO_CHECKPOINTS, else the checkout's checkpoints/
    (an editable install or the repository itself), else ./checkpoints (an installed wheel)."""
    if os.environ.get("GAN_DEMO_CHECKPOINTS"):
        return Path(os.environ["GAN_DEMO_CHECKPOINTS"])
    beside = Path(__file__).resolve().parents[2] / "checkpoints"
    return beside if beside.is_dir() else Path("checkpoints")


@dataclass
class Pretrained:
    """A trained model in eval mode: its networks by their key prefix, G (generator/decoder),
    E (encoder), C (classifier) and P (frame predictor), as its kind has them."""

    name: str
    kind: str
    arch: ArchConfig
    meta: dict
    device: torch.device
    parts: dict[str, nn.Module] = field(default_factory=dict)
    label_names: list[str] = field(default_factory=list)
    label_kind: str = ""
    stored_dtype: torch.dtype = torch.float32  # the weights' type in the file (loaded as fp32)
    path: Path | None = None  # the checkpoint's stem, when loaded from files

    @property
    def G(self) -> nn.Module | None:
        return self.parts.get("G")

    @property
    def E(self) -> nn.Module | None:
        return self.parts.get("E")

    @property
    def C(self) -> nn.Module | None:
        return self.parts.get("C")

    @property
    def P(self) -> nn.Module | None:
        return self.parts.get("P")

    @property
    def spec(self) -> ModelKind:
        """This model's row in the kind registry."""
        return kinds.get(self.kind)

    @property
    def domain(self) -> Domain:
        return domain_of(self.label_names, self.arch.channels)

    @property
    def has_encoder(self) -> bool:
        return self.E is not None

    def detail_shape(self) -> tuple[int, ...] | None:
        """The shape of one image's detail (gan_demo.models.nets.Generator), None for a generator without one."""
        shape = getattr(self.G, "detail_shape", None)
        return tuple(shape()) if shape is not None else None

    def render(self, z: torch.Tensor, detail: torch.Tensor | None = None) -> torch.Tensor:
        """G(z), with a projected photo's detail when given, keeping gradients (for optimisations
        through the generator); a generator without a detail input is called with the codes alone."""
        return self.G(z) if detail is None else self.G(z, detail)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, detail: torch.Tensor | None = None) -> torch.Tensor:
        """codes (N, z_dim) -> images (N, C, S, S) in [-1, 1]; `detail` is a projected photo's
        residual (gan_demo.models.nets.Generator), kept through edits and morphs of that photo."""
        if detail is not None:
            expected = self.detail_shape()
            if expected is None or tuple(detail.shape[1:]) != expected or detail.shape[0] not in (1, z.shape[0]):
                raise ValueError(
                    f"{self.name}: a detail of shape {tuple(detail.shape)} for {z.shape[0]} codes; "
                    f"expected (1 or {z.shape[0]}, {', '.join(map(str, expected or ()))})"
                )
            detail = detail.to(self.device, torch.float32)
        return self.render(z.to(self.device, torch.float32), detail).float()

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """images in [-1, 1] -> codes (the VAE's posterior mean)."""
        out = self.E(x.to(self.device, torch.float32)).float()
        return out[:, : self.arch.z_dim]

    @torch.no_grad()
    def predict(self, frames: torch.Tensor, count: int) -> torch.Tensor:
        """clips (N, T >= 10, 64, 64) in [0, 1] -> the `count` frames after them (N, count, 64, 64)
        in [0, 1], predicted ten at a time from the ten before (gan_demo.models.video)."""
        return self.P.continue_clip(frames.to(self.device, torch.float32), count).float()

    @torch.no_grad()
    def segment(self, x: torch.Tensor) -> torch.Tensor:
        """faces in [-1, 1] -> part maps (N, S, S) of class ids (gan_demo.data.face_parts)."""
        return self.parts["segmenter"](x.to(self.device, torch.float32)).argmax(1).to(torch.uint8)

    @torch.no_grad()
    def style_of(self, faces: torch.Tensor) -> torch.Tensor:
        """faces in [-1, 1] -> their style codes (the style encoder's mean), (N, z_dim)."""
        return self.parts["style"](faces.to(self.device, torch.float32))[0].float()

    @torch.no_grad()
    def translate(self, maps: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        """part maps (N, S, S) -> faces (N, 3, S, S) in [-1, 1]; `style` (N or 1, z_dim), drawn from
        N(0, I) or a face's style_of; None: zeros, the prior's mean."""
        maps = maps.to(self.device)
        if style is None:
            style = torch.zeros(1, self.arch.z_dim)
        style = style.to(self.device, torch.float32).expand(maps.shape[0], -1)
        return self.parts["translator"](maps, style).float()

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """images in [-1, 1] -> (N, K) attribute probabilities (sigmoid) or class probabilities (softmax)."""
        logits = self.C(x.to(self.device, torch.float32)).float()
        return logits.sigmoid() if self.label_kind == "attributes" else logits.softmax(1)


def _fill(module: nn.Module, tensors: dict[str, torch.Tensor], prefix: str, where: Path) -> nn.Module:
    weights = split_prefix(tensors, prefix)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{where}: weights for {prefix} do not match the JSON architecture (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for key, value in weights.items():
        if value.shape != expected[key].shape:
            raise CheckpointError(
                f"{where}: {prefix}.{key} is {tuple(value.shape)}, the JSON architecture needs {tuple(expected[key].shape)}"
            )
    module.load_state_dict({k: v.to(expected[k].dtype) for k, v in weights.items()})
    return module.eval()


def load_pretrained(path: str | os.PathLike, device: torch.device | str = "cpu") -> Pretrained:
    """Load `dir/name` (or its .safetensors/.json) and rebuild its networks from the JSON config."""
    weights_path, config_path = checkpoint_paths(path)
    tensors, meta = load_checkpoint(path)
    try:
        spec, arch = kinds.get(meta["kind"]), ArchConfig(**meta["arch"])
        labels = meta.get("labels") or {}
        label_names, label_kind = list(labels.get("names", [])), str(labels.get("kind", ""))
        if not all(isinstance(n, str) for n in label_names):
            raise ValueError("label names must be strings")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise CheckpointError(f"{config_path}: bad or missing kind, architecture or labels ({err})") from err
    prefixes = {k.split(".", 1)[0] for k in tensors}
    if prefixes != set(spec.parts):
        raise CheckpointError(
            f"{weights_path}: a {spec.name} checkpoint ({config_path.name}) holds networks {sorted(spec.parts)}, this file {sorted(prefixes)}"
        )
    try:
        untrained = spec.build(arch, label_names)
    except ValueError as err:
        raise CheckpointError(f"{config_path}: {err}") from err
    device = torch.device(device)
    return Pretrained(
        config_path.stem,
        spec.name,
        arch,
        meta,
        device,
        {prefix: _fill(module, tensors, prefix, weights_path).to(device) for prefix, module in untrained.items()},
        label_names,
        label_kind,
        next((t.dtype for t in tensors.values() if t.is_floating_point()), torch.float32),
        config_path.with_suffix(""),
    )


def find_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """Every checkpoint stem in a folder: each NAME.json or NAME.safetensors (training states and
    the side files of SIDE_FILES aside), sorted, so a weights file whose JSON is missing is reported, not ignored."""
    folder = Path(folder)
    stems = {p.with_suffix("") for p in folder.glob("*.json")}
    stems |= {p.with_suffix("") for p in folder.glob("*.safetensors") if not p.name.endswith(SIDE_FILES)}
    return sorted(stems)


def reads(kind: str, arch: ArchConfig, label_kind: str, images: ArchConfig, domain: Domain) -> bool:
    """Whether a checkpoint of this kind, architecture and labels classifies a model's images:
    the same channels and size, and its domain's labels (attributes for faces, classes for digits)."""
    try:
        classifies = kinds.get(kind).can("classify")
    except KeyError:
        return False
    same_shape = (arch.channels, arch.size) == (images.channels, images.size)
    return classifies and same_shape and label_kind == domain.label_kind


def find_classifier(images: ArchConfig, domain: Domain, near: str | os.PathLike | None = None) -> Path | None:
    """The classifier checkpoint for images of this shape and domain: the first that reads them
    in the folder `near` (a model's own), then in the repository's checkpoints/; None if neither
    has one."""
    folders = [Path(near)] if near is not None else []
    for folder in dict.fromkeys([*folders, shipped_folder()]):
        for config in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                meta = json.loads(config.read_text())
                labels = meta.get("labels") or {}
                if reads(meta["kind"], ArchConfig(**meta["arch"]), labels.get("kind", ""), images, domain):
                    return config.with_suffix("")
            except (OSError, ValueError, TypeError, KeyError, AttributeError):
                continue  # not a checkpoint's JSON, or a broken one: the loader reports those
    return None


def classifier_for(model: Pretrained, override: str | os.PathLike | None = None) -> Pretrained:
    """The classifier that reads a model's images (`override`, else `find_classifier` beside the
    model's checkpoint), on the model's device; a clear error when there is none."""
    if override is not None:
        classifier = load_pretrained(override, model.device)
        mine, theirs = model.arch, classifier.arch
        if classifier.C is None or (theirs.channels, theirs.size) != (mine.channels, mine.size):
            what = f"{theirs.channels}x{theirs.size}x{theirs.size} images" if classifier.C is not None else "nothing"
            raise CheckpointError(
                f"{classifier.name} classifies {what}, {model.name} makes {mine.channels}x{mine.size}x{mine.size}"
            )
        return classifier
    path = find_classifier(model.arch, model.domain, model.path.parent if model.path else None)
    if path is None:
        a = model.arch
        raise CheckpointError(
            f"{model.name}: no classifier of {model.domain.name} ({a.channels}x{a.size}x{a.size}) beside it "
            "or in the repository's checkpoints/: pass --classifier CHECKPOINT"
        )
    return load_pretrained(path, model.device)

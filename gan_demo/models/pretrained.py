"""Rebuild trained networks from a checkpoint (safetensors + JSON), validated, ready for inference."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .checkpoints import CheckpointError, checkpoint_paths, load_checkpoint, split_prefix
from .nets import ArchConfig, Classifier, Encoder, Generator

SIDE_FILES = (".state.safetensors", ".directions.safetensors")
PARTS = {"dcgan": {"G"}, "aegan": {"G", "E"}, "ae": {"G", "E"}, "vae": {"G", "E"}, "classifier": {"C"}}
MAX_LABELS = 1000  # a hostile JSON must not make us build a giant output layer


@dataclass
class Pretrained:
    """A trained model in eval mode: G (generator/decoder), E (encoder), C (classifier) as present."""

    name: str
    kind: str
    arch: ArchConfig
    meta: dict
    device: torch.device
    G: Generator | None = None
    E: Encoder | None = None
    C: Classifier | None = None
    label_names: list[str] = field(default_factory=list)
    label_kind: str = ""
    stored_dtype: torch.dtype = torch.float32  # the weights' type in the file (loaded as fp32)

    @property
    def has_encoder(self) -> bool:
        return self.E is not None

    @torch.no_grad()
    def generate(self, z: torch.Tensor, detail: torch.Tensor | None = None) -> torch.Tensor:
        """codes (N, z_dim) -> images (N, C, S, S) in [-1, 1]; `detail` is a projected photo's
        residual (models.Generator), kept through edits and morphs of that photo."""
        if detail is not None:
            expected = self.G.detail_shape()
            if tuple(detail.shape[1:]) != expected or detail.shape[0] not in (1, z.shape[0]):
                raise ValueError(
                    f"{self.name}: a detail of shape {tuple(detail.shape)} for {z.shape[0]} codes; "
                    f"expected (1 or {z.shape[0]}, {', '.join(map(str, expected))})"
                )
            detail = detail.to(self.device, torch.float32)
        return self.G(z.to(self.device, torch.float32), detail).float()

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """images in [-1, 1] -> codes (the VAE's posterior mean)."""
        out = self.E(x.to(self.device, torch.float32)).float()
        return out[:, : self.arch.z_dim]

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """images in [-1, 1] -> (N, K) attribute probabilities (sigmoid) or class probabilities (softmax)."""
        logits = self.C(x.to(self.device, torch.float32)).float()
        return logits.sigmoid() if self.label_kind == "attributes" else logits.softmax(1)


def _build(module: nn.Module, tensors: dict[str, torch.Tensor], prefix: str, where: Path) -> nn.Module:
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
        kind, arch = meta["kind"], ArchConfig(**meta["arch"])
        labels = meta.get("labels") or {}
        label_names, label_kind = list(labels.get("names", [])), str(labels.get("kind", ""))
        if not all(isinstance(n, str) for n in label_names):
            raise ValueError("label names must be strings")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise CheckpointError(f"{config_path}: bad or missing architecture or labels ({err})") from err
    model = Pretrained(
        config_path.stem, kind, arch, meta, torch.device(device), label_names=label_names, label_kind=label_kind
    )
    model.stored_dtype = next((t.dtype for t in tensors.values() if t.is_floating_point()), torch.float32)
    prefixes = {k.split(".", 1)[0] for k in tensors}
    if kind in PARTS and prefixes != PARTS[kind]:
        raise CheckpointError(
            f"{weights_path}: a {kind} checkpoint ({config_path.name}) holds networks {sorted(PARTS[kind])}, this file {sorted(prefixes)}"
        )
    if "G" in prefixes:
        model.G = _build(Generator(arch), tensors, "G", weights_path).to(model.device)
    if "E" in prefixes:
        out_dim = 2 * arch.z_dim if kind == "vae" else arch.z_dim
        model.E = _build(Encoder(arch, out_dim=out_dim), tensors, "E", weights_path).to(model.device)
    if "C" in prefixes:
        n_classes = len(model.label_names)
        if not 0 < n_classes <= MAX_LABELS:
            raise CheckpointError(f"{config_path}: a classifier needs 1 to {MAX_LABELS} label names in the JSON")
        model.C = _build(Classifier(arch, n_classes), tensors, "C", weights_path).to(model.device)
    if model.G is None and model.C is None:
        raise CheckpointError(f"{weights_path}: holds neither a generator (G.*) nor a classifier (C.*)")
    return model


def find_checkpoints(folder: str | os.PathLike) -> list[Path]:
    """Every checkpoint stem in a folder: each NAME.json or NAME.safetensors (training states and
    direction files aside), sorted, so a weights file whose JSON is missing is reported, not ignored."""
    folder = Path(folder)
    stems = {p.with_suffix("") for p in folder.glob("*.json")}
    stems |= {p.with_suffix("") for p in folder.glob("*.safetensors") if not p.name.endswith(SIDE_FILES)}
    return sorted(stems)


def shipped_classifier(model: Pretrained) -> str:
    """The repository's classifier for a model's images (faces or digits), relative to the working
    folder: what guided edits use unless told otherwise."""
    return f"checkpoints/classifier-{'celeba64' if model.arch.channels == 3 else 'mnist'}"

"""Checkpoint files: safetensors weights + JSON metadata, written atomically, read safely.

Inference checkpoint: `<stem>.safetensors` (networks needed at inference, keys `G.…`, `E.…`,
`C.…`) beside `<stem>.json` (architecture, labels, data, training record). Training state:
`<stem>.state.safetensors`, one file holding every network, optimizer and counter, with its
JSON in the safetensors metadata so the two can never disagree. Nothing here unpickles.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save

FORMAT = "gan_demo/1"
STATE_KEY = "gan_demo_state"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file and the problem."""


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it: a kill leaves old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; checkpoints are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temps(stem: Path) -> int:
    """Delete the temporary files a killed run left beside its checkpoints and sample grids.
    They are never whole files (atomic_write renames only finished ones), so nothing is lost."""
    patterns = [f".{stem.name}{suffix}.*.tmp" for suffix in (".safetensors", ".json", ".state.safetensors")]
    stale = [p for pattern in patterns for p in stem.parent.glob(pattern)]
    stale += list((stem.parent / "samples").glob(f".{stem.name}-{'[0-9]' * 7}.png.*.tmp"))
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def _cpu_tensors(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}


def flatten_modules(modules: dict[str, torch.nn.Module]) -> dict[str, torch.Tensor]:
    """{'G': module} -> {'G.net.0.weight': tensor, ...}."""
    return {f"{name}.{k}": v for name, m in modules.items() for k, v in m.state_dict().items()}


def split_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries under `prefix.`, with the prefix removed."""
    cut = len(prefix) + 1
    return {k[cut:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def checkpoint_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """'dir/name', 'dir/name.safetensors' or 'dir/name.json' -> both file paths."""
    return side_file(path, ".safetensors"), side_file(path, ".json")


def side_file(path: str | os.PathLike, suffix: str) -> Path:
    """'dir/name' (or either checkpoint file) -> 'dir/name' + suffix: the checkpoint's files and
    the side files kept beside it (directions, exemplar pool, a video model's digits)."""
    p = Path(path)
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + suffix)


def save_checkpoint(stem: str | os.PathLike, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Weights first, JSON second: a JSON on disk always describes complete weights."""
    weights, config = checkpoint_paths(stem)
    atomic_write(weights, st_save(_cpu_tensors(tensors), metadata={"format": FORMAT}))
    atomic_write(config, (json.dumps({"format": FORMAT, **meta}, indent=2) + "\n").encode())
    return weights


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Parse a safetensors file from bytes (no pickle), with errors that name the file."""
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, ValueError, OSError, RuntimeError) as err:
        raise CheckpointError(f"{path}: not a valid safetensors file ({err})") from err
    return tensors, metadata


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """Read an inference checkpoint's weights and JSON metadata, validating both exist and parse."""
    weights, config = checkpoint_paths(path)
    if not config.is_file():
        raise CheckpointError(f"{config}: missing (every checkpoint needs its JSON beside the weights)")
    try:
        meta = json.loads(config.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{config}: not valid JSON ({err})") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{config}: expected format {FORMAT!r}, found {meta.get('format') if isinstance(meta, dict) else type(meta).__name__!r}"
        )
    tensors, _ = read_safetensors(weights)
    return tensors, meta


def state_path(stem: str | os.PathLike) -> Path:
    p = Path(stem)
    return p.with_name(p.name + ".state.safetensors")


def save_state(stem: str | os.PathLike, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    path = state_path(stem)
    atomic_write(path, st_save(_cpu_tensors(tensors), metadata={"format": FORMAT, STATE_KEY: json.dumps(meta)}))
    return path


def load_state(stem: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    path = state_path(stem)
    tensors, metadata = read_safetensors(path)
    if STATE_KEY not in metadata:
        raise CheckpointError(f"{path}: not a gan_demo training state (no {STATE_KEY!r} metadata)")
    return tensors, json.loads(metadata[STATE_KEY])


def optimizer_to_tensors(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], list]:
    """An optimizer's per-parameter tensors (safetensors) and its param groups (JSON)."""
    sd = opt.state_dict()
    tensors = {
        f"{prefix}.{idx}.{key}": torch.as_tensor(val) for idx, st in sd["state"].items() for key, val in st.items()
    }
    return tensors, sd["param_groups"]


def optimizer_from_tensors(
    opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], prefix: str, groups: list
) -> None:
    params = [p for group in opt.param_groups for p in group["params"]]
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, val in split_prefix(tensors, prefix).items():
        idx, name = key.split(".", 1)
        param = params[int(idx)]
        if val.shape == param.shape:  # fused Adam needs moments laid out like the (channels_last) weights
            val = torch.empty_like(param, dtype=val.dtype).copy_(val)
        state.setdefault(int(idx), {})[name] = val
    # whether steps are recorded as CUDA graphs is this run's choice, not the saved one's; so is the
    # rate a schedule starts from (a state saved before schedules existed has none)
    groups = [
        {**saved, "capturable": own.get("capturable", False), **{k: own[k] for k in ("initial_lr",) if k in own}}
        for saved, own in zip(groups, opt.param_groups, strict=True)
    ]
    opt.load_state_dict({"state": state, "param_groups": groups})

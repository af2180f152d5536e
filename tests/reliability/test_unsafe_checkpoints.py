"""Unsafe and broken checkpoints: each refused with a message naming the file and the problem,
nothing executed, nothing huge allocated; the app starts on the valid ones and lists the rest."""

from __future__ import annotations

import json
import pickle
import shutil
import struct
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from gan_demo.models.checkpoints import CheckpointError
from gan_demo.models.pretrained import load_pretrained
from gan_demo.studio import Studio


class Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def edit_json(path: Path, change) -> None:
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta))


def make_broken(folder: Path, source: Path, classifier: Path, marker: Path) -> dict[str, str]:
    """Write one broken checkpoint per case into folder; returns name -> the problem its error must name."""
    folder.mkdir(parents=True, exist_ok=True)

    def copy(name: str, weights: bool = True, config: bool = True) -> tuple[Path, Path]:
        w, c = folder / f"{name}.safetensors", folder / f"{name}.json"
        if weights:
            shutil.copy(source.with_name(source.name + ".safetensors"), w)
        if config:
            shutil.copy(source.with_name(source.name + ".json"), c)
        return w, c

    w, _ = copy("pickle-payload")
    w.write_bytes(pickle.dumps(Payload(marker)))
    w, _ = copy("torch-save-payload")
    torch.save({"G.net.0.weight": Payload(marker)}, w)
    w, _ = copy("truncated")
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    w, _ = copy("header-claims-a-terabyte")
    w.write_bytes(struct.pack("<Q", 2**40) + b"{}")
    _, c = copy("config-wider-than-weights")
    edit_json(c, lambda m: m["arch"].update(width=m["arch"]["width"] * 2))
    _, c = copy("config-other-image-size")
    edit_json(c, lambda m: m["arch"].update(size=64))
    _, c = copy("config-giant-width")
    edit_json(c, lambda m: m["arch"].update(width=10**6))
    _, c = copy("config-unknown-kind")
    edit_json(c, lambda m: m.update(kind="pickle"))
    _, c = copy("config-not-an-object")
    c.write_text("[1, 2, 3]")
    _, c = copy("config-labels-not-a-dict")
    edit_json(c, lambda m: m.update(labels=["x"]))
    w, _ = copy("foreign-weights")
    save_file({"model.layer1.weight": torch.zeros(3, 3)}, str(w))
    w, _ = copy("classifier-weights-under-a-generator-json")
    shutil.copy(classifier.with_name(classifier.name + ".safetensors"), w)
    copy("missing-json", config=False)
    copy("missing-weights", weights=False)
    return {
        "pickle-payload": r"pickle-payload\.safetensors: not a valid safetensors file",
        "torch-save-payload": r"torch-save-payload\.safetensors: not a valid safetensors file",
        "truncated": r"truncated\.safetensors: not a valid safetensors file",
        "header-claims-a-terabyte": r"header-claims-a-terabyte\.safetensors: not a valid safetensors file",
        "config-wider-than-weights": r"config-wider-than-weights\.safetensors: .* the JSON architecture needs",
        "config-other-image-size": r"config-other-image-size\.safetensors: weights for G do not match the JSON architecture",
        "config-giant-width": r"config-giant-width\.json: bad or missing kind, architecture .*widths must be 4\.\.256",
        "config-not-an-object": r"config-not-an-object\.json: expected format",
        "config-labels-not-a-dict": r"config-labels-not-a-dict\.json: bad or missing kind, architecture or labels",
        "config-unknown-kind": r"config-unknown-kind\.json: bad or missing kind, .*unknown model kind 'pickle'",
        "foreign-weights": r"foreign-weights\.safetensors: a dcgan checkpoint .* this file \['model'\]",
        "classifier-weights-under-a-generator-json": r"under-a-generator-json\.safetensors: a dcgan checkpoint .* holds networks \['G'\], this file \['C'\]",
        "missing-json": r"missing-json\.json: missing",
        "missing-weights": r"missing-weights\.safetensors: file not found",
    }


@pytest.fixture(scope="module")
def broken(tiny_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("unsafe")
    marker = root / "code-ran"
    problems = make_broken(root / "models", tiny_models["dcgan"], tiny_models["classifier"], marker)
    for name in ("aegan-faces", "classifier-faces"):  # valid ones beside them
        for suffix in (".safetensors", ".json"):
            shutil.copy(tiny_models["data"].parent / f"{name}{suffix}", root / "models" / f"{name}{suffix}")
    (root / "models" / "aegan-faces.directions.safetensors").write_bytes(b"\x00" * 40)  # a broken side file
    return root / "models", problems, marker


def test_each_broken_checkpoint_is_refused_naming_file_and_problem(broken):
    folder, problems, marker = broken
    for name, problem in problems.items():
        started = time.perf_counter()
        with pytest.raises(CheckpointError, match=problem):
            load_pretrained(folder / name)
        assert time.perf_counter() - started < 5, name  # nothing giant was allocated
    assert not marker.exists()  # no pickle payload ran


def test_the_app_starts_with_the_valid_ones_and_says_which_were_skipped(broken):
    import httpx

    pytest.importorskip("gradio")
    from bench.app_load import free_port
    from gan_demo.app.layout import launch

    folder, problems, marker = broken
    studio = Studio.load(folder)
    assert sorted(studio.models) == ["aegan-faces", "classifier-faces"]
    assert set(studio.skipped) == set(problems) | {"aegan-faces.directions"}
    port = free_port()
    demo = launch(folder, "cpu", "127.0.0.1", port, share=False, block=False)
    try:
        config = httpx.get(f"http://127.0.0.1:{port}/config").text
        assert "Skipped checkpoints" in config and all(f"`{name}`" in config for name in problems)
        assert str(folder) not in config  # each file named, not the server's folder
    finally:
        demo.close()
    assert not marker.exists()


@pytest.mark.parametrize(
    "metadata, tensors, problem",
    [
        ({"names": '"5"'}, None, "names must be a list of strings"),
        ({"names": '["a", "b"]'}, None, "2 names for directions of shape"),
        ({"names": '["a"]'}, {"separation": torch.ones(3)}, "1 names for separations of shape"),
        ({}, None, "not a gan_demo directions file"),
    ],
)
def test_broken_directions_files_are_refused(tmp_path, metadata, tensors, problem):
    from gan_demo.latent.directions import Directions

    content = {"mean_difference": torch.ones(1, 4), "linear": torch.ones(1, 4), "separation": torch.ones(1)}
    save_file({**content, **(tensors or {})}, str(tmp_path / "d.safetensors"), metadata=metadata)
    with pytest.raises(CheckpointError, match=problem):
        Directions.load(tmp_path / "d.safetensors")

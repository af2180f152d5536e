"""Data flows one way: data -> models -> training -> checkpoints -> latent toolkit -> app. Each
import is checked in a fresh interpreter, so modules an earlier test loaded cannot hide a leak."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def loaded_by(module: str) -> set[str]:
    """Every module name loaded by importing `module` in a fresh interpreter."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "gan_demo" or m.startswith("gan_demo.")}


def test_the_trainer_loads_neither_opencv_nor_the_latent_toolkit():
    loaded = loaded_by("gan_demo.training.command")  # train.py's whole program: the loop, objectives, FID
    assert "cv2" not in loaded and "gradio" not in loaded
    assert not {m for m in ours(loaded) if m.startswith(("gan_demo.latent", "gan_demo.app", "gan_demo.studio"))}
    assert ours(loaded) & {"gan_demo.metrics.evaluation", "gan_demo.metrics.inpainting"} == set()


def test_metric_maths_imports_only_torch():
    loaded = loaded_by("gan_demo.metrics.maths")
    assert ours(loaded) == {"gan_demo", "gan_demo.metrics", "gan_demo.metrics.maths"}
    assert not {"cv2", "PIL", "gradio", "safetensors"} & loaded


@pytest.mark.parametrize("entry", ["gan_demo.studio", "gan_demo.cli"])  # the CLI loads the evaluation
def test_library_code_never_imports_gradio(entry):
    assert "gradio" not in loaded_by(entry)

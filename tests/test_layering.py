"""Data flows one way: data -> models -> training -> checkpoints -> latent toolkit -> app. Checked
in one fresh interpreter, importing the lowest layer first, so an earlier import cannot hide a
later one's leak."""

from __future__ import annotations

import json
import subprocess
import sys

STEPS = ["gan_demo.metrics.maths", "gan_demo.training.command", "gan_demo.studio", "gan_demo.cli"]


def test_each_layer_loads_only_what_is_below_it():
    code = (
        "import importlib, json, sys\n"
        f"for name in {STEPS!r}:\n"
        "    importlib.import_module(name)\n"
        "    print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    maths, trainer, studio, cli = (set(json.loads(line)) for line in result.stdout.splitlines()[-4:])

    def ours(modules: set[str]) -> set[str]:
        return {m for m in modules if m == "gan_demo" or m.startswith("gan_demo.")}

    # metric maths imports nothing but torch
    assert ours(maths) == {"gan_demo", "gan_demo.metrics", "gan_demo.metrics.maths"}
    assert not {"cv2", "PIL", "gradio", "safetensors"} & maths
    # train.py's whole program (the loop, objectives, FID) loads neither OpenCV nor the latent toolkit
    assert "cv2" not in trainer and "gradio" not in trainer
    assert not {m for m in ours(trainer) if m.startswith(("gan_demo.latent", "gan_demo.app", "gan_demo.studio"))}
    assert ours(trainer) & {"gan_demo.metrics.evaluation", "gan_demo.metrics.inpainting"} == set()
    # library code never imports Gradio: the Studio, the CLI and the evaluation it loads
    assert "gradio" not in studio and "gradio" not in cli and "gan_demo.metrics.evaluation" in cli

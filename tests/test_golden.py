"""The shipped checkpoints give the same outputs for the same seeds as when these references were
written: sample, interpolate, edit (plain, guided, arithmetic), project, inpaint and colorize,
each through `python -m gan_demo`, compared pixel by pixel with the PNGs in tests/golden/.

The references were written before the code was restructured into its present folders; on the
machine that wrote them the outputs are equal bit for bit. Another CPU may round the long
optimisations (projection, inpainting) differently, so the test allows a tiny difference.

    python tests/test_golden.py --write tests/golden/expected   # rewrite the references
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
INPUTS = GOLDEN / "inputs"
CK = ROOT / "checkpoints"
MIN_PSNR_DB = 35.0  # between an output and its reference; equal outputs are infinite


def commands(out: Path) -> dict[str, list[str]]:
    """Name -> the CLI's argv; every output is `out/NAME/...png`."""
    face, other, mask = str(INPUTS / "face-0.png"), str(INPUTS / "face-1.png"), str(INPUTS / "mask.png")
    aegan, dcgan, digits = str(CK / "aegan-celeba64"), str(CK / "dcgan-celeba64"), str(CK / "aegan-mnist")
    classifier = str(CK / "classifier-celeba64")
    return {
        "sample-faces": ["sample", "--checkpoint", aegan, "--n", "4", "--seed", "7", "--truncation", "0.7"],
        "sample-digits": ["sample", "--checkpoint", str(CK / "dcgan-mnist"), "--n", "4", "--seed", "3"],
        "interpolate-seeds": ["interpolate", "--checkpoint", dcgan, "--keyframes", "seed:0", "seed:1", "--frames", "5"],
        "interpolate-photo": ["interpolate", "--checkpoint", aegan, "--keyframes", face, "seed:2", "--frames", "4"],
        "edit-plain": ["edit", "--checkpoint", aegan, "--attribute", "Smiling", "--seed", "3", "--steps", "3"],
        "edit-conditional": [
            *("edit", "--checkpoint", dcgan, "--attribute", "Eyeglasses", "--keep", "Male", "Young"),
            *("--seed", "5", "--steps", "3"),
        ],
        "edit-guided": [
            *("edit", "--checkpoint", aegan, "--attribute", "Male", "--guided", "--classifier", classifier),
            *("--seed", "4", "--steps", "3"),
        ],
        "edit-guided-digit": ["edit", "--checkpoint", digits, "--attribute", "thickness", "--guided", "--steps", "3"],
        "edit-photo": ["edit", "--checkpoint", aegan, "--image", face, "--attribute", "Eyeglasses", "--steps", "2"],
        "edit-arithmetic": ["edit", "--checkpoint", aegan, "--arithmetic", "1", "2", "3"],
        "project-encoder": ["project", "--checkpoint", aegan, "--image", face],
        "project-no-encoder": ["project", "--checkpoint", dcgan, "--image", other, "--steps", "30"],
        "inpaint": ["inpaint", "--checkpoint", aegan, "--image", other, "--mask", mask],
        "inpaint-poisson": ["inpaint", "--checkpoint", dcgan, "--image", face, "--mask", mask, "--blend", "poisson"],
        "colorize": ["colorize", "--checkpoint", dcgan, "--image", face, "--steps", "40"],
    }


def run(name: str, argv: list[str], out: Path) -> list[Path]:
    """Run one command into out/name; its PNG outputs, sorted (the morph's GIF and MP4 left out)."""
    from gan_demo.cli import main

    folder = out / name
    assert main([*argv, "--out", str(folder), "--device", "cpu"]) == 0, name
    return sorted(folder.rglob("*.png"))


def psnr_db(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def read(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


@pytest.mark.parametrize("name", list(commands(Path("."))))
def test_same_outputs_as_the_references(name, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the CLI's default classifier for a digit model is the repository's
    expected = GOLDEN / "expected" / name
    outputs = run(name, commands(tmp_path)[name], tmp_path)
    assert [p.name for p in outputs] == sorted(p.name for p in expected.glob("*.png"))
    for path in outputs:
        got, want = read(path), read(expected / path.name)
        assert got.shape == want.shape, path.name
        assert psnr_db(got, want) >= MIN_PSNR_DB, f"{name}/{path.name}: {psnr_db(got, want):.1f} dB"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", type=Path, help="write every command's outputs under this folder")
    p.add_argument("--compare", type=Path, help="report how far each output is from the references")
    args = p.parse_args()
    out = args.write or args.compare
    if out is None:
        p.error("give --write DIR or --compare DIR")
    for name, argv in commands(out).items():
        for path in run(name, argv, out):
            if args.compare:
                want = GOLDEN / "expected" / name / path.name
                print(
                    f"{name}/{path.name}: {'equal' if np.array_equal(read(path), read(want)) else f'{psnr_db(read(path), read(want)):.1f} dB'}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

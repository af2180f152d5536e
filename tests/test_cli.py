"""`python -m gan_demo` commands on tiny models, as scripts would call them."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gan_demo.cli import main, safe_output
from gan_demo.latent.attributes import directions_from_classifier, directions_from_photos
from gan_demo.latent.directions import directions_path
from gan_demo.models.pretrained import load_pretrained


@pytest.fixture(scope="module")
def photos(tmp_path_factory, tiny_models):
    from gan_demo.data.datasets import load_images

    folder = tmp_path_factory.mktemp("photos")
    images = load_images(tiny_models["data"]).images[-3:]
    (folder / "sub").mkdir()
    for i, name in enumerate(["a.png", "b.jpg", "sub/c.png"]):
        Image.fromarray(images[i].permute(1, 2, 0).numpy()).resize((50, 40)).save(folder / name)
    return folder


def test_sample_writes_pngs_and_a_grid(tiny_models, tmp_path, capsys):
    assert (
        main(
            [
                "sample",
                "--checkpoint",
                str(tiny_models["dcgan"]),
                "--n",
                "5",
                "--out",
                str(tmp_path),
                "--grid",
                "--seed",
                "7",
            ]
        )
        == 0
    )
    files = {p.name for p in tmp_path.iterdir()}
    assert files == {"grid-7.png"} | {f"sample-{seed}.png" for seed in range(7, 12)}  # one seed an image
    assert Image.open(tmp_path / "sample-7.png").size == (32, 32)
    assert capsys.readouterr().out.count("wrote") == 6


def test_interpolate_writes_gif_and_mp4(tiny_models, photos, tmp_path):
    assert (
        main(
            [
                "interpolate",
                "--checkpoint",
                str(tiny_models["aegan"]) + ".safetensors",
                "--keyframes",
                "seed:1",
                str(photos / "a.png"),
                "seed:3",
                "--frames",
                "6",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    gif = Image.open(tmp_path / "morph.gif")
    assert gif.n_frames == 6
    assert (tmp_path / "morph.mp4").stat().st_size > 1000


def test_project_inpaint_colorize_mirror_folder_names(tiny_models, photos, tmp_path):
    mask = tmp_path / "mask.png"
    m = Image.new("L", (50, 40), 0)
    m.paste(255, (15, 10, 35, 30))
    m.save(mask)
    for command, extra in (("project", []), ("inpaint", ["--mask", str(mask)]), ("colorize", [])):
        out = tmp_path / command
        assert (
            main(
                [
                    command,
                    "--checkpoint",
                    str(tiny_models["aegan"]),
                    "--image",
                    str(photos),
                    "--out",
                    str(out),
                    "--steps",
                    "3",
                    *extra,
                ]
            )
            == 0
        )
        assert sorted(str(p.relative_to(out)) for p in out.rglob("*.png")) == ["a.png", "b.png", "sub/c.png"]


def test_directions_and_edit(tiny_models, tmp_path):
    aegan, dcgan, clf = (load_pretrained(tiny_models[k]) for k in ("aegan", "dcgan", "classifier"))
    directions_from_photos(aegan, str(tiny_models["data"]), 16).save(directions_path(tiny_models["aegan"]))
    d = directions_from_classifier(dcgan, clf, 256)
    assert d.names == ["Eyeglasses", "Male", "Smiling"] and d.linear.shape == (3, 16)
    guided = ["--attribute", "Male", "--guided", "--classifier", str(tiny_models["classifier"]), "--steps", "3"]
    for args in (["--attribute", "Smiling", "--keep", "Male"], ["--arithmetic", "1", "2", "3"], guided):
        out = tmp_path / "-".join(args[:2]).strip("-")
        assert main(["edit", "--checkpoint", str(tiny_models["aegan"]), "--out", str(out), *args]) == 0
        assert (out / "edit.png").exists()


def test_project_and_edit_a_photo_with_and_without_its_detail(tiny_models, tiny_directions, photos, tmp_path, capsys):
    photo = str(photos / "a.png")
    psnr_db = {}
    for bound in ("0", "0.15"):
        project = ["project", "--checkpoint", str(tiny_models["aegan"]), "--image", photo, "--steps", "30"]
        assert main([*project, "--detail-bound", bound, "--out", str(tmp_path / f"p{bound}")]) == 0
        psnr_db[bound] = float(capsys.readouterr().out.split("PSNR ")[1].split(" dB")[0])
        edit = ["edit", "--checkpoint", str(tiny_models["aegan"]), "--image", photo, "--attribute", "Male"]
        assert main([*edit, "--detail-bound", bound, "--out", str(tmp_path / f"e{bound}")]) == 0
    assert psnr_db["0.15"] > psnr_db["0"]
    with Image.open(tmp_path / "e0" / "edit.png") as a, Image.open(tmp_path / "e0.15" / "edit.png") as b:
        assert a.size == b.size and not np.array_equal(np.asarray(a), np.asarray(b))
    assert main([*project, "--detail-bound", "-1", "--out", str(tmp_path / "bad")]) == 1
    assert "detail bound must be >= 0" in capsys.readouterr().err


def test_evaluate_prints_json(tiny_models, tiny_directions, capsys):
    args = [
        "evaluate",
        "--checkpoint",
        str(tiny_models["aegan"]),
        "--data",
        str(tiny_models["data"]),
        "--holdout",
        "16",
        "--classifier",
        str(tiny_models["classifier"]),
        "--n",
        "16",
    ]
    assert main([*args, "--metrics", "fid", "projection", "edit", "--fit-n", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["edits"]) == {"Smiling", "Eyeglasses", "Male"}  # the tiny data's attributes
    assert 0 <= report["edits"]["Male"]["conditional"]["flip_rate"] <= 1
    assert 0 <= report["edits"]["Male"]["guided"]["other_attributes_mean_abs_change"] <= 1
    assert report["held_out_images"] == 16 and report["sample_fid_classifier_features"] >= 0
    assert set(report["projection_psnr_db"]) == {"encoder_only", "optimised_code_only", "optimised"}

    assert main([*args, "--metrics", "inpainting", "--fit-n", "3"]) == 0
    inpainting = json.loads(capsys.readouterr().out)["inpainting"]
    assert inpainting["photos"] == 3 and inpainting["uncorrupted"]["fid"] >= 0
    for mask in ("centre_24", "free_form"):
        assert set(inpainting[mask]["kid_classifier_features"]) == {"ours", "telea"}
    assert main([*args, "--fit-n", "0"]) == 1
    assert "--fit-n must be between 1" in capsys.readouterr().err


def test_clear_errors(tiny_models, tmp_path, capsys):
    assert main(["sample", "--checkpoint", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 1
    assert "missing.json: missing" in capsys.readouterr().err
    (tmp_path / "junk.png").write_bytes(b"junk")
    assert (
        main(
            [
                "project",
                "--checkpoint",
                str(tiny_models["aegan"]),
                "--image",
                str(tmp_path / "junk.png"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 1
    )
    assert "not a readable image" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(tiny_models["classifier"]), "--out", str(tmp_path)]) == 1
    assert "has no generator" in capsys.readouterr().err


def test_output_names_cannot_escape(tmp_path):
    assert safe_output(tmp_path, Path("a/b.jpg"), ".png") == (tmp_path / "a" / "b.png").resolve()
    with pytest.raises(ValueError, match="would leave"):
        safe_output(tmp_path, Path("../../etc/x"), ".png")


def test_equation_writes_one_rgb_face_per_seed(tiny_models, tmp_path, capsys):
    aegan = str(tiny_models["aegan"])
    assert main(["exemplars", "--checkpoint", aegan, "--n", "256"]) == 0
    out = tmp_path / "eq"
    sets = ["Male, Eyeglasses", "Male, -Eyeglasses", "-Male, -Eyeglasses"]
    assert main(["edit", "--checkpoint", aegan, "--equation", *sets, "--seeds", "0-2,7", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["0.png", "1.png", "2.png", "7.png"]
    with Image.open(out / "7.png") as im:
        assert im.mode == "RGB" and im.size == (32, 32)
    capsys.readouterr()
    for seeds, message in (("3-1", "not a range"), ("a-b", "numbers and ranges"), ("0-20000", "not a range")):
        assert main(["edit", "--checkpoint", aegan, "--equation", *sets, "--seeds", seeds, "--out", str(out)]) == 1
        assert message in capsys.readouterr().err
    assert main(["edit", "--checkpoint", aegan, "--equation", "Male", "Bald", "-Male", "--out", str(out)]) == 1
    assert "no label 'Bald'" in capsys.readouterr().err


def predict(checkpoint: Path, clips: Path, out: Path, *extra: str) -> int:
    return main(["predict", "--checkpoint", str(checkpoint), "--clips", str(clips), "--out", str(out), *extra])


def test_moving_mnist_and_predict_write_the_protocol_shapes(tiny_models, tiny_video_models, tmp_path, capsys):
    clips, digits = tmp_path / "clips.npy", str(tiny_video_models["digits"])
    assert main(["moving-mnist", "--digits", digits, "--n", "6", "--out", str(clips), "--digits-from", "all"]) == 0
    # 80 digits hold none of the held-out ones (8,000 on): refused unless --digits-from all
    assert main(["moving-mnist", "--digits", digits, "--n", "6", "--out", str(tmp_path / "x.npy")]) == 1
    assert "8,000 on" in capsys.readouterr().err
    written = np.load(clips)
    assert written.shape == (6, 20, 64, 64) and written.dtype == np.uint8 and written.max() > 0
    for extra, expected in (((), 10), (("--frames", "25"), 25)):
        out = tmp_path / f"pred-{expected}.npy"
        assert predict(tiny_video_models["video-gan"], clips, out, *extra) == 0
        assert np.load(out).shape == (6, expected, 64, 64) and np.load(out).dtype == np.uint8
    # the standard file's layout, frames first (20, N, 64, 64), gives the same predictions
    np.save(tmp_path / "standard.npy", written.transpose(1, 0, 2, 3))
    standard, ours = tmp_path / "standard-pred.npy", tmp_path / "again.npy"
    assert predict(tiny_video_models["video"], tmp_path / "standard.npy", standard, "--frames-first") == 0
    assert predict(tiny_video_models["video"], clips, ours) == 0
    assert np.array_equal(np.load(standard), np.load(ours))


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((2, 10, 28, 28), np.uint8), "expected clips shaped"),
        (np.zeros((2, 10, 64, 64), np.float64) + np.nan, "NaN"),
        (np.zeros((2, 10, 64, 64), np.int16), "expected uint8"),
    ],
)
def test_predict_refuses_bad_clip_files_clearly(tiny_video_models, tmp_path, capsys, array, message):
    np.save(tmp_path / "bad.npy", array)
    assert predict(tiny_video_models["video"], tmp_path / "bad.npy", tmp_path / "out.npy") == 1
    assert message in capsys.readouterr().err and not (tmp_path / "out.npy").exists()


def test_predict_needs_a_video_model(tiny_models, tmp_path, capsys):
    np.save(tmp_path / "clips.npy", np.zeros((1, 10, 64, 64), np.uint8))
    assert predict(tiny_models["dcgan"], tmp_path / "clips.npy", tmp_path / "out.npy") == 1
    assert "needs a video model" in capsys.readouterr().err

import pytest
import torch

from gan_demo.data.datasets import load_images, to_float
from gan_demo.latent.inversion import (
    DETAIL_BOUND,
    colorize,
    colorize_all,
    feather,
    inpaint,
    inpaint_all,
    luminance,
    project,
    project_all,
    project_code_and_detail,
)
from gan_demo.metrics.maths import psnr
from gan_demo.models.checkpoints import CheckpointError, checkpoint_paths
from gan_demo.models.pretrained import load_pretrained


@pytest.fixture(scope="module")
def models(tiny_models):
    return {k: load_pretrained(v) for k, v in tiny_models.items() if k != "data"}


@pytest.fixture(scope="module")
def photo(tiny_models):
    return to_float(load_images(tiny_models["data"]).images[-1:])


def test_pretrained_rebuilds_every_network(models):
    a, d, c = models["aegan"], models["dcgan"], models["classifier"]
    assert a.has_encoder and not d.has_encoder and c.C is not None and c.G is None
    x = a.generate(torch.randn(3, 16))
    assert x.shape == (3, 3, 32, 32) and x.min() >= -1 and x.max() <= 1
    assert a.encode(x).shape == (3, 16)
    probs = c.probabilities(x)
    assert probs.shape == (3, 3) and probs.min() >= 0 and probs.max() <= 1


def test_mismatched_weights_are_refused(tiny_models, tmp_path):
    import json
    import shutil

    for suffix in (".safetensors", ".json"):
        shutil.copy(str(tiny_models["dcgan"]) + suffix, tmp_path / f"m{suffix}")
    meta = json.loads((tmp_path / "m.json").read_text())
    meta["arch"]["width"] = 16
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"m.safetensors: G\..* is \(16, 32, 4, 4\)|m.safetensors: G"):
        load_pretrained(tmp_path / "m")
    assert checkpoint_paths(tmp_path / "m")[0].exists()


@pytest.mark.parametrize("name", ["aegan", "dcgan"])
def test_project(models, photo, name):
    fit = project(models[name], photo, steps=5, candidates=2)
    assert fit.z.shape == (1, 16) and fit.image.shape == photo.shape and fit.candidates.shape[0] == 2
    assert fit.image.min() >= -1 and fit.image.max() <= 1 and psnr(fit.image, photo) > 0


@pytest.mark.parametrize("name", ["aegan", "dcgan"])
def test_projection_detail_is_bounded_and_fits_closer_than_the_code_alone(models, photo, name):
    model = models[name]
    code_only = project(model, photo, steps=30, detail_bound=0.0)
    assert code_only.detail is None and torch.allclose(code_only.image, model.generate(code_only.z), atol=1e-6)
    fit = project(model, photo, steps=30)
    assert fit.detail.shape == (1, *model.G.detail_shape())
    assert fit.detail.abs().max() <= DETAIL_BOUND + 1e-6 and fit.detail.abs().max() > 0
    assert torch.allclose(fit.image, model.generate(fit.z, fit.detail), atol=1e-6)
    assert psnr(fit.image, photo) > psnr(code_only.image, photo)
    z, detail = project_code_and_detail(model, photo, detail_bound=0.0)
    assert z.shape == (1, 16) and detail.shape == fit.detail.shape and not detail.any()
    with pytest.raises(ValueError, match="detail bound"):
        project(model, photo, steps=2, detail_bound=-1.0)
    with pytest.raises(ValueError, match=r"a detail of shape \(1, 3, 4, 4\) for 2 codes"):
        model.generate(torch.zeros(2, 16), torch.zeros(1, 3, 4, 4))


def test_inpaint_keeps_known_pixels(models, photo):
    hole = torch.zeros(1, 1, 32, 32)
    hole[..., 10:20, 5:25] = 1
    exact = inpaint(models["aegan"], photo, hole, steps=5, candidates=2, blend="none")
    assert torch.equal(exact.image * (1 - hole), photo * (1 - hole))
    assert not torch.equal(exact.image, photo)
    soft = inpaint(models["aegan"], photo, hole, steps=5, candidates=2, blend="feather")
    band = feather(hole) > 0
    assert torch.equal(soft.image * ~band, photo * ~band)
    assert band.sum() < hole.sum() + 2 * 2 * (10 + 20) + 16 + 1  # the band is at most 2 pixels wide
    poisson = inpaint(models["dcgan"], photo, hole, steps=5, candidates=2, blend="poisson")
    grown = torch.nn.functional.max_pool2d(hole, 3, stride=1, padding=1) > 0
    assert torch.equal(poisson.image * ~grown, photo * ~grown)


def test_inpaint_empty_full_and_mismatched_masks(models, photo):
    empty = inpaint(models["dcgan"], photo, torch.zeros(1, 1, 32, 32))
    assert torch.equal(empty.image, photo)
    full = inpaint(models["dcgan"], photo, torch.ones(1, 1, 32, 32), candidates=3)
    assert full.image.shape == photo.shape and full.candidates.shape[0] == 3
    with pytest.raises(ValueError, match="must match"):
        inpaint(models["dcgan"], photo, torch.zeros(1, 1, 16, 16))


def test_colorize_keeps_the_input_luminance(models, photo):
    gray = luminance(photo)
    fit = colorize(models["aegan"], gray, steps=5, candidates=2)
    assert fit.image.shape == photo.shape
    assert fit.image.min() >= -1 and fit.image.max() <= 1
    assert (luminance(fit.image) - gray).abs().max() < 1e-5  # exact, even where G(z) leaves the gamut


@pytest.mark.parametrize("kind", ["aegan", "dcgan"])  # one start from the encoder; the best of random starts
def test_a_batch_of_photos_optimises_as_each_would_alone(models, tiny_models, kind):
    model = models[kind]
    photos = to_float(load_images(tiny_models["data"]).images[-3:])
    holes = torch.zeros(3, 1, 32, 32)
    holes[:, :, 8:20, 8:20] = 1
    batched = {
        "project": project_all(model, photos, steps=8),
        "inpaint": inpaint_all(model, photos, holes, steps=8),
        "colorize": colorize_all(model, luminance(photos), steps=8),
    }
    for i, photo in enumerate(photos.split(1)):
        alone = {
            "project": project(model, photo, steps=8),
            "inpaint": inpaint(model, photo, holes[i : i + 1], steps=8),
            "colorize": colorize(model, luminance(photo), steps=8),
        }
        for name, fit in alone.items():  # the same optimisation, but for round-off in batched convolutions
            assert (batched[name][i].image - fit.image).abs().max() < 1e-3, (kind, name, i)
            assert batched[name][i].candidates.shape == fit.candidates.shape


def test_a_batch_with_empty_and_full_masks(models, tiny_models):
    photos = to_float(load_images(tiny_models["data"]).images[-3:])
    holes = torch.zeros(3, 1, 32, 32)
    holes[1] = 1
    holes[2, :, 4:12, 4:12] = 1
    empty, full, some = inpaint_all(models["aegan"], photos, holes, steps=3)
    assert torch.equal(empty.image, photos[:1]) and full.loss == 0.0
    assert torch.equal(some.image[..., 20:, 20:], photos[2:3, :, 20:, 20:])  # far from the hole: untouched
    with pytest.raises(ValueError, match="sizes must match"):
        inpaint_all(models["aegan"], photos, holes[:2], steps=3)

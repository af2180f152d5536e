import pytest
import torch

from gan_demo.latent.directions import Directions, conditional_direction, fit_directions
from gan_demo.latent.edits import arithmetic
from gan_demo.latent.equation import NEIGHBOUR_STEPS, build_pool, implied, solve
from gan_demo.latent.guided import GUIDED_STEPS
from gan_demo.latent.paths import interpolate, interpolate_with_detail, lerp, slerp
from gan_demo.models.checkpoints import CheckpointError
from gan_demo.models.pretrained import load_pretrained
from gan_demo.models.sampling import sample_codes


def test_sampling_is_reproducible_and_truncated():
    assert torch.equal(sample_codes(4, 8, seed=3), sample_codes(4, 8, seed=3))
    assert not torch.equal(sample_codes(4, 8, seed=3), sample_codes(4, 8, seed=4))
    assert sample_codes(64, 32, truncation=0.5).abs().max() <= 1.0
    assert torch.allclose(sample_codes(4, 8, 1, truncation=0.5, method="scale"), sample_codes(4, 8, 1) * 0.5)
    with pytest.raises(ValueError):
        sample_codes(0, 8)
    with pytest.raises(ValueError):
        sample_codes(2, 8, truncation=1.5)


def test_slerp_keeps_the_norm_and_hits_the_endpoints():
    z0, z1 = sample_codes(2, 100, seed=0)
    t = torch.linspace(0, 1, 9)
    path = slerp(z0, z1, t)
    assert torch.allclose(path[0], z0, atol=1e-5) and torch.allclose(path[-1], z1, atol=1e-5)
    expected = (1 - t) * z0.norm() + t * z1.norm()
    assert torch.allclose(path.norm(dim=1), expected, atol=1e-4)
    # lerp's midpoint falls towards the origin; slerp's does not
    assert lerp(z0, z1, torch.tensor([0.5])).norm() < 0.8 * path[4].norm()


def test_interpolate_through_keyframes():
    keys = sample_codes(3, 16, seed=1)
    path = interpolate(keys, 5)
    assert path.shape == (5, 16)
    assert (
        torch.allclose(path[0], keys[0], atol=1e-5)
        and torch.allclose(path[2], keys[1], atol=1e-5)
        and torch.allclose(path[4], keys[2], atol=1e-5)
    )
    with pytest.raises(ValueError):
        interpolate(keys[:1], 5)
    with pytest.raises(ValueError):
        interpolate(keys, 5, method="cubic")


def test_interpolate_with_detail_moves_the_details_linearly_with_the_codes():
    keys = sample_codes(2, 16, seed=1)
    details = torch.stack([torch.zeros(4, 2, 2), torch.ones(4, 2, 2)])
    codes, path = interpolate_with_detail(keys, details, 5)
    assert torch.allclose(codes, interpolate(keys, 5)) and path.shape == (5, 4, 2, 2)
    assert torch.equal(path[0], details[0]) and torch.allclose(path[2], torch.full((4, 2, 2), 0.5))
    assert torch.allclose(path[4], details[1])


def test_directions_recover_a_planted_attribute(tmp_path):
    z = sample_codes(2000, 16, seed=2)
    truth = torch.nn.functional.normalize(torch.randn(16, generator=torch.Generator().manual_seed(0)), dim=0)
    other = torch.nn.functional.normalize(torch.randn(16, generator=torch.Generator().manual_seed(1)), dim=0)
    labels = torch.stack([(z @ truth > 0), (z @ other > 0.3)], 1).float()
    d = fit_directions(z, labels, ["A", "B"], "synthetic")
    assert float(d.linear[0] @ truth) > 0.95 and float(d.mean_difference[0] @ truth) > 0.9
    assert float(d.separation[0]) > 1
    cond = d.get("A", keep=["B"])
    assert abs(float(cond @ d.linear[1])) < 1e-5 and abs(float(cond.norm()) - 1) < 1e-5
    # an edit of strength s moves the code by s separations along the (conditional) direction
    assert torch.allclose(d.step("A", keep=["B"]), d.separation[0].abs() * cond)
    moved = d.shift(z[:3], {"A": 2.0, "B": -1.0, "Nothing": 0}, keep=["B"])
    assert torch.allclose(moved, z[:3] + 2 * d.step("A", keep=["B"]) - d.step("B", keep=["B"]), atol=1e-6)
    path = d.save(tmp_path / "x.directions.safetensors")
    back = Directions.load(path)
    assert back.names == ["A", "B"] and torch.allclose(back.linear, d.linear)
    with pytest.raises(KeyError, match="unknown attribute"):
        back.get("Nope")
    (tmp_path / "bad.safetensors").write_bytes(b"junk")
    with pytest.raises(CheckpointError):
        Directions.load(tmp_path / "bad.safetensors")


def test_conditional_direction_in_the_kept_span_is_an_error():
    d = torch.tensor([1.0, 0, 0])
    with pytest.raises(ValueError):
        conditional_direction(d, torch.tensor([[2.0, 0, 0]]))


def test_arithmetic():
    a, b, c = torch.ones(3, 4), torch.zeros(2, 4), torch.full((3, 4), 2.0)
    assert torch.equal(arithmetic(a, b, c), torch.full((1, 4), 3.0))
    with pytest.raises(ValueError, match="exemplar set B"):
        arithmetic(a, torch.zeros(0, 4), c)


def test_the_equation_implies_what_its_answer_has():
    glasses = implied({"Male": True, "Eyeglasses": True}, {"Male": True, "Eyeglasses": False}, {"Male": False})
    assert glasses == {"Male": False, "Eyeglasses": True}
    smile = implied(
        {"Smiling": True, "Male": False}, {"Smiling": False, "Male": False}, {"Smiling": False, "Male": True}
    )
    assert smile == {"Smiling": True, "Male": True}
    assert implied({"Male": True}, {"Male": True}, {}) == {}  # named, but cancelled out


def test_solve_draws_sets_from_the_pool_and_corrects_the_result(tiny_models):
    model, clf = load_pretrained(tiny_models["aegan"]), load_pretrained(tiny_models["classifier"])
    pool = build_pool(model, clf, n=64)
    a, b, c = {"Male": True, "Eyeglasses": True}, {"Male": True, "Eyeglasses": False}, {"Male": False}
    plain = solve(model, clf, pool, a, b, c, seed=3, steps=0)
    steps = []  # the progress of both corrections, as the app's progress bar shows it
    fixed = solve(model, clf, pool, a, b, c, seed=3, on_step=lambda done, total: steps.append((done, total)))
    total = GUIDED_STEPS + NEIGHBOUR_STEPS
    assert steps == [(i, total) for i in range(1, total + 1)]
    assert [s.shape for s in fixed.sets] == [(3, 16)] * 3 and fixed.codes.shape == (9, 16)
    assert torch.equal(plain.means, fixed.means)  # the same sets by seed
    assert torch.allclose(plain.codes[0], plain.means[0] - plain.means[1] + plain.means[2])
    goal = torch.tensor([0.0, 1.0])  # no glasses... then glasses; read as (Male, Eyeglasses)
    read = [clf.probabilities(model.generate(s.codes[:1]))[0, [1, 0]] for s in (plain, fixed)]
    assert (read[1] - goal).abs().sum() < (read[0] - goal).abs().sum()  # closer to a woman with glasses
    other = solve(model, clf, pool, a, b, c, seed=4, steps=0)
    assert not torch.equal(other.means, plain.means)
    with pytest.raises(ValueError, match="no label 'Bald'"):
        solve(model, clf, pool, {"Bald": True}, b, c)

"""The GAN lab's library: its data, its five objectives, live retuning, clicked points, the frame,
and the three presets' claims on a fixed seed."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest
import torch

from gan_demo.lab.distributions import DISTRIBUTIONS, EXTENT, mode_coverage
from gan_demo.lab.game import OBJECTIVES, Lab, LabConfig
from gan_demo.lab.presets import PRESETS, claim
from gan_demo.lab.render import SIZE, to_pixels, to_plane
from gan_demo.lab.session import MAX_STEPS_PER_FRAME, LabSession, config_from, formula, settings_of

SMALL = {"hidden": 16, "layers": 1, "batch": 32}


def test_every_distribution_samples_the_plane_reproducibly():
    points = torch.tensor([[1.0, 1.0], [-1.0, 0.5]])
    for name, dist in DISTRIBUTIONS.items():
        a = dist.sample(500, torch.Generator().manual_seed(3), points)
        b = dist.sample(500, torch.Generator().manual_seed(3), points)
        assert a.shape == (500, 2) and torch.equal(a, b), name
        assert a.abs().max() < EXTENT, name
    with pytest.raises(ValueError, match="click on the plane"):
        DISTRIBUTIONS["drawn"].sample(5, torch.Generator())


def test_the_mixtures_own_samples_cover_every_mode():
    for name in ("ring", "grid"):
        dist = DISTRIBUTIONS[name]
        report = mode_coverage(dist, dist.sample(4000, torch.Generator().manual_seed(0)))
        assert report["modes_covered"] == len(dist.modes) and report["high_quality_share"] > 0.98
    one_spot = DISTRIBUTIONS["ring"].modes[:1].expand(1000, 2)
    assert mode_coverage(DISTRIBUTIONS["ring"], one_spot) == {"modes_covered": 1, "modes": 8, "high_quality_share": 1.0}
    with pytest.raises(ValueError, match="not a Gaussian mixture"):
        mode_coverage(DISTRIBUTIONS["moons"], one_spot)


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_each_objective_trains_and_every_view_draws(objective):
    lab = Lab(LabConfig(objective=objective, **SMALL))
    lab.step(5)
    lab.measure()
    assert len(lab.history["loss_g"]) == 5 and all(math.isfinite(v) for v in lab.history["grad_g"])
    view = lab.view()
    assert view.heat.shape == (64, 64) and 0 <= view.heat.min() and view.heat.max() <= 1
    assert view.arrows.shape == (64, 2, 2) and len(view.grid) == 18 and view.step == 5


def test_settings_apply_live_where_they_can_and_the_same_seed_replays():
    session = LabSession()
    session.configure(LabConfig(**SMALL))
    session.advance(3)
    lab = session.lab
    session.configure(LabConfig(**SMALL, objective="hinge", lr_g=5e-4))  # live: the same lab goes on
    assert session.lab is lab and lab.opt_g.param_groups[0]["lr"] == 5e-4 and lab.steps == 3
    session.configure(LabConfig(**{**SMALL, "hidden": 32}))  # new networks: a fresh lab
    assert session.lab is not lab and session.lab.steps == 0
    twins = [Lab(LabConfig(**SMALL, seed=4)) for _ in range(2)]
    for twin in twins:
        twin.step(4)
    assert twins[0].history == twins[1].history


def test_a_step_or_a_setting_while_playing_waits_its_turn():
    session = LabSession()
    session.reset(LabConfig(**SMALL))
    session.play()
    errors = []

    def play():
        try:
            for _ in range(30):
                session.advance(2)
                session.frame()
        except Exception as err:  # noqa: BLE001 - any error is the failure
            errors.append(err)

    player = threading.Thread(target=play)
    player.start()
    for objective in list(OBJECTIVES) * 6:  # retuned live while it trains
        session.configure(LabConfig(**SMALL, objective=objective))
        session.readout()
    player.join()
    assert not errors and session.lab.steps == 60


def test_clicked_points_become_the_data():
    session = LabSession()
    session.click(SIZE / 2, SIZE / 4)  # the upper middle of the plane
    session.click(SIZE + 10, 10)  # on the curves: ignored
    assert session.points == [(0.0, 1.5)]
    session.configure(LabConfig(distribution="drawn", **SMALL))
    session.click(*to_pixels(torch.tensor([[-1.0, -1.0]]).numpy())[0])
    assert len(session.lab.points) == 2 and session.lab.real(100).mean(0).tolist() == pytest.approx(
        [-0.5, 0.25], abs=0.3
    )
    assert to_plane(*to_pixels(torch.tensor([[2.0, -0.5]]).numpy())[0]) == pytest.approx((2.0, -0.5))
    session.clear_points()  # a lab on clicked points waits for new ones
    assert session.points == [] and session.lab is None and "new points" in session.readout()
    assert session.frame().size == (2 * SIZE, SIZE)
    with pytest.raises(ValueError, match="place points first"):
        session.advance(1)


def test_the_page_gets_a_frame_a_readout_and_the_formula():
    session = LabSession()
    session.reset(PRESETS["collapse"].config)
    session.play()
    assert session.advance(MAX_STEPS_PER_FRAME)  # playing: go on
    assert session.frame().size == (2 * SIZE, SIZE)
    assert "modes covered" in session.readout() and "step 50" in session.readout()
    assert "**▶ minimax**" in formula("minimax") and "V(ω, θ)" in formula("minimax")
    with pytest.raises(ValueError, match="steps per frame"):
        session.advance(10**6)
    session.started -= 10**6  # a lab left playing pauses itself
    assert not session.advance(1) and "paused itself" in session.readout() and not session.playing
    session.play()
    session.pause()
    assert not session.advance(1)  # a frame asked for before the pause ends the play


def test_the_page_numbers_are_checked():
    settings = ["ring", "non-saturating", 1e-3, 1e-3, 1, 64, 3, 256, 0.0, 0]
    assert config_from(*settings) == LabConfig() and settings_of(LabConfig()) == settings
    for i, bad, message in [(2, float("nan"), "learning rate of D"), (9, 1.5, "seed"), (4, 99, "D steps"),
                            (0, "swiss roll", "unknown distribution"), (1, "vanilla", "unknown objective")]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            config_from(*[bad if j == i else v for j, v in enumerate(settings)])


def run_claim(name: str) -> dict:
    torch.set_num_threads(1)  # two claims at once on two cores
    return claim(name)


def test_the_presets_show_what_they_claim():
    """On seed 0: the saturating loss's gradient is at least 10x below the non-saturating one's
    from the same start; the collapsed run covers at most 2 of the 8 modes; the stable one at
    least 7, with at least 90 % of its samples within 3 standard deviations of a mode."""
    with ProcessPoolExecutor(2) as pool:
        stable = pool.submit(run_claim, "stable")
        saturating, collapse = pool.submit(run_claim, "saturating"), pool.submit(run_claim, "collapse")
        saturating, collapse, stable = saturating.result(), collapse.result(), stable.result()
    assert saturating["ratio"] >= 10, saturating
    assert collapse["modes_covered"] <= 2, collapse
    assert stable["modes_covered"] >= 7 and stable["high_quality_share"] >= 0.9, stable

"""The generator's EMA: warmed up, split into host and device halves, loading older states."""

from __future__ import annotations

import pytest
import torch
from torch.optim.swa_utils import AveragedModel

from gan_demo.models.nets import ArchConfig, Generator
from gan_demo.training.ema import GeneratorEMA, warmed_decay

ARCH = ArchConfig(channels=3, size=32, width=8, z_dim=16)


def nudge(model: torch.nn.Module) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    model(torch.randn(4, ARCH.z_dim))  # moves batch norm's statistics and step counters


def test_the_decay_starts_small_and_reaches_the_asked_one():
    assert warmed_decay(0.999, 0) == pytest.approx(0.1)
    assert warmed_decay(0.999, 100) == pytest.approx(101 / 110)
    assert warmed_decay(0.999, 10_000) == 0.999
    decays = [warmed_decay(0.999, n) for n in range(0, 20_000, 100)]
    assert decays == sorted(decays)


def test_each_update_moves_the_average_by_its_share_of_the_way():
    torch.manual_seed(0)
    model = Generator(ARCH)
    ema = GeneratorEMA(model, decay=0.999)
    for n in range(3):
        before = {k: v.clone() for k, v in ema.module.state_dict().items()}
        nudge(model)
        ema.update(model)
        share = 1 - warmed_decay(0.999, n)
        for k, live in model.state_dict().items():
            if live.is_floating_point():
                assert torch.allclose(ema.module.state_dict()[k], before[k] + share * (live - before[k]), atol=1e-6)
            else:
                assert torch.equal(ema.module.state_dict()[k], live)
    assert int(ema.n_averaged) == 3
    assert not any(p.requires_grad for p in ema.module.parameters())


def test_the_halves_make_one_update():
    torch.manual_seed(0)
    model = Generator(ARCH)
    whole, halves = GeneratorEMA(model, 0.99), GeneratorEMA(model, 0.99)
    for _ in range(4):
        nudge(model)
        whole.update(model)
        halves.prepare()
        halves.average(model)
        halves.count()
    for a, b in zip(whole.state_dict().values(), halves.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_a_state_saved_from_torchs_averaged_model_loads():
    model = Generator(ARCH)
    older = AveragedModel(model, use_buffers=True)
    older.update_parameters(model)
    ema = GeneratorEMA(Generator(ARCH), 0.999)
    ema.load_state_dict(older.state_dict())
    assert int(ema.n_averaged) == 1
    assert all(torch.equal(a, b) for a, b in zip(ema.module.parameters(), model.parameters(), strict=True))

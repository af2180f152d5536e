import torch

from gan_demo.metrics.maths import fid, kid


def test_fid_is_zero_for_one_set_and_the_mean_shift_for_a_moved_one():
    feats = torch.randn(300, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert 0.0 <= fid(feats, feats) < 1e-9
    wide = torch.randn(500, 512, generator=torch.Generator().manual_seed(0))
    assert 0.0 <= fid(wide, wide) < 1e-3  # never the small negative value float32 rounding leaves
    shift = torch.zeros(16, dtype=torch.float64)
    shift[0] = 2.0
    assert abs(fid(feats, feats + shift) - 4.0) < 1e-6  # same covariance: |mu1 - mu2|^2


def test_kid_tells_a_shifted_set_from_a_fresh_draw_of_the_same_distribution():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(300, 16, generator=gen), torch.randn(300, 16, generator=gen)
    assert abs(kid(a, b)) < 0.01 < kid(a, b + 1.0)

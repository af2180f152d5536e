"""Video metrics on known answers: the OpenSTL MSE convention, SSIM's range, and digit crops that
find each digit where the clip put it."""

from __future__ import annotations

import torch

from gan_demo.data import moving_mnist as mm
from gan_demo.metrics import video as mv


def test_mse_is_summed_over_a_frame_and_ssim_is_one_for_the_truth():
    truth = torch.zeros(2, 3, 64, 64)
    truth[:, :, :10, :10] = 1.0
    assert torch.equal(mv.frame_mse(torch.zeros_like(truth), truth), torch.full((2, 3), 100.0))
    assert torch.allclose(mv.frame_ssim(truth, truth), torch.ones(2, 3))
    assert (mv.frame_ssim(torch.zeros_like(truth), truth) < 1).all()
    assert torch.isfinite(mv.frame_psnr(truth, truth)).all()


def test_digit_crops_are_the_digits_where_the_clip_put_them():
    digits = torch.rand(2, mm.DIGIT, mm.DIGIT)
    clip = mm.placed_clip(digits, torch.tensor([1, 2]), [(0.0, 0.0), (1.0, 1.0)], [0.0, 180.0], frames=3)
    crops = mv.digit_crops(clip.frames[:, 2], clip.positions[:, 2])  # apart: no overlap
    assert crops.shape == (2, 1, 32, 32)
    assert torch.allclose((crops[:, 0, 2:30, 2:30] + 1) / 2, digits, atol=1e-6)


def test_scores_of_the_baselines_follow_the_clips(tmp_path):
    digits = torch.zeros(10, mm.DIGIT, mm.DIGIT)
    digits[:, 8:20, 8:20] = 1.0
    clips = mm.make_clips(digits, torch.arange(10), 8, torch.Generator().manual_seed(0))
    black = mv.score(mv.black, clips, 10)
    assert abs(black["mse"] - clips.frames[:, 10:].pow(2).sum((-1, -2)).mean().item()) < 1e-3
    assert len(black["per_frame"]["mse"]) == 10 and 0 < black["ssim"] < 1
    perfect = mv.score_frames(clips.frames[:, 10:], clips)
    assert perfect["mse"] == 0 and perfect["ssim"] > 0.999

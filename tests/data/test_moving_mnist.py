"""The Moving-MNIST generator obeys the protocol, and clip files are read or refused clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_demo.data import moving_mnist as mm


def digits(n: int = 20, seed: int = 0) -> torch.Tensor:
    """Random 28x28 'digits': a bright square of random size in each, the rest black."""
    gen = torch.Generator().manual_seed(seed)
    out = torch.zeros(n, mm.DIGIT, mm.DIGIT)
    for i in range(n):
        a, b = torch.randint(2, 12, (2,), generator=gen).tolist()
        out[i, a : a + 14, b : b + 14] = torch.rand(1, generator=gen).item() * 0.5 + 0.5
    return out


def test_clips_have_the_protocol_shape_range_and_bounces():
    clips = mm.make_clips(digits(), torch.arange(20) % 10, 64, torch.Generator().manual_seed(1), frames=30)
    assert clips.frames.shape == (64, 30, 64, 64) and clips.positions.shape == (64, 30, 2, 2)
    assert clips.frames.min() >= 0 and clips.frames.max() <= 1 and clips.frames.dtype == torch.float32
    pos = clips.positions
    assert pos.min() >= 0 and pos.max() <= mm.FRAME - mm.DIGIT
    steps = pos.diff(dim=1)
    assert steps.abs().max() <= 4  # a step of 0.1 of the free 36 px (3.6 px), truncated to whole pixels
    # a direction changes only at an edge: a bounce
    flips = (steps[:, 1:] * steps[:, :-1] < 0).nonzero()
    for clip, t, digit, axis in flips.tolist():
        assert pos[clip, t + 1, digit, axis] in (0, mm.FRAME - mm.DIGIT) or pos[clip, t + 2, digit, axis] in (
            0,
            mm.FRAME - mm.DIGIT,
        )
    assert len(flips) > 0  # 64 clips of 30 frames do bounce
    # labels follow the digits picked
    assert clips.labels.shape == (64, 2) and clips.labels.max() <= 9


def test_overlap_is_the_pixelwise_max_and_digits_sit_at_their_positions():
    d = digits(2)
    positions = torch.tensor([[[[10, 10], [20, 16]]]])  # one clip, one frame, two digits
    both = mm.render(d.unsqueeze(0), positions)[0, 0]
    alone = [mm.render(d[i : i + 1].unsqueeze(0), positions[:, :, i : i + 1])[0, 0] for i in range(2)]
    assert torch.equal(both, torch.maximum(*alone))
    assert torch.equal(alone[0][10:38, 10:38], d[0]) and torch.isclose(alone[0].sum(), d[0].sum())


def test_clips_are_a_function_of_the_seed_and_longer_clips_extend_shorter_ones():
    a = mm.make_clips(digits(), None, 4, torch.Generator().manual_seed(5), frames=20)
    b = mm.make_clips(digits(), None, 4, torch.Generator().manual_seed(5), frames=40)
    assert torch.equal(a.frames, b.frames[:, :20])
    assert (a.labels == -1).all()  # unlabelled digits


def test_placed_digits_start_where_asked_and_head_where_asked():
    clip = mm.placed_clip(digits(2), torch.tensor([3, 7]), [(0.0, 0.0), (1.0, 1.0)], [0.0, 180.0], frames=5)
    rows, cols = clip.positions[0, :, 0, 0], clip.positions[0, :, 0, 1]
    assert (rows == 0).all() and (cols.diff() > 0).all()  # A goes right along the top
    assert (clip.positions[0, :, 1, 1].diff() < 0).all()  # B goes left
    assert clip.labels.tolist() == [[3, 7]]


def test_the_standard_file_layout_and_our_own_are_read(tmp_path):
    ours = (np.random.default_rng(0).random((3, 20, 64, 64)) * 255).astype(np.uint8)
    np.save(tmp_path / "ours.npy", ours)
    np.save(tmp_path / "standard.npy", ours.transpose(1, 0, 2, 3))
    a, b = mm.read_clips(tmp_path / "ours.npy"), mm.read_clips(tmp_path / "standard.npy", frames_first=True)
    assert a.shape == (3, 20, 64, 64) and torch.equal(a, b)
    assert torch.allclose(a * 255, torch.from_numpy(ours).float())
    assert mm.read_clips(tmp_path / "ours.npy", frames=10).shape == (3, 10, 64, 64)
    # 20 clips of 30 frames are ours, not the standard file's frames first: only its exact shape is
    np.save(tmp_path / "twenty.npy", np.zeros((20, 30, 64, 64), np.uint8))
    assert mm.read_clips(tmp_path / "twenty.npy").shape == (20, 30, 64, 64)
    assert mm.checked_clips(np.zeros(mm.STANDARD_SHAPE, np.uint8), "standard").shape == (10000, 20, 64, 64)


def test_held_out_digits_are_those_from_8000_on_and_a_small_set_has_none():
    digits, labels = torch.rand(10000, 28, 28), torch.arange(10000) % 10
    held, held_labels = mm.held_out_digits(digits, labels)
    assert torch.equal(held, digits[8000:]) and torch.equal(held_labels, labels[8000:])
    clips = mm.held_out_clips(digits, labels, 5)
    again = mm.make_clips(digits[8000:], labels[8000:], 5, torch.Generator().manual_seed(mm.HELD_OUT_SEED))
    assert torch.equal(clips.frames, again.frames)
    with pytest.raises(ValueError, match="8,000 on"):
        mm.held_out_digits(digits[:100], labels[:100])
    assert len(mm.held_out_digits(digits[:100], labels[:100], allow_all=True)[0]) == 100


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((3, 10, 32, 32), np.uint8), "expected clips shaped"),
        (np.zeros((3, 64, 64), np.uint8), "expected clips shaped"),
        (np.zeros((3, 10, 64, 64), np.int32), "expected uint8"),
        (np.full((3, 10, 64, 64), np.nan, np.float32), "NaN"),
        (np.full((3, 10, 64, 64), 2.0, np.float32), "must lie in"),
        (np.zeros((3, 5, 64, 64), np.uint8), "10 needed"),
    ],
)
def test_bad_clip_files_get_a_clear_message(tmp_path, array, message):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(mm.ClipError, match=message):
        mm.read_clips(tmp_path / "bad.npy", frames=10)


def test_a_pickle_or_junk_is_never_loaded(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "junk.npy").write_bytes(b"not an array at all")
    for name in ("objects.npy", "junk.npy", "missing.npy"):
        with pytest.raises(mm.ClipError) as err:
            mm.read_clips(tmp_path / name)
        assert str(tmp_path) not in str(err.value)

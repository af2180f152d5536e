"""The checkpoint file format; hostile and broken files are in tests/reliability."""

import json

import pytest
import torch

from gan_demo.models.checkpoints import (
    CheckpointError,
    atomic_write,
    checkpoint_paths,
    load_checkpoint,
    save_checkpoint,
)


@pytest.fixture
def saved(tmp_path):
    stem = tmp_path / "model"
    save_checkpoint(stem, {"G.w": torch.ones(2, 3)}, {"kind": "dcgan"})
    return stem


def test_round_trip_and_path_forms(saved):
    for form in (saved, saved.with_suffix(".safetensors"), str(saved) + ".json"):
        tensors, meta = load_checkpoint(form)
        assert torch.equal(tensors["G.w"], torch.ones(2, 3)) and meta["kind"] == "dcgan"
    assert checkpoint_paths(saved)[0].name == "model.safetensors"


def test_missing_or_bad_json(saved):
    config = checkpoint_paths(saved)[1]
    config.write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(saved)
    config.write_text(json.dumps({"format": "other"}))
    with pytest.raises(CheckpointError, match="expected format"):
        load_checkpoint(saved)
    config.unlink()
    with pytest.raises(CheckpointError, match="model.json: missing"):
        load_checkpoint(saved)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write(target, b"old")

    class Boom(bytes):
        pass

    with pytest.raises(TypeError):
        atomic_write(target, object())  # the write itself fails
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]

"""Face <-> map scores: pixel accuracy, class accuracy and mean IoU of part maps, the FCN-score of
generated faces (Isola et al.: a segmenter re-reads the faces made from maps; its score on real
photos is the ceiling) and the two baselines a segmenter and a translator must beat.

Confusion counts are summed over the whole set before any ratio (the usual convention): a class
missing from one face does not count as a zero IoU there.
"""

from __future__ import annotations

import torch

from gan_demo.data.face_parts import N_CLASSES


def confusion(found: torch.Tensor, truth: torch.Tensor, classes: int = N_CLASSES) -> torch.Tensor:
    """(N, S, S) class ids twice -> (K, K) counts, rows the truth, columns the prediction."""
    index = truth.long().flatten() * classes + found.long().flatten()
    return torch.bincount(index, minlength=classes * classes).reshape(classes, classes)


def scores(counts: torch.Tensor) -> dict[str, float]:
    """Pixel accuracy, class accuracy (mean recall) and mIoU over the classes present in the truth,
    with each class's IoU."""
    counts = counts.double()
    hits, truth, found = counts.diag(), counts.sum(1), counts.sum(0)
    present = truth > 0
    iou = hits / (truth + found - hits).clamp(min=1)
    return {
        "pixel_acc": float(hits.sum() / counts.sum()),
        "class_acc": float((hits[present] / truth[present]).mean()),
        "miou": float(iou[present].mean()),
        "iou": [round(float(v), 4) for v in iou],
    }


def map_scores(found: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
    return scores(confusion(found, truth))


def average_map(maps: torch.Tensor) -> torch.Tensor:
    """Each pixel's most common class over a set of maps (S, S): the map you would guess for
    an aligned face without looking at it."""
    counts = torch.nn.functional.one_hot(maps.long(), N_CLASSES).sum(0)
    return counts.argmax(-1).to(torch.uint8)


def nearest_maps(queries: torch.Tensor, pool: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """For each query map, the index of the pool map agreeing with it on the most pixels (the
    retrieval baseline: the training face whose map fits best)."""
    flat_pool = torch.nn.functional.one_hot(pool.long(), N_CLASSES).flatten(1).float()  # (P, S*S*K)
    best = []
    for part in queries.split(chunk):
        flat = torch.nn.functional.one_hot(part.long(), N_CLASSES).flatten(1).float()
        best.append((flat @ flat_pool.T).argmax(1))
    return torch.cat(best)


def batched(fn, inputs: torch.Tensor, size: int = 100) -> torch.Tensor:
    return torch.cat([fn(part) for part in inputs.split(size)])


def fcn_score(segmenter, faces: torch.Tensor, maps: torch.Tensor) -> dict[str, float]:
    """The segmenter's scores on faces (N, 3, S, S) in [-1, 1] against the maps they were made from."""
    return map_scores(batched(segmenter.segment, faces).cpu(), maps.cpu())

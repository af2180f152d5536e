"""The generator's exponential moving average (EMA), warmed up, and recordable in a CUDA graph.

Early in a run the weights move fast, and a fixed decay of 0.999 averages generators that have
little in common: after 1,000 steps of a CPU run such an average scored FID 47.1, the trained
generator itself 11.5 (measured with --ema 0, whose training is the same: see docs/training.md). So the decay starts small and grows with the number of updates n,
min(decay, (1 + n) / (10 + n)), as TensorFlow's ExponentialMovingAverage does; from about
10 / (1 - decay) updates on it is `decay`.

torch's AveragedModel has neither the warm-up nor a graph-safe update (it branches on its count
on the host), so this keeps its layout (`module.*`, `n_averaged`), and older training states load.
"""

from __future__ import annotations

import copy
import itertools

import torch
from torch import nn


def warmed_decay(decay: float, updates: int) -> float:
    """The decay of the update that follows `updates` earlier ones."""
    return min(decay, (1 + updates) / (10 + updates))


class GeneratorEMA(nn.Module):
    """`module`: the averaged copy of the generator; `n_averaged`: the updates so far."""

    def __init__(self, model: nn.Module, decay: float):
        super().__init__()
        self.module = copy.deepcopy(model).requires_grad_(False)
        self.register_buffer("n_averaged", torch.tensor(0, dtype=torch.long))  # on the CPU: read with no device sync
        self.decay = decay
        # this update's share of the live weights, on the device, where a recorded graph reads it
        self.share = torch.zeros((), device=next(model.parameters()).device)

    def update(self, model: nn.Module) -> None:
        """One whole update: prepare, average, count."""
        self.prepare()
        self.average(model)
        self.count()

    def prepare(self) -> None:
        """Host side, before the averaging: its share from the count (outside a recorded graph)."""
        self.share.fill_(1 - warmed_decay(self.decay, int(self.n_averaged)))

    @torch.no_grad()
    def average(self, model: nn.Module) -> None:
        """Device side: averaged += share * (live - averaged), for weights and batch-norm statistics."""
        floats: tuple[list, list] = ([], [])
        for averaged, live in zip(
            itertools.chain(self.module.parameters(), self.module.buffers()),
            itertools.chain(model.parameters(), model.buffers()),
            strict=True,
        ):
            if averaged.is_floating_point():
                floats[0].append(averaged)
                floats[1].append(live.detach())
            else:  # batch norm's step counter: a count, not a weight
                averaged.copy_(live)
        steps = torch._foreach_sub(floats[1], floats[0])
        torch._foreach_mul_(steps, self.share)
        torch._foreach_add_(floats[0], steps)

    def count(self) -> None:
        """Host side, after the averaging."""
        self.n_averaged += 1

"""Learning-rate schedules: the factor every optimiser's rate is multiplied by at a step.

A pure function of the step and the run's length, so a resumed run sets the same rates the
uninterrupted one would have (a run resumed with a longer budget stretches the rest of its curve).
Cosine decay to 0 (Loshchilov & Hutter's SGDR without restarts): at a fixed budget the last steps,
at small rates, average out the noise of the large ones.
"""

from __future__ import annotations

import math

LR_SCHEDULES = ("constant", "cosine")


def lr_factor(schedule: str, step: int, total_steps: int) -> float:
    """The rate's multiplier for the update that step `step` (0-based) of `total_steps` makes."""
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
    raise ValueError(f"unknown learning-rate schedule {schedule!r}: expected one of {', '.join(LR_SCHEDULES)}")

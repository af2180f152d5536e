"""The lab's presets: each reproduces one of the course's claims in under a minute, and `claim`
measures the numbers it shows, so a test (tests/lab/test_lab.py) can check that it holds.

- stable: the lab's defaults, D and G learning at one pace with the non-saturating loss; G
  covers the ring's 8 modes.
- saturating: D learns fast and rejects G's points at once; with the course's minimax loss,
  log(1 - D(G(z))), the gradient reaching G vanishes, while the non-saturating loss from the
  same start keeps it.
- collapse: G learns 100x faster than D, chases the one place D currently rates best, and lands
  on one or two of the 8 modes: mode collapse.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace

from .game import Lab, LabConfig


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    config: LabConfig
    steps: int  # how long its claim takes to show
    speed: int  # training steps per frame on the page, so the claim shows within a minute
    watch: str  # what to watch for on the page


PRESETS = {
    p.name: p
    for p in (
        Preset(
            "stable",
            "Stable: G covers all 8 modes",
            LabConfig(),  # the lab's defaults
            5000,
            25,
            "Watch the purple points spread to all 8 green blobs while the heat map fades towards an even "
            "mix: at the equilibrium D cannot tell real from generated and says 1/2 everywhere.",
        ),
        Preset(
            "saturating",
            "Saturating loss: G's gradient vanishes when D wins early",
            LabConfig(objective="minimax", d_steps=5, lr_d=1e-3, lr_g=1e-4, hidden=64, layers=3),
            200,
            2,
            "D takes 5 fast steps per G step and soon rejects every generated point. With the course's "
            "log(1 - D(G(z))), G's gradient (middle curve, and the arrows) all but vanishes and the purple "
            "points stop moving; switch the objective to non-saturating and they move again.",
        ),
        Preset(
            "collapse",
            "Mode collapse: G outruns D",
            LabConfig(lr_g=1e-2, lr_d=1e-4, hidden=64, layers=3),
            2000,
            10,
            "G learns 100 times faster than D: it jumps to wherever D currently rates best, and all its "
            "points pile onto one or two of the 8 modes (the count under the curves).",
        ),
    )
}


def claim(name: str, seed: int = 0) -> dict:
    """Run a preset from `seed` and return the numbers its claim rests on."""
    preset = PRESETS[name]
    config = replace(preset.config, seed=seed)
    if name == "saturating":  # the same start, trained both ways
        medians = {}
        for objective in ("minimax", "non-saturating"):
            lab = Lab(replace(config, objective=objective))
            lab.step(preset.steps)
            medians[objective] = statistics.median(lab.history["grad_g"])
        return {"median_grad_g": medians, "ratio": medians["non-saturating"] / medians["minimax"]}
    lab = Lab(config)
    if name == "collapse":
        lab.step(preset.steps)
        return lab.coverage()
    readings = []  # the last three of every 500 steps: one brief oscillation does not decide it
    for _ in range(preset.steps // 500):
        lab.step(500)
        readings.append(lab.coverage())
    last = readings[-3:]
    return {
        "modes_covered": statistics.median(r["modes_covered"] for r in last),
        "modes": last[-1]["modes"],
        "high_quality_share": statistics.median(r["high_quality_share"] for r in last),
    }

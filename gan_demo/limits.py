"""Bounds on every number a request can carry, so a scripted caller cannot ask for unbounded work.

The app's sliders use these bounds where they match one control (truncation's slider stops at 1.0,
and an edit adds two sliders); the HTTP API accepts any JSON, so the Studio checks every number.
"""

from __future__ import annotations

import math

MAX_SEED = 2**62  # within torch.Generator's range, with room for the seed + i offsets callers add
SAMPLES = (1, 32)
FRAMES = (2, 41)
TRUNCATION = (0.05, 2.0)
STRENGTH = (-3.0, 3.0)  # one slider
EDIT_TOTAL = (-6.0, 6.0)  # an attribute's slider plus the "any other attribute" slider on the same one
STEPS = (10, 300)
CANDIDATES = (1, 8)
EXEMPLARS = (1, 16)


def bounded_int(value, name: str, low: int, high: int) -> int:
    """A whole number within [low, high], or a ValueError naming the field and the range."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value  # exact: a float would round seeds near 2**63
    else:
        as_float = bounded_float(value, name, low, high)
        if as_float != int(as_float):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        number = int(as_float)
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")
    return number


def bounded_float(value, name: str, low: float, high: float) -> float:
    """A finite number within [low, high], or a ValueError naming the field and the range."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")
    return number


def seed(value, name: str = "seed") -> int:
    return bounded_int(value, name, 0, MAX_SEED)

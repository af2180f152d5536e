"""The one attribute edit and the one way to get what it edits, for the Studio, the CLI, the
evaluation and the benches alike.

`subject` gives the code (and a projected photo's detail) a seed or a photo stands for;
`edit_codes` moves codes along attribute directions, conditional on the attributes kept, then
corrected by a classifier when one guides the edit (gan_demo.latent.guided); `arithmetic` is the
course's exemplar arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import torch

from gan_demo.domain import conditional_keep
from gan_demo.models.pretrained import Pretrained
from gan_demo.models.sampling import sample_codes

from .directions import Directions
from .guided import guided_edit
from .inversion import DETAIL_BOUND, blank_detail, project_code_and_detail

Keep = Sequence[str] | Callable[[str], list[str]]


def subject(
    model: Pretrained,
    seed: int = 0,
    photo: torch.Tensor | None = None,
    detail_bound: float = DETAIL_BOUND,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The code (1, z_dim) of a seed, or of a photo (1, C, S, S in [-1, 1]) projected into the
    latent space, with its detail (zeros for a seed, None for a generator without one): what
    edits and morphs start from, so an edited photo still looks like itself."""
    if photo is not None:
        return project_code_and_detail(model, photo, detail_bound, on_step)  # on_step: its progress
    return sample_codes(1, model.arch.z_dim, seed), blank_detail(model)


def conditional_rule(directions: Directions) -> Callable[[str], list[str]]:
    """The keep rule of a conditional edit: what each edited attribute holds (gan_demo.domain)."""
    return partial(conditional_keep, directions.names)


def edit_codes(
    model: Pretrained,
    directions: Directions,
    z: torch.Tensor,
    strengths: dict[str, float | torch.Tensor],
    keep: Keep = (),
    method: str = "linear",
    guide: Pretrained | None = None,
    detail: torch.Tensor | None = None,
) -> torch.Tensor:
    """Codes z (N, z_dim) moved by each attribute's strength (a number, or a tensor (N,) of one
    per code) x its separation along its direction, with the `keep` attributes' directions
    projected out (a list, or `conditional_rule(directions)`); with a `guide` classifier, each code
    is then corrected through the generator and the classifier (gan_demo.latent.guided),
    reading images drawn with `detail` (one for all codes, or one per code)."""
    if guide is None:
        return directions.shift(z, strengths, method, keep)
    per_code = {name: s for name, s in strengths.items() if isinstance(s, torch.Tensor)}
    if not per_code:
        return guided_edit(model, guide, directions, z, strengths, keep, method, detail=detail)
    if len(strengths) > 1:
        raise ValueError("a guided edit takes one strength per code for one attribute at a time")
    (name, strength), edited = next(iter(per_code.items())), z.clone()
    for value in strength.unique().tolist():  # codes edited alike are corrected together
        rows = strength == value
        part = None if detail is None or detail.shape[0] == 1 else detail[rows]
        edited[rows] = guided_edit(
            model, guide, directions, z[rows], {name: value}, keep, method, detail=detail if part is None else part
        )
    return edited


def arithmetic(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """The paper's vector arithmetic on exemplar averages: mean(A) - mean(B) + mean(C), (1, z_dim).
    E.g. A = men with glasses, B = men without, C = women without: a woman with glasses."""
    for name, group in (("A", a), ("B", b), ("C", c)):
        if group.ndim != 2 or group.shape[0] < 1:
            raise ValueError(f"exemplar set {name} must be a non-empty (k, z_dim) tensor, got {tuple(group.shape)}")
    return (a.mean(0) - b.mean(0) + c.mean(0)).unsqueeze(0)

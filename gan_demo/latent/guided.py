"""Classifier-guided attribute edits. A linear direction in z drags correlated attributes along
(the data ties Male to Wearing_Lipstick, Blond_Hair to Pale_Skin, a digit's identity to its
stroke), and projecting the other attributes' directions out of it (conditional directions) only
removes what is linear about that. Here each code starts from its direction step and is then
corrected by a few gradient steps through the generator and the classifier: on faces the edited
attributes are pushed to their target read-out and every other attribute's read-out is held; on
digits the digit is held (or changed, when a digit is edited) while the stroke steps stay.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from gan_demo.domain import DIGITS
from gan_demo.models.pretrained import Pretrained

from .directions import Directions

GUIDED_STEPS = 20  # about 0.4 s for one 64x64 face on a 2-core CPU
GUIDED_LR = 0.05
# what a mean change of 0.01 in the other attributes costs against the target's margin: 20 left
# Male edits at 0.11 drift as read by a second classifier, 40 at 0.10, 80 lost flips
HOLD_WEIGHT = 40.0
# digits: what the correction's squared size per code dimension costs against the digit's
# cross-entropy; 1 and 10 both keep every digit of 200, 10 keeps a little more of the stroke
# change (bench/card_analysis.py digit-edits --stay-weight 1)
STAY_WEIGHT = 10.0


def check_pair(model: Pretrained, classifier: Pretrained) -> None:
    """The classifier must read the model's images: same size, channels and device."""
    if classifier.C is None:
        raise ValueError(f"guided edits need a classifier, {classifier.name} is a {classifier.kind}")
    if (classifier.arch.size, classifier.arch.channels) != (model.arch.size, model.arch.channels):
        raise ValueError(
            f"{classifier.name} reads {classifier.arch.channels}x{classifier.arch.size}x{classifier.arch.size} "
            f"images, {model.name} makes {model.arch.channels}x{model.arch.size}x{model.arch.size}"
        )
    if classifier.device != model.device:
        raise ValueError(f"{classifier.name} is on {classifier.device}, {model.name} on {model.device}")


def guided_edit(
    model: Pretrained,
    classifier: Pretrained,
    directions: Directions,
    z: torch.Tensor,
    strengths: dict[str, float],
    keep: list[str] | Callable[[str], list[str]] = (),
    method: str = "linear",
    steps: int = GUIDED_STEPS,
    detail: torch.Tensor | None = None,
) -> torch.Tensor:
    """Edited codes (N, z_dim) for codes z (N, z_dim) (projected photos' `detail` kept in every
    image the classifier reads), starting from the step along the
    directions (`method`), with the `keep` attributes' directions projected out (conditional;
    a list, or a function of the attribute edited as `Directions.shift` takes).

    An attribute classifier (faces): for each attribute with strength s != 0 the logit is pushed
    past sign(s) x |s| (strength 2 asks for a probability of at least 0.88, -2 for at most 0.12);
    every attribute not edited keeps its probability as far as the generator allows. A digit
    classifier: a digit edited with s > 0 becomes the digit (the strongest, if several), one
    edited with s < 0 is left, any other digit is held; for attributes the classifier does not
    read (stroke thickness, slant) the correction is orthogonal to their directions, so the
    code's projection on each (its linear read-out) stays where the step put it."""
    check_pair(model, classifier)
    targets = {name: float(s) for name, s in strengths.items() if s}
    for name in targets:
        directions.index(name)  # unknown names fail here, with the known ones listed
        if classifier.domain is not DIGITS and name not in classifier.label_names:
            raise KeyError(f"{classifier.name} has no attribute {name!r}")
    z = z.detach().to(model.device, torch.float32)
    if detail is not None:
        detail = detail.detach().to(model.device, torch.float32)
    start = directions.shift(z, targets, method, keep)  # unknown keep names fail here
    if not targets or steps <= 0:
        return start.cpu()
    if classifier.domain is not DIGITS:
        return hold_attributes(model, classifier, start, targets, steps, detail, reference=z).cpu()
    return _hold_digit(model, classifier, directions, z, start, targets, method, steps, detail).cpu()


def hold_attributes(
    model: Pretrained,
    classifier: Pretrained,
    start: torch.Tensor,
    targets: dict[str, float],
    steps: int = GUIDED_STEPS,
    detail: torch.Tensor | None = None,
    reference: torch.Tensor | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Codes (N, z_dim) corrected from `start` by `steps` gradient steps so each target attribute's
    logit passes sign(s) x |s| while every other attribute keeps its probability at `reference`
    (default: `start` itself), read by an attribute classifier on the images drawn with `detail`;
    `on_step(done, steps)` after each step."""
    z = start if reference is None else reference
    columns = torch.tensor([classifier.label_names.index(name) for name in targets], device=z.device)
    sign = torch.tensor([1.0 if s > 0 else -1.0 for s in targets.values()], device=z.device)
    margin = torch.tensor([abs(s) for s in targets.values()], device=z.device)
    held = torch.ones(len(classifier.label_names), dtype=torch.bool, device=z.device)
    held[columns] = False
    with torch.no_grad():
        probs_before = classifier.C(model.render(z, detail)).float().sigmoid()

    def loss(code):
        logits = classifier.C(model.render(code, detail)).float()
        target_loss = F.softplus(margin - sign * logits[:, columns]).sum(1)
        drift = (logits.sigmoid() - probs_before)[:, held].abs().mean(1) if held.any() else 0.0
        return (target_loss + HOLD_WEIGHT * drift).sum()

    return _descend(loss, start, steps, on_step)


def _hold_digit(
    model: Pretrained,
    classifier: Pretrained,
    directions: Directions,
    z: torch.Tensor,
    start: torch.Tensor,
    targets: dict[str, float],
    method: str,
    steps: int,
    detail: torch.Tensor | None,
) -> torch.Tensor:
    names = classifier.label_names
    with torch.no_grad():
        target_digit = classifier.C(model.render(z, detail)).float().argmax(1)
    wanted = [n for n, s in targets.items() if n in names and s > 0]
    if wanted:
        target_digit = torch.full_like(target_digit, names.index(max(wanted, key=targets.get)))
    away = [names.index(n) for n, s in targets.items() if n in names and s < 0]
    # a code whose own digit is edited away has no digit to hold, only one to leave
    hold_mask = ~torch.isin(target_digit, torch.tensor(away, dtype=target_digit.dtype, device=z.device))
    unread = [directions.get(n, method) for n in targets if n not in names]  # e.g. stroke thickness
    basis = torch.linalg.qr(torch.stack(unread).T.to(z.device))[0] if unread else None

    def orthogonal(e):
        return e - (e @ basis) @ basis.T if basis is not None else e

    def loss(code):
        correction = orthogonal(code - start)
        log_p = classifier.C(model.render(start + correction, detail)).float().log_softmax(1)
        total = -(log_p.gather(1, target_digit[:, None]).squeeze(1) * hold_mask).sum()
        if away:
            total = total - torch.log1p(-log_p[:, away].exp().clamp(max=1 - 1e-6)).sum()
        return total + STAY_WEIGHT * correction.pow(2).sum() / z.shape[1]

    return start + orthogonal(_descend(loss, start, steps) - start)


def _descend(loss, init: torch.Tensor, steps: int, on_step: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """`steps` Adam steps on a code from `init`; only the code is optimised (no gradient buffers on
    the shared networks' weights)."""
    code = init.clone().requires_grad_(True)
    opt = torch.optim.Adam([code], lr=GUIDED_LR)
    with torch.enable_grad():
        for step in range(steps):
            (code.grad,) = torch.autograd.grad(loss(code), code)
            opt.step()
            if on_step is not None:
                on_step(step + 1, steps)
    return code.detach()

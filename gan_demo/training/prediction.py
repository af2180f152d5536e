"""The video kinds' objectives: frame prediction on Moving-MNIST clips made on the fly.

The loop hands each step a batch of digit images, as it does every kind; the step turns it into
as many clips (two of the batch's digits each, on trajectories drawn from the step's seeded
generator), so a resumed run replays the same clips and no clip set is stored.

    pixel:  |y - x|^2 + gdl_weight * GDL(y, x)     (per pixel means; Mathieu et al.'s L2 + GDL)
    GAN:    pixel + adv_weight * BCE(D(past, y), 1), D: BCE(D(past, x), 1) + BCE(D(past, y), 0)

The gradient difference loss compares the images' gradients, so a prediction cannot lower it by
blurring an edge away: pixel losses alone reward the mean of the possible futures, a grey blob.
No L1 term, and a GDL weighted 0.1: on these mostly black frames an L1-like loss's optimum for
an uncertain pixel (or edge) is black, and its gradient, a sign, outweighs the squared error's
small one: with L1 + L2 + GDL at weight 1 a first run stayed at the all-black answer for 300
steps, and L2 + GDL at 1 crawled (148 summed MSE after 450 steps).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gan_demo.data.moving_mnist import INPUT_FRAMES, as_digits, make_clips
from gan_demo.models.video import ClipDiscriminator

from .objectives import Objective, d_loss, g_loss

PREVIEW_CLIPS, PREVIEW_FRAMES = 4, 8  # the sample grid: per clip a row of the truth, a row of the prediction


def gradient_difference(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Mathieu et al.'s GDL with alpha 1: | |d truth| - |d pred| | along rows and columns."""
    loss = 0.0
    for dim in (-1, -2):
        loss = loss + (truth.diff(dim=dim).abs() - pred.diff(dim=dim).abs()).abs().mean()
    return loss


def pixel_losses(pred: torch.Tensor, truth: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"mse": F.mse_loss(pred, truth), "gdl": gradient_difference(pred, truth)}


def pixel_loss(parts: dict[str, torch.Tensor], gdl_weight: float) -> torch.Tensor:
    return parts["mse"] + gdl_weight * parts["gdl"]


class FramePrediction(Objective):
    """The pixel-loss predictor: P maps 10 frames to the next 10, trained on L2 + a little GDL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.arch.channels != 1:
            raise ValueError(
                f"--model {self.spec.name} makes its clips of gray digit images; the data has {self.arch.channels} channels"
            )
        self.add("P", self.start_predictor(kwargs.get("source")))
        self.add_optimizer("P", self.nets["P"].parameters(), self.hyper.lr)
        self.add_ema("P")

    def start_predictor(self, source) -> nn.Module:
        return self.part("P")

    def clips(self, x: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of digits -> as many clips, split into (past, future)."""
        frames = make_clips(as_digits(x), None, x.shape[0], gen).frames
        return frames[:, :INPUT_FRAMES], frames[:, INPUT_FRAMES:]

    def step(self, x, labels, gen):
        past, future = self.clips(x, gen)
        with self.autocast():
            pred = self.nets["P"](past).float()
        parts = pixel_losses(pred, future)
        loss = pixel_loss(parts, self.hyper.gdl_weight)
        self.update("P", loss)
        self.after_step()
        return {"loss": loss.detach(), **{k: v.detach() for k, v in parts.items()}}

    @torch.no_grad()
    def preview(self, z, photos):
        """Four clips of the fixed photos: a row of their true next frames, a row of the prediction."""
        gen = torch.Generator(device=photos.device).manual_seed(0)
        frames = make_clips(as_digits(photos), None, PREVIEW_CLIPS, gen).frames
        P = self.inference_modules()["P"]
        was_training = P.training
        P.eval()
        with self.autocast():
            pred = P(frames[:, :INPUT_FRAMES]).float().clamp(0, 1)
        P.train(was_training)
        rows = torch.stack([frames[:, INPUT_FRAMES:], pred], 1)[:, :, :PREVIEW_FRAMES]  # (clips, 2, frames, 64, 64)
        return rows.reshape(-1, 1, 64, 64) * 2 - 1


class FramePredictionGAN(FramePrediction):
    """Mathieu et al.'s adversarial predictor: the pixel losses plus a conditional discriminator
    that sees the 10 input frames with the true or the predicted future; it fine-tunes a trained
    pixel-loss predictor (--generator), whose weights it starts from."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add("D", ClipDiscriminator())
        self.add_optimizer("D", self.nets["D"].parameters(), self.hyper.lr_d or self.hyper.lr, (0.5, 0.999))

    def start_predictor(self, source) -> nn.Module:
        predictor = self.part("P")
        if source is None or source.spec.objective_class() is not FramePrediction:
            found = source.kind if source is not None else "none"
            raise ValueError(
                f"--model {self.spec.name} fine-tunes a pixel-loss video predictor (--generator), found {found}"
            )
        if source.arch != self.arch:
            raise ValueError(f"{source.name}: its architecture {source.arch} differs from this run's {self.arch}")
        predictor.load_state_dict(source.parts["P"].state_dict())
        self.source = source
        return predictor

    def step(self, x, labels, gen):
        past, future = self.clips(x, gen)
        with self.autocast():
            pred = self.nets["P"](past).float()
        n = past.shape[0]
        with self.autocast():  # one pass over real and predicted futures (D has no batch statistics)
            logits = self.nets["D"](past.repeat(2, 1, 1, 1), torch.cat([future, pred.detach()])).float()
            loss_d = d_loss(logits[:n], logits[n:], self.hyper.loss)
        self.update("D", loss_d)
        parts = pixel_losses(pred, future)
        with self.frozen("D") as frozen_d, self.autocast():
            adv = g_loss(frozen_d(past, pred).float(), self.hyper.loss)
        loss = pixel_loss(parts, self.hyper.gdl_weight) + self.hyper.adv_weight * adv
        self.update("P", loss)
        self.after_step()
        return {"loss_D": loss_d.detach(), "loss_G": adv.detach(), **{k: v.detach() for k, v in parts.items()}}

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "fine_tuned_from": self.source.name}

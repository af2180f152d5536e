"""The face <-> map kinds' objectives (the batch's labels are its faces' part maps, (N, S, S)).

    segmenter:  class-weighted cross-entropy of S(face) against the map
                + dice_weight * (1 - the soft Dice overlap, averaged over the classes)
    pix2pix:    (s_mu, s_logvar) = E(face), s = s_mu + eps * sigma, fake = G(map, s)
                G, E: adv_weight * BCE(D(map, fake), 1) + rec_weight * |fake - face|
                      + kl_weight * KL(q(s | face) || N(0, I))
                D:    BCE(D(map, face), 1) + BCE(D(map, fake), 0)

pix2pix is Isola et al.'s conditional GAN + 100 L1 (their lambda); the style code is BicycleGAN's
cVAE-GAN half, so a map with a random style code (or a reference face's) gives another face,
where pix2pix's own noise is ignored. --adv-weight 0 trains the L1-only generator the paper
compares against (no discriminator at all).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gan_demo.data.face_parts import CLASS_SHARE, N_CLASSES, PALETTE
from gan_demo.models.unet import PatchDiscriminator

from .objectives import Objective, d_loss, g_loss

PREVIEW = 8  # faces per row of the sample grid


def class_weights(device: torch.device) -> torch.Tensor:
    """sqrt(median share / share): eyes (0.4 % of the pixels) weigh about 1.7, the background
    0.17; the square root tempers Eigen and Fergus's median-frequency balancing, which on these
    shares would weigh an eye pixel 30 times a background one."""
    share = torch.tensor(CLASS_SHARE)
    return (share.median() / share).sqrt().to(device)


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - the mean over classes of the soft Dice overlap 2|P.Y| / (|P| + |Y|) over the batch
    (Milletari et al.'s V-Net loss): every class counts alike however few its pixels, which is
    what the mIoU rewards and the cross-entropy does not."""
    probs = logits.softmax(1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(probs.dtype)
    dims = (0, 2, 3)
    overlap = 2 * (probs * onehot).sum(dims) + 1
    return 1 - (overlap / (probs.sum(dims) + onehot.sum(dims) + 1)).mean()


def map_colours(maps: torch.Tensor) -> torch.Tensor:
    """(N, S, S) class ids -> (N, 3, S, S) in [-1, 1], the palette's colours (for sample grids)."""
    palette = torch.from_numpy(PALETTE).to(maps.device).float() / 127.5 - 1
    return palette[maps.long()].permute(0, 3, 1, 2)


def check_maps(spec_name: str, label_kind: str, channels: int) -> None:
    if label_kind != "maps":
        raise ValueError(f"--model {spec_name} trains on faces with their part maps: pass --maps MAPS.npz")
    if channels != 3:
        raise ValueError(f"--model {spec_name} trains on colour faces; the data has {channels} channel(s)")


class Segmentation(Objective):
    """face -> map, a U-Net of logits per class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        check_maps(self.spec.name, self.label_kind, self.arch.channels)
        self.add("segmenter", self.part("segmenter"))
        self.add_optimizer("segmenter", self.nets["segmenter"].parameters(), self.hyper.lr)
        self.add_ema("segmenter")
        self.weights = class_weights(self.device)

    def step(self, x, labels, gen):
        target = labels.long()
        with self.autocast():
            logits = self.nets["segmenter"](x).float()
        ce = F.cross_entropy(logits, target, weight=self.weights)
        dice = dice_loss(logits, target) if self.hyper.dice_weight else torch.zeros((), device=x.device)
        loss = ce + self.hyper.dice_weight * dice
        self.update("segmenter", loss)
        self.after_step()
        acc = (logits.argmax(1) == target).float().mean()
        return {"loss": loss.detach(), "ce": ce.detach(), "dice": dice.detach(), "acc": acc.detach()}

    @torch.no_grad()
    def preview(self, z, photos):
        """Rows of held-out faces, their predicted maps, their prepared maps."""
        net = self.inference_modules()["segmenter"]
        was_training = net.training
        net.eval()
        with self.autocast():
            found = net(photos[:PREVIEW]).float().argmax(1)
        net.train(was_training)
        rows = [photos[:PREVIEW], map_colours(found)]
        if self.fixed_maps is not None:
            rows.append(map_colours(self.fixed_maps[:PREVIEW]))
        return torch.cat(rows)


class Pix2Pix(Objective):
    """map (+ style code) -> face: a U-Net generator, a style encoder and a PatchGAN."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        check_maps(self.spec.name, self.label_kind, self.arch.channels)
        self.add("translator", self.part("translator"))
        self.add("style", self.part("style"))
        params = [*self.nets["translator"].parameters(), *self.nets["style"].parameters()]
        self.add_optimizer("translator", params, self.hyper.lr)
        self.adversarial = self.hyper.adv_weight > 0
        if self.adversarial:
            self.add("D", PatchDiscriminator(self.arch, N_CLASSES))
            self.add_optimizer("D", self.nets["D"].parameters(), self.hyper.lr_d or self.hyper.lr)
        self.add_ema("translator")

    def step(self, x, labels, gen):
        maps = labels.long()
        with self.autocast():
            mu, logvar = (t.float() for t in self.nets["style"](x))
        style = mu + torch.randn(mu.shape, device=mu.device, generator=gen) * (0.5 * logvar).exp()
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1).mean()
        with self.autocast():
            fake = self.nets["translator"](maps, style).float()
        losses = {}
        if self.adversarial:
            with self.autocast():
                loss_d = d_loss(
                    self.nets["D"](maps, x).float(), self.nets["D"](maps, fake.detach()).float(), self.hyper.loss
                )
            self.update("D", loss_d)
            with self.frozen("D") as D, self.autocast():
                adv = g_loss(D(maps, fake).float(), self.hyper.loss)
            losses = {"loss_D": loss_d.detach(), "loss_G": adv.detach()}
        else:
            adv = torch.zeros((), device=x.device)
        l1 = (fake - x).abs().mean()
        loss = self.hyper.adv_weight * adv + self.hyper.rec_weight * l1 + self.hyper.kl_weight * kl
        self.update("translator", loss)
        self.after_step()
        return {**losses, "l1": l1.detach(), "kl": kl.detach()}

    @torch.no_grad()
    def preview(self, z, photos):
        """Rows of held-out maps, their faces, the generator's face with the face's own style, with
        two random styles."""
        if self.fixed_maps is None:
            return None
        maps, faces = self.fixed_maps[:PREVIEW], photos[:PREVIEW]
        G, E = self.inference_modules()["translator"], self.raw["style"]
        was_training = G.training
        G.eval()
        E.eval()
        gen = torch.Generator(device=photos.device).manual_seed(0)
        with self.autocast():
            own = E(faces)[0].float()
            styles = [own, *(torch.randn(own.shape, device=own.device, generator=gen) for _ in range(2))]
            made = [G(maps, s).float() for s in styles]
        G.train(was_training)
        E.train(was_training)
        return torch.cat([map_colours(maps), faces, *made])

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "adversarial": self.adversarial}

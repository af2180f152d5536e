"""One training objective per model kind: its networks, optimizers and one update step.

The inference networks (G, E, C; a video predictor's P) are built by the kind's row in
gan_demo.models.kinds, as the loader builds them; the discriminators exist only here (and in
gan_demo.training.prediction, the video kinds').

Each `step(x, labels, gen)` takes a batch (NCHW float in [-1, 1], channels_last) and returns
the losses as detached device tensors, so the loop never waits on the device between logs.
Every network wrapped for DistributedDataParallel runs forward once per backward pass; the
generator steps call the discriminators' raw modules, frozen, so DDP never sees them twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from gan_demo.models import kinds
from gan_demo.models.kinds import ModelKind
from gan_demo.models.nets import ArchConfig, CodeDiscriminator, Discriminator
from gan_demo.models.pretrained import Pretrained
from gan_demo.runtime import autocast

from .augment import diff_augment
from .config import Hyper
from .ema import GeneratorEMA


def d_loss(real_logits: torch.Tensor | None, fake_logits: torch.Tensor | None, kind: str) -> torch.Tensor:
    """Discriminator loss on whichever side is given (BCE with logits, or hinge)."""
    total = 0.0
    if real_logits is not None:
        total = total + (F.relu(1 - real_logits).mean() if kind == "hinge" else F.softplus(-real_logits).mean())
    if fake_logits is not None:
        total = total + (F.relu(1 + fake_logits).mean() if kind == "hinge" else F.softplus(fake_logits).mean())
    return total


def g_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Non-saturating generator loss: BCE(D(G(z)), real) == softplus(-logit); hinge: -logit."""
    return -fake_logits.mean() if kind == "hinge" else F.softplus(-fake_logits).mean()


def mmd_to_prior(code: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Maximum mean discrepancy between a batch of codes and as many N(0, I) draws, with the
    inverse multiquadratic kernels of the Wasserstein auto-encoder (Tolstikhin et al. 2018): a
    distribution match, so directions fitted on encoded photos also hold for prior samples."""
    n, d = code.shape
    prior = torch.randn(code.shape, device=code.device, generator=gen)
    both = torch.cat([code, prior])
    dist2 = torch.cdist(both, both).pow(2)
    kernel = sum(2 * d * s / (2 * d * s + dist2) for s in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0))
    off_diag = 1 - torch.eye(n, device=code.device)
    within = ((kernel[:n, :n] + kernel[n:, n:]) * off_diag).sum() / (n * (n - 1))
    return within - 2 * kernel[:n, n:].mean()


class Objective:
    """Base: owns networks (raw and, when distributed, DDP-wrapped), optimizers and precision.

    `labels` and `label_kind` are the data's label names and kind ("attributes" or "classes");
    `source` is the trained checkpoint a refit starts from (its kind's row says it needs one)."""

    def __init__(
        self,
        spec: ModelKind,
        arch: ArchConfig,
        hyper: Hyper,
        device: torch.device,
        precision: str = "fp32",
        distributed: bool = False,
        labels: Sequence[str] = (),
        label_kind: str = "",
        source: Pretrained | None = None,
    ):
        self.spec, self.arch, self.hyper, self.device, self.precision = spec, arch, hyper, device, precision
        self.labels, self.label_kind = list(labels), label_kind
        self.raw: dict[str, nn.Module] = {}
        self.nets: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        self.ema: GeneratorEMA | None = None
        self.averaged = "G"  # the network the EMA averages (a predictor's is "P")
        self.distributed = distributed
        self.compiled_graphs = False  # torch.compile's CUDA graphs: outputs must be copied to be kept
        self.recording = False  # a whole step is recorded as one CUDA graph: no host-side branches
        self.fixed_maps: torch.Tensor | None = None  # the sample grid's part maps (face-map kinds)

    # -- construction -------------------------------------------------------------------------
    def part(self, name: str) -> nn.Module:
        """A fresh inference network, built by the kind's row as the loader will rebuild it."""
        return self.spec.parts[name](self.arch, self.labels)

    def add(self, name: str, module: nn.Module) -> nn.Module:
        module = module.to(self.device, memory_format=torch.channels_last)
        self.raw[name] = module
        self.nets[name] = DDP(module) if self.distributed else module
        return self.nets[name]

    def add_optimizer(self, name: str, params, lr: float, betas: tuple[float, float] | None = None) -> None:
        betas = betas or (self.hyper.beta1, 0.999)
        self.optimizers[name] = torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
        for group in self.optimizers[name].param_groups:
            group["initial_lr"] = lr  # what a schedule's factor multiplies (set_lr_factor)
        self.scalers[name] = torch.amp.GradScaler(self.device.type, enabled=self.precision == "fp16")

    def set_lr_factor(self, factor: float) -> None:
        """Every optimiser's rate at `factor` times the rate it was made with."""
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                group["lr"] = group["initial_lr"] * factor

    def add_ema(self, name: str) -> None:
        self.averaged = name
        if self.hyper.ema > 0:
            self.ema = GeneratorEMA(self.raw[name], self.hyper.ema)

    def compile(self, mode: str | None = None) -> None:
        """torch.compile every network (mode as torch.compile takes it)."""
        self.compiled_graphs = mode == "reduce-overhead"
        for module in self.raw.values():
            module.compile(mode=mode)

    # -- one update -------------------------------------------------------------------------------
    def autocast(self):
        return autocast(self.device, self.precision)

    def update(self, name: str, loss: torch.Tensor) -> None:
        opt, scaler = self.optimizers[name], self.scalers[name]
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    def update_discriminator(self, real: torch.Tensor, fakes: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """One D step. Real and fake batches pass separately, so batch norm never mixes them:
        the generator step shows D fakes alone, and D must judge them under the same statistics."""
        D, opt, scaler, kind = self.nets["D"], self.optimizers["D"], self.scalers["D"], self.hyper.loss
        opt.zero_grad(set_to_none=True)
        with D.no_sync() if isinstance(D, DDP) else contextlib.nullcontext():  # all-reduce once, below
            with self.autocast():
                d_real = d_loss(D(self.augment(real, gen)), None, kind)
            scaler.scale(d_real).backward()
        with self.autocast():
            d_fake = d_loss(None, D(self.augment(fakes.detach(), gen)), kind)
        scaler.scale(d_fake).backward()
        scaler.step(opt)
        scaler.update()
        return (d_real + d_fake).detach()

    @contextlib.contextmanager
    def frozen(self, name: str):
        """The raw network with its weights frozen: the generator step needs only D's input
        gradients, and skipping D's weight gradients saves about a fifth of the step on a CPU."""
        module = self.raw[name]
        module.requires_grad_(False)
        try:
            yield module
        finally:
            module.requires_grad_(True)

    def augment(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return diff_augment(x, gen) if self.hyper.diffaug else x

    def keep(self, t: torch.Tensor) -> torch.Tensor:
        """A CUDA-graph output is overwritten by the next graph replay; copy it if reused."""
        return t.clone() if self.compiled_graphs else t

    def after_step(self) -> None:
        if self.ema is None:
            return
        if self.recording:  # the host-side halves run around each replay (before_replay, after_replay)
            self.ema.average(self.raw[self.averaged])
        else:
            self.ema.update(self.raw[self.averaged])

    def before_replay(self) -> None:
        """The host-side part of a recorded step that comes before it: the EMA's share."""
        if self.ema is not None:
            self.ema.prepare()

    def after_replay(self) -> None:
        """The host-side part of a recorded step that comes after it: the EMA's count."""
        if self.ema is not None:
            self.ema.count()

    def step(self, x: torch.Tensor, labels: torch.Tensor | None, gen: torch.Generator) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    # -- outputs ----------------------------------------------------------------------------------
    def inference_modules(self) -> dict[str, nn.Module]:
        """The networks that go into the inference checkpoint (the EMA generator when enabled)."""
        mods = {k: v for k, v in self.raw.items() if k in self.spec.parts}
        if self.ema is not None:
            mods[self.averaged] = self.ema.module
        return mods

    def state_modules(self) -> dict[str, nn.Module]:
        """Everything a resume needs."""
        return {**self.raw, **({"EMA": self.ema} if self.ema is not None else {})}

    def checkpoint_meta(self) -> dict:
        """What the inference JSON says about the networks: the kind they load as, and whether
        the generator is an EMA average."""
        return {"kind": self.spec.checkpoint_kind, "ema_generator": self.ema is not None}

    @torch.no_grad()
    def preview(self, z: torch.Tensor, photos: torch.Tensor) -> torch.Tensor | None:
        """The sample grid's images: the generator (eval mode) on fixed codes; None without one."""
        G = self.inference_modules().get("G")
        if G is None:
            return None
        was_training = G.training
        G.eval()
        with self.autocast():
            images = G(z).float()
        G.train(was_training)
        return images

    def noise(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.arch.z_dim, device=self.device, generator=gen)


class DCGAN(Objective):
    """min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))], with the non-saturating G loss."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add("G", self.part("G"))
        self.add("D", Discriminator(self.arch))
        self.add_optimizer("G", self.nets["G"].parameters(), self.hyper.lr)
        self.add_optimizer("D", self.nets["D"].parameters(), self.hyper.lr_d or self.hyper.lr)
        self.add_ema("G")

    def step(self, x, labels, gen):
        G, loss = self.nets["G"], self.hyper.loss
        z = self.noise(x.shape[0], gen)
        with self.autocast():
            fake = self.keep(G(z))
        loss_d = self.update_discriminator(x, fake, gen)
        with self.frozen("D") as D, self.autocast():
            loss_g = g_loss(D(self.augment(fake, gen)), loss)
        self.update("G", loss_g)
        self.after_step()
        return {"loss_D": loss_d, "loss_G": loss_g.detach()}


class AEGAN(Objective):
    """AE+GAN: encoder E, generator/decoder G, image discriminator D, code discriminator Dz.

    D:  BCE(D(x), 1) + 1/2 [BCE(D(G(z)), 0) + BCE(D(G(E(x))), 0)],      z ~ N(0, I)
    Dz: BCE(Dz(z), 1) + BCE(Dz(E(x)), 0)
    E,G: rec_weight * |G(E(x)) - x|_1 + 1/2 [BCE(D(G(z)), 1) + BCE(D(G(E(x))), 1)]
         + prior_weight * BCE(Dz(E(x)), 1)
    The code discriminator pulls E(x) onto the prior (adversarial autoencoder), so G works both
    from z ~ N(0, I) and from encoded photos; reconstructions are judged by D, so they are sharp.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add("E", self.part("E"))
        self.add("G", self.part("G"))
        self.add("D", Discriminator(self.arch))
        self.add("Dz", CodeDiscriminator(self.arch.z_dim))
        eg_params = list(self.nets["E"].parameters()) + list(self.nets["G"].parameters())
        self.add_optimizer("EG", eg_params, self.hyper.lr)
        self.add_optimizer("D", self.nets["D"].parameters(), self.hyper.lr_d or self.hyper.lr)
        self.add_optimizer("Dz", self.nets["Dz"].parameters(), self.hyper.lr_d or self.hyper.lr)
        self.add_ema("G")

    def step(self, x, labels, gen):
        E, G, Dz, h = self.nets["E"], self.nets["G"], self.nets["Dz"], self.hyper
        n = x.shape[0]
        z = self.noise(n, gen)
        with self.autocast():
            code = E(x)
            out = self.keep(G(torch.cat([z, code])))  # one generator pass for samples and reconstructions
            recon = out[n:]
        loss_d = self.update_discriminator(x, out, gen)
        with self.autocast():
            zd = Dz(torch.cat([z, code.detach()]).float())
            loss_dz = F.softplus(-zd[:n]).mean() + F.softplus(zd[n:]).mean()
        self.update("Dz", loss_dz)
        with self.frozen("D") as D, self.frozen("Dz") as Dz, self.autocast():
            adv = g_loss(D(self.augment(out, gen)), h.loss)
            rec = (recon.float() - x).abs().mean()
            prior = F.softplus(-Dz(code.float())).mean()
            loss_eg = h.rec_weight * rec + adv + h.prior_weight * prior
        self.update("EG", loss_eg)
        self.after_step()
        return {"loss_D": loss_d, "loss_G": adv.detach(), "rec": rec.detach(), "loss_Dz": loss_dz.detach()}


class AutoEncoder(Objective):
    """The course's plain autoencoder: minimise |G(E(x)) - x|^2; nothing shapes the code space."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add("E", self.part("E"))  # a VAE's row builds the encoder of mean and log-variance
        self.add("G", self.part("G"))
        self.add_optimizer("EG", list(self.nets["E"].parameters()) + list(self.nets["G"].parameters()), self.hyper.lr)

    def step(self, x, labels, gen):
        with self.autocast():
            rec = F.mse_loss(self.nets["G"](self.nets["E"](x)).float(), x)
        self.update("EG", rec)
        return {"rec": rec.detach()}


class VAE(AutoEncoder):
    """Kingma & Welling: per image, sum (G(z) - x)^2 + kl_weight * KL(q(z|x) || N(0, I)),
    z = mu + sigma * eps (reparameterised); E outputs mean and log-variance side by side."""

    def step(self, x, labels, gen):
        with self.autocast():
            mu, logvar = self.nets["E"](x).float().chunk(2, dim=1)
            logvar = logvar.clamp(-10, 10)
            z = mu + torch.randn(mu.shape, device=mu.device, generator=gen) * (0.5 * logvar).exp()
            recon = self.nets["G"](z).float()
        rec = (recon - x).pow(2).flatten(1).sum(1).mean()
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
        loss = rec + self.hyper.kl_weight * kl
        self.update("EG", loss)
        return {"loss": loss.detach(), "rec": rec.detach(), "kl": kl.detach()}


class AttributeClassifier(Objective):
    """Multi-label attributes (BCE per attribute) or one-of-k classes (cross-entropy)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.multi_label = self.label_kind == "attributes"
        self.add("C", self.part("C"))
        self.add_optimizer("C", self.nets["C"].parameters(), self.hyper.lr)

    def step(self, x, labels, gen):
        with self.autocast():
            logits = self.nets["C"](x).float()
        if self.multi_label:
            loss = F.binary_cross_entropy_with_logits(logits, labels)
            acc = ((logits > 0) == (labels > 0.5)).float().mean()
        else:
            target = labels.argmax(1)
            loss = F.cross_entropy(logits, target)
            acc = (logits.argmax(1) == target).float().mean()
        self.update("C", loss)
        return {"loss": loss.detach(), "acc": acc.detach()}


class EncoderRefit(Objective):
    """Fit an encoder to a trained generator, which stays frozen:

        E: |G(E(x)) - x|^2 + prior_weight * MMD(E(x), z ~ N(0, I))

    From an AE+GAN, E starts from its own encoder: the AE+GAN trains E against the live G but
    ships G's EMA average, and its L1 + adversarial objective is not the squared error that
    projection is judged by, so this second stage fits E to the generator users get. From a
    DCGAN, E starts fresh: the GAN-then-encoder combination (Zhu et al. 2016, iGAN), whose
    samples are the DCGAN's own. The MMD term keeps the codes distributed as the prior, where
    samples and attribute directions live. The result loads as an AE+GAN with the source's
    generator weights.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = kwargs.get("source")
        gans = [k for k in kinds.names() if kinds.get(k).adversarial and kinds.get(k).can("sample")]
        if source is None or source.kind not in gans:
            found = f"a {source.kind}" if source is not None else "none"
            raise ValueError(
                f"--model {self.spec.name} fits an encoder to a GAN's generator ({' or '.join(gans)}), found {found}"
            )
        if source.arch != self.arch:
            raise ValueError(f"{source.name}: its architecture {source.arch} differs from this run's {self.arch}")
        self.source = source
        self.G = self.part("G").to(self.device, memory_format=torch.channels_last)
        self.G.load_state_dict(source.G.state_dict())
        self.G.eval().requires_grad_(False)  # inference statistics: the generator as shipped
        encoder = self.part("E")
        if source.E is not None:
            encoder.load_state_dict(source.E.state_dict())
        self.add("E", encoder)
        self.add_optimizer("E", self.nets["E"].parameters(), self.hyper.lr)

    def step(self, x, labels, gen):
        with self.autocast():
            code = self.nets["E"](x).float()
            recon = self.G(code).float()
        rec = (recon - x).pow(2).mean()
        prior = mmd_to_prior(code, gen)
        self.update("E", rec + self.hyper.prior_weight * prior)
        return {"rec": rec.detach(), "prior": prior.detach()}

    def inference_modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "E": self.raw["E"]}

    def checkpoint_meta(self) -> dict:
        # a refit of a refit keeps pointing at the run that trained the generator
        stage = self.source.meta.get("generator") or {
            "checkpoint": self.source.name,
            **{k: self.source.meta.get(k) for k in ("training", "hardware", "software", "data")},
        }
        return {
            "kind": self.spec.checkpoint_kind,
            "ema_generator": bool((stage.get("training") or {}).get("ema_generator")),
            "generator": stage,
        }

    @torch.no_grad()
    def preview(self, z, photos):
        """Rows of 8 photos, each followed by the row of their reconstructions."""
        if photos.shape[0] < 8:  # a tiny dataset: repeat its photos to fill one row
            photos = photos.repeat(-(-8 // photos.shape[0]), 1, 1, 1)
        E = self.raw["E"]
        E.eval()
        with self.autocast():
            recon = self.G(E(photos).float()).float()
        E.train()
        n = photos.shape[0] // 8 * 8
        pairs = torch.stack(
            [photos[:n].float().view(-1, 8, *photos.shape[1:]), recon[:n].view(-1, 8, *recon.shape[1:])], 1
        )
        return pairs.flatten(0, 2)


def make_objective(kind: str, arch: ArchConfig, hyper: Hyper, device: torch.device, **options) -> Objective:
    """The objective of a registered kind, with its networks and optimizers (options as Objective takes)."""
    spec = kinds.get(kind)
    return spec.objective_class()(spec, arch, hyper, device, **options)

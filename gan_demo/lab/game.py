"""The GAN lab's game: a small MLP generator and discriminator on 2-D data, one objective of five.

The course writes the GAN's value as V(w, theta) = -1/2 E_x log D(x) - 1/2 E_z log(1 - D(G(z))):
D minimises it, G maximises it (a saddle point). G maximising it means minimising
E_z log(1 - D(G(z))), the *saturating* loss ("minimax"): its gradient vanishes when D rejects
G's samples confidently, which is why practice uses the *non-saturating* -E_z log D(G(z)).
Hinge, least squares and WGAN-GP are the other common choices. Everything the page shows is read
off a `Lab`: its points, D's output over the plane, G's gradient at its samples, the noise grid
as G warps it, and the curves of both losses, of the gradient norm reaching G and of the
distance between the two distributions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .distributions import DISTRIBUTIONS, EXTENT, mode_coverage

OBJECTIVES = {
    "minimax": "the course's V: G minimises E log(1 - D(G(z))) (saturating)",
    "non-saturating": "G minimises -E log D(G(z)), as in practice",
    "hinge": "D: E max(0, 1 - D(x)) + E max(0, 1 + D(G(z))); G minimises -E D(G(z))",
    "least-squares": "D: E (D(x) - 1)^2 + E D(G(z))^2; G minimises E (D(G(z)) - 1)^2",
    "wgan-gp": "a critic: E D(G(z)) - E D(x) + 10 E (‖∇D‖ - 1)^2; G minimises -E D(G(z))",
}
HEAT_CELLS = 64  # D's output is read on a 64 x 64 grid of the plane
HISTORY = 50_000  # steps the curves keep
SHOWN = 512  # real and generated points drawn each frame
ARROWS = 64  # generated points that show G's gradient
MEASURED = 256  # of the shown points, those the distance is measured on


@dataclass(frozen=True)
class LabConfig:
    """Every knob of the lab; the defaults cover the ring's 8 modes within about 1,000 steps."""

    distribution: str = "ring"
    objective: str = "non-saturating"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    d_steps: int = 1  # discriminator updates per generator update
    hidden: int = 64  # width of both networks
    layers: int = 3  # hidden layers of both networks
    batch: int = 256
    r1: float = 0.0  # weight of the R1 penalty on D's gradient at real points (Mescheder et al. 2018)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {self.distribution!r}; known: {', '.join(DISTRIBUTIONS)}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; known: {', '.join(OBJECTIVES)}")
        for name, value, low, high in (
            ("learning rate of D", self.lr_d, 1e-6, 0.1),
            ("learning rate of G", self.lr_g, 1e-6, 0.1),
            ("D steps per G step", self.d_steps, 1, 10),
            ("network width", self.hidden, 4, 512),
            ("hidden layers", self.layers, 1, 6),
            ("batch size", self.batch, 8, 2048),
            ("R1 weight", self.r1, 0.0, 100.0),
        ):
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, got {value}")


def mlp(n_in: int, n_out: int, hidden: int, layers: int, gen: torch.Generator) -> nn.Sequential:
    """Linear layers with leaky ReLUs between, initialised as torch initialises them but from
    `gen`, so labs built at once in other threads cannot change each other's first weights."""
    sizes = [n_in, *[hidden] * layers, n_out]
    blocks: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        layer = nn.Linear(a, b)
        bound = 1 / math.sqrt(a)  # nn.Linear's default: kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), ...)
        with torch.no_grad():
            layer.weight.uniform_(-bound, bound, generator=gen)
            layer.bias.uniform_(-bound, bound, generator=gen)
        blocks += [layer, nn.LeakyReLU(0.2)]
    return nn.Sequential(*blocks[:-1])


def betas(objective: str) -> tuple[float, float]:
    """Adam's betas: WGAN-GP's own (0.5, 0.9), else the DCGAN paper's (0.5, 0.999)."""
    return (0.5, 0.9) if objective == "wgan-gp" else (0.5, 0.999)


def d_loss(objective: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss on its outputs for real and generated points (logits for the
    two log-losses; raw scores for the others)."""
    if objective in ("minimax", "non-saturating"):  # both: D minimises V (the 1/2 factors kept)
        return 0.5 * (F.softplus(-real).mean() + F.softplus(fake).mean())
    if objective == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if objective == "least-squares":
        return 0.5 * ((real - 1).pow(2).mean() + fake.pow(2).mean())
    return fake.mean() - real.mean()  # wgan-gp, its penalty added by the caller


def g_loss(objective: str, fake: torch.Tensor, reduce: bool = True) -> torch.Tensor:
    """The generator's loss on D's outputs for its points (per point when `reduce` is False)."""
    if objective == "minimax":
        per_point = -F.softplus(fake)  # log(1 - D(G(z))): G minimises it, maximising V
    elif objective == "non-saturating":
        per_point = F.softplus(-fake)  # -log D(G(z))
    elif objective == "least-squares":
        per_point = 0.5 * (fake - 1).pow(2)
    else:  # hinge, wgan-gp
        per_point = -fake
    return per_point.mean() if reduce else per_point


def mmd(a: torch.Tensor, b: torch.Tensor) -> float:
    """Squared maximum mean discrepancy with Gaussian kernels at three scales (0.1, 0.5, 2):
    0 when the two point sets come from one distribution."""
    both = torch.cat([a, b])
    sq = both.pow(2).sum(1)
    dist2 = (sq[:, None] + sq[None, :] - 2 * both @ both.T).clamp_min(0)  # faster than cdist for 2-D points
    kernel = sum(torch.exp(-dist2 / (2 * s * s)) for s in (0.1, 0.5, 2.0))
    n = len(a)
    return float(kernel[:n, :n].mean() + kernel[n:, n:].mean() - 2 * kernel[:n, n:].mean())


@dataclass
class View:
    """One frame's worth of numbers, in plane coordinates: what the page draws."""

    real: np.ndarray  # (SHOWN, 2)
    fake: np.ndarray  # (SHOWN, 2)
    heat: np.ndarray  # (HEAT_CELLS, HEAT_CELLS), D's belief that a point is real, in [0, 1], row 0 at the top
    arrows: np.ndarray  # (ARROWS, 2, 2): from each generated point, along -dL_G/dx (G's push)
    grid: list[np.ndarray]  # polylines: lines of the noise plane as G maps them
    step: int
    history: dict[str, list[float]]
    coverage: dict[str, float] | None


@dataclass
class Lab:
    """A 2-D GAN in training: `step(n)` trains, `view()` reads what the page draws."""

    config: LabConfig = field(default_factory=LabConfig)
    points: torch.Tensor | None = None  # the clicked points, for the "drawn" distribution

    def __post_init__(self) -> None:
        c = self.config
        weights = torch.Generator().manual_seed(c.seed)
        self.G = mlp(2, 2, c.hidden, c.layers, weights)
        self.D = mlp(2, 1, c.hidden, c.layers, weights)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=betas(c.objective), fused=True)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=c.lr_d, betas=betas(c.objective), fused=True)
        self.gen = torch.Generator().manual_seed(c.seed)
        self.dist = DISTRIBUTIONS[c.distribution]
        self.dist.sample(1, torch.Generator(), self.points)  # a drawn distribution without points fails here
        self.steps = 0
        self.history: dict[str, list[float]] = {"loss_d": [], "loss_g": [], "grad_g": [], "distance": [], "at": []}
        view = torch.Generator().manual_seed(c.seed + 1)  # fixed points to show, so frames do not flicker
        self.shown_z = torch.randn(SHOWN, 2, generator=view)
        self.shown_real = self.dist.sample(SHOWN, view, self.points)

    def retune(self, config: LabConfig) -> bool:
        """Take new settings while training, as far as they apply live (objective, learning rates,
        D steps, batch, R1); False when they change the networks, the data or the seed, which
        needs a new Lab."""
        structural = ("distribution", "hidden", "layers", "seed")
        if any(getattr(config, k) != getattr(self.config, k) for k in structural):
            return False
        self.config = config
        for opt, lr in ((self.opt_d, config.lr_d), (self.opt_g, config.lr_g)):
            for group in opt.param_groups:
                group["lr"], group["betas"] = lr, betas(config.objective)
        return True

    def add_point(self, x: float, y: float) -> None:
        """A clicked point joins the "drawn" distribution's data."""
        point = torch.tensor([[x, y]], dtype=torch.float32)
        self.points = point if self.points is None or len(self.points) == 0 else torch.cat([self.points, point])
        if self.dist.name == "drawn":
            self.shown_real = self.dist.sample(SHOWN, torch.Generator().manual_seed(self.config.seed + 1), self.points)

    def real(self, n: int) -> torch.Tensor:
        return self.dist.sample(n, self.gen, self.points)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, 2, generator=self.gen)

    def step(self, n: int = 1) -> None:
        """n generator updates, each after `d_steps` discriminator updates."""
        c = self.config
        for _ in range(n):
            for _ in range(c.d_steps):
                real, fake = self.real(c.batch), self.G(self.noise(c.batch)).detach()
                real.requires_grad_(c.r1 > 0)
                scores = self.D(torch.cat([real, fake]))  # one pass for both: the MLP has no batch norm
                loss_d = d_loss(c.objective, scores[: c.batch], scores[c.batch :])
                if c.r1 > 0:  # D's slope at the real points, penalised: D stays smooth where the data is
                    (slope,) = torch.autograd.grad(scores[: c.batch].sum(), real, create_graph=True)
                    loss_d = loss_d + c.r1 / 2 * slope.pow(2).sum(1).mean()
                if c.objective == "wgan-gp":
                    loss_d = loss_d + 10 * self.gradient_penalty(real, fake)
                self.opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                self.opt_d.step()
            self.D.requires_grad_(False)  # G's step needs D's input gradients only
            loss_g = g_loss(c.objective, self.D(self.G(self.noise(c.batch))))
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            self.D.requires_grad_(True)
            grad_g = torch.linalg.vector_norm(torch.stack(torch._foreach_norm([p.grad for p in self.G.parameters()])))
            self.opt_g.step()
            self.steps += 1
            self.history["loss_d"].append(loss_d.item())
            self.history["loss_g"].append(loss_g.item())
            self.history["grad_g"].append(grad_g.item())
        if len(self.history["loss_d"]) > HISTORY:  # the curves keep the latest steps
            for values in self.history.values():
                del values[: max(0, len(values) - HISTORY)]

    def gradient_penalty(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        mix = torch.rand(len(real), 1, generator=self.gen)
        between = (mix * real + (1 - mix) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(self.D(between).sum(), between, create_graph=True)
        return (grad.norm(dim=1) - 1).pow(2).mean()

    @torch.no_grad()
    def samples(self, n: int, seed: int = 12345) -> torch.Tensor:
        """n generated points from their own noise (the lab's training noise untouched)."""
        return self.G(torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)))

    def measure(self) -> None:
        """The distance between the distributions now, on the curves (a tick's last step)."""
        with torch.no_grad():
            fake = self.G(self.shown_z[:MEASURED])
        self.history["distance"].append(mmd(self.shown_real[:MEASURED], fake))
        self.history["at"].append(self.steps)

    def coverage(self, n: int = 2000) -> dict[str, float] | None:
        """Modes covered and the share of samples near a mode, for the two mixtures."""
        return mode_coverage(self.dist, self.samples(n)) if self.dist.modes is not None else None

    def view(self) -> View:
        c = self.config
        with torch.no_grad():
            fake = self.G(self.shown_z)
        with torch.no_grad():
            ticks = torch.linspace(-EXTENT, EXTENT, HEAT_CELLS)
            ys, xs = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")  # row 0 is the top of the plane
            scores = self.D(torch.stack([xs, ys], -1).view(-1, 2)).view(HEAT_CELLS, HEAT_CELLS)
            if c.objective in ("minimax", "non-saturating"):
                heat = scores.sigmoid()
            else:  # raw scores: shown from their lowest (fake) to their highest (real)
                heat = (scores - scores.min()) / (scores.max() - scores.min()).clamp_min(1e-8)
        tips = fake[:ARROWS].detach().requires_grad_(True)
        (push,) = torch.autograd.grad(g_loss(c.objective, self.D(tips), reduce=False).sum(), tips)  # tips' only
        push = -push * 0.05  # a gradient of 1 per unit of the plane drawn 0.05 long
        length = push.norm(dim=1, keepdim=True)
        push = push * (0.6 / length.clamp_min(0.6))  # longer arrows cut to 0.6
        start = tips.detach()
        with torch.no_grad():
            line = torch.linspace(-2.5, 2.5, 40)
            grid = []
            for level in torch.linspace(-2, 2, 9):
                for pts in (torch.stack([line, level.expand(40)], 1), torch.stack([level.expand(40), line], 1)):
                    grid.append(self.G(pts).numpy())
        return View(
            real=self.shown_real.numpy(),
            fake=fake.detach().numpy(),
            heat=heat.numpy(),
            arrows=torch.stack([start, start + push], 1).numpy(),
            grid=grid,
            step=self.steps,
            history={k: list(v) for k, v in self.history.items()},
            coverage=self.coverage(),
        )

    def report(self) -> dict:
        """The numbers a preset's claim is checked on."""
        return {"config": asdict(self.config), "steps": self.steps, "coverage": self.coverage()}

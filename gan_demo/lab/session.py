"""One browser tab's GAN lab: its lab, the points clicked on the plane, and how long it has been
playing (a lab left running pauses itself). Gradio-free: the app's lab tab calls these.

The page's handlers run in worker threads of their own, so a Step or a changed setting can
arrive while Play is training: every method that touches the lab holds the session's lock.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from dataclasses import astuple, dataclass, field, fields

import torch
from PIL import Image, ImageDraw

from .game import OBJECTIVES, Lab, LabConfig
from .render import SIZE, frame, to_plane

MAX_PLAY_S = 180  # a lab left playing pauses itself after 3 minutes
MAX_STEPS_PER_FRAME = 50
MAX_POINTS = 400  # clicked points kept

V_COURSE = "V(ω, θ) = −½ E_x log D(x) − ½ E_z log(1 − D(G(z))): D minimises V, G maximises it."
SETTINGS = [f.name for f in fields(LabConfig)]  # the tab's controls, in this order


@dataclass
class LabSession:
    lab: Lab | None = None
    points: list[tuple[float, float]] = field(default_factory=list)
    playing: bool = False
    speed: int = 5  # training steps per frame while playing
    message: str = ""
    started: float = 0.0  # when Play was pressed (time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def configure(self, config: LabConfig) -> None:
        """New settings: applied live where they can be, else a fresh lab from its seed."""
        with self.lock:
            if self.lab is None or not self.lab.retune(config):
                self._reset(config)

    def reset(self, config: LabConfig) -> None:
        with self.lock:
            self._reset(config)

    def _reset(self, config: LabConfig) -> None:
        points = torch.tensor(self.points, dtype=torch.float32) if self.points else None
        self.lab = Lab(config, points)
        self.message = ""

    def play(self, speed: int | None = None) -> None:
        if speed is not None:
            self.speed = speed
        self.playing, self.message, self.started = True, "", time.monotonic()

    def pause(self) -> None:
        """Stop playing: a frame already on its way ends the play instead of asking for the next."""
        self.playing = False

    def advance(self, steps: int) -> bool:
        """Train `steps` generator steps and record the distance; whether to go on playing: False
        once paused, or once it has played for MAX_PLAY_S and pauses itself."""
        if not 1 <= steps <= MAX_STEPS_PER_FRAME:
            raise ValueError(f"steps per frame must be between 1 and {MAX_STEPS_PER_FRAME}, got {steps}")
        with self.lock:
            if self.lab is None:
                raise ValueError("click on the plane to place points first, or pick other data")
            self.lab.step(steps)
            self.lab.measure()
        if self.playing and time.monotonic() - self.started >= MAX_PLAY_S:
            self.message = f"The lab paused itself after {MAX_PLAY_S // 60} minutes of play: press Play to go on."
            self.playing = False
        return self.playing

    def click(self, x: float, y: float, size: int = SIZE) -> None:
        """A click at pixel (x, y) of the frame's plane adds a point there."""
        if not (0 <= x < size and 0 <= y < size):
            return  # on the curves, not the plane
        if len(self.points) >= MAX_POINTS:
            raise ValueError(f"at most {MAX_POINTS} points: clear them to start again")
        px, py = to_plane(x, y, size)
        with self.lock:
            self.points.append((round(px, 3), round(py, 3)))
            if self.lab is not None:
                self.lab.add_point(px, py)

    def clear_points(self) -> None:
        """Forget the clicked points; a lab trained on them waits for new ones."""
        with self.lock:
            self.points = []
            if self.lab is not None and self.lab.dist.name == "drawn":
                self.lab = None
                self.message = "Click on the plane to place new points."
            elif self.lab is not None:
                self.lab.points = None

    def frame(self) -> Image.Image:
        with self.lock:
            if self.lab is None:  # drawn data without points: an empty plane to click on
                im = Image.new("RGB", (2 * SIZE, SIZE), "white")
                ImageDraw.Draw(im).rectangle((0, 0, SIZE - 1, SIZE - 1), outline=(180, 180, 180))
                return im
            return frame(self.lab.view())

    def readout(self) -> str:
        """The numbers beside the frame, as Markdown."""
        with self.lock:
            lab = self.lab
            if lab is None:
                return f"*{self.message}*" if self.message else ""
            history = lab.history
            recent = history["grad_g"][-100:]
            lines = [f"**step {lab.steps}**"]
            if recent:
                lines.append(
                    f"gradient norm reaching G (median of the last 100 steps): {statistics.median(recent):.3g}"
                )
                lines.append(f"losses: D {history['loss_d'][-1]:.3f}, G {history['loss_g'][-1]:.3f}")
            if history["distance"]:
                lines.append(f"distance (MMD): {history['distance'][-1]:.4f}")
            coverage = lab.coverage()
            if coverage is not None:
                lines.append(
                    f"modes covered: {coverage['modes_covered']} of {coverage['modes']}; "
                    f"samples within 3σ of a mode: {coverage['high_quality_share']:.0%}"
                )
            if lab.dist.name == "drawn":
                lines.append(f"points you placed: {len(self.points)} (click on the plane for more)")
        if self.message:
            lines.append(f"*{self.message}*")
        return "  \n".join(lines)


def formula(objective: str) -> str:
    """The course's objective, and each loss's terms, the chosen one marked."""
    rows = [f"| {'**▶ ' + name + '**' if name == objective else name} | {text} |" for name, text in OBJECTIVES.items()]
    return "\n".join(
        [f"**The course's objective**: {V_COURSE}", "", "| objective | what is minimised |", "|---|---|", *rows]
    )


WHOLE = {"d_steps": "D steps", "hidden": "width", "layers": "layers", "batch": "batch", "seed": "seed"}
REAL = {"lr_d": "learning rate of D", "lr_g": "learning rate of G", "r1": "R1 weight"}


def config_from(*values) -> LabConfig:
    """The tab's controls, in SETTINGS' order -> a validated LabConfig (numbers as the page sends them)."""
    given = dict(zip(SETTINGS, values, strict=True))
    for key, name in {**WHOLE, **REAL}.items():
        value = given[key]
        if value is None or not math.isfinite(float(value)) or (key in WHOLE and float(value) != int(float(value))):
            raise ValueError(f"{name} must be a {'whole number' if key in WHOLE else 'number'}, got {value!r}")
        given[key] = int(float(value)) if key in WHOLE else float(value)
    if not 0 <= given["seed"] < 2**31:
        raise ValueError(f"seed must be between 0 and {2**31 - 1}, got {given['seed']}")
    return LabConfig(**given)


def settings_of(config: LabConfig) -> list:
    """A LabConfig -> the tab's control values, in SETTINGS' order."""
    return list(astuple(config))

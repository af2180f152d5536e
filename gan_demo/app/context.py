"""What every tab of the app shares: the Studio, the error and file wrapper for its callbacks,
the example images, and the model lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gan_demo.domain import DIGITS, FACES
from gan_demo.studio import Studio

from .adapters import friendly, stoppable, with_progress


@dataclass
class Context:
    studio: Studio
    face_examples: list[str] = field(default_factory=list)  # three faces the app drew itself
    digit_examples: list[str] = field(default_factory=list)  # one digit

    @classmethod
    def of(cls, studio: Studio) -> Context:
        return cls(studio, studio.example_images(FACES, 3, 5), studio.example_images(DIGITS, 1, 3))

    def handle(self, fn: Callable) -> Callable:
        """A Studio call as a callback: clear errors shown to the user, images returned as files."""
        return friendly(fn, self.studio.fresh_folder)

    def handle_plain(self, fn: Callable) -> Callable:
        """A callback with clear errors whose images Gradio saves itself (frames no one else gets),
        run on the CPU even on a GPU Space (the lab's networks are tiny)."""
        return friendly(fn, gpu=False)

    def optimisation(self, fn: Callable, buttons: tuple, inputs: list, outputs: list, api_name: str) -> None:
        """A Studio call that optimises, with its progress bar, behind a button and its Stop."""
        stoppable(*buttons, self.handle(with_progress(fn)), inputs, outputs, api_name)

    @property
    def generators(self) -> list[str]:
        return self.studio.generators()

    @property
    def faces(self) -> list[str]:
        return self.studio.of_domain(FACES)

    @property
    def face_default(self) -> str | None:
        return self.studio.showcase(self.faces)

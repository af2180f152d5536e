"""What every tab of the app shares: the Studio, the error and file wrapper for its callbacks,
the example images, and the model lists."""

from __future__ import annotations

import atexit
from collections.abc import Callable
from dataclasses import dataclass, field

import gradio as gr

from gan_demo.domain import DIGITS, FACES
from gan_demo.studio import Studio
from gan_demo.training.jobs import Trainer

from .adapters import friendly, painted, stoppable, with_progress
from .faces import Face, FaceSlot

# the workers of an event whose calls take the optimisation lock only sometimes (a guided edit, a
# photo's projection): a waiting call holds its worker, so enough workers that the others (a plain
# edit, a morph between seeds) pass the waiting ones instead of queueing behind them
SOMETIMES_LOCKED = 8


@dataclass
class Context:
    studio: Studio
    face_examples: list[str] = field(default_factory=list)  # three faces the app drew itself
    digit_examples: list[str] = field(default_factory=list)  # one digit
    # every tab's model list and what it lists, refreshed when a page opens or the app trains a model
    model_lists: list[tuple[gr.Dropdown, Callable[[], list[str]]]] = field(default_factory=list)

    trainer: Trainer | None = None  # the server's one training slot (the Train tab's)
    # (callback, inputs, outputs) run as a page opens, so it shows results before any click
    arrivals: list[tuple[Callable, list, list]] = field(default_factory=list)
    # (tab id, callback, inputs, outputs) run the first time a page's visitor opens that tab: for
    # a tab whose results cost too much to make on every page open
    visits: list[tuple[str, Callable, list, list]] = field(default_factory=list)
    building: str = ""  # the id of the tab being built
    # the tabs that take a face handed on (by tab id), and the buttons that hand one on:
    # (button, the tab it goes to, inputs -> Face, the inputs)
    face_slots: dict[str, FaceSlot] = field(default_factory=dict)
    handoffs: list[tuple[gr.Button, str, Callable[..., Face], list]] = field(default_factory=list)

    @classmethod
    def of(cls, studio: Studio) -> Context:
        trainer = Trainer(studio.work_dir / "training")
        atexit.register(trainer.close)  # a run never outlives the server
        return cls(studio, studio.example_images(FACES, 3, 5), studio.example_images(DIGITS, 1, 3), trainer=trainer)

    def handle(self, fn: Callable) -> Callable:
        """A Studio call as a callback: clear errors shown to the user, images returned as files."""
        return friendly(fn, self.studio.fresh_folder)

    def handle_plain(self, fn: Callable) -> Callable:
        """A callback with clear errors whose images Gradio saves itself (frames no one else gets),
        run on the CPU even on a GPU Space (the lab's networks are tiny)."""
        return friendly(fn, gpu=False)

    def optimisation(
        self, fn: Callable, buttons: tuple, inputs: list, outputs: list, api_name: str, description: str, **event
    ) -> Callable:
        """A Studio call that optimises, with its progress bar, behind a button and its Stop
        (`event`: other triggers, a trigger mode); the callback, for other events to run too."""
        callback = self.handle(with_progress(fn, len(inputs), len(outputs), api_name))
        stoppable(*buttons, callback, inputs, outputs, api_name, description, **event)
        return callback

    def on_arrival(self, fn: Callable, inputs: list, outputs: list) -> None:
        """Run `fn` when a page opens, its answers shown as if its button had been pressed."""
        self.arrivals.append((fn, inputs, outputs))

    def on_first_visit(self, fn: Callable, inputs: list, outputs: list) -> None:
        """Run `fn` the first time a visitor opens the tab being built, its answers shown as if
        its button had been pressed."""
        self.visits.append((self.building, fn, inputs, outputs))

    def takes_faces(self, slot: FaceSlot) -> None:
        """This tab takes faces other tabs hand on, and faces named by a link."""
        self.face_slots[slot.tab] = slot

    def hands_on(self, button: gr.Button, tab: str, face_of: Callable[..., Face], inputs: list) -> None:
        """The button takes the face `face_of(*inputs)` to the tab with id `tab` (layout wires it
        once every tab is built)."""
        self.handoffs.append((button, tab, face_of, inputs))

    def fit_model_to_photo(self, photo, model: gr.Dropdown, choices: Callable[[], list[str]], canvas: bool = False):
        """When a photo arrives (an upload or an example) that the chosen model does not fit (a face
        on a digit model, a digit on a face model), switch to a model that does, and say so."""

        def fit(value, name):
            upload = painted(value)[0] if canvas else value
            better = self.studio.model_for_photo(name, upload, choices())
            if better is None:
                return gr.skip()
            gr.Info(f"{self.studio.title(better)}: the model for this photo (it did not fit {name})")
            return better

        photo.change(fit, [photo, model], model, api_name=False, show_progress="hidden")

    def model_list(self, choices: Callable[[], list[str]], value: str | None, **kwargs) -> gr.Dropdown:
        """A tab's model dropdown of `choices()`, kept up to date as models are added."""
        kwargs.setdefault("min_width", 240)  # the titles' width: narrower cut them ("AE+GAN, faces ▾ae")
        dropdown = gr.Dropdown(self.titled(choices()), value=value, label=kwargs.pop("label", "Model"), **kwargs)
        self.model_lists.append((dropdown, choices))
        return dropdown

    def refreshed_lists(self) -> list:
        """Updates giving every model list its current choices (the chosen model kept). The
        components themselves take them too: Gradio checks each request's value against the
        choices of the page it came from, which for a new page are these."""
        updates = []
        for dropdown, choices in self.model_lists:
            titled = self.titled(choices())
            dropdown.choices = titled
            updates.append(gr.update(choices=titled))
        return updates

    def titled(self, names: list[str]) -> list[tuple[str, str]]:
        """A menu's (shown, value) pairs: the model's title shown, its file name the value (and the API's)."""
        return [(self.studio.title(n), n) for n in names]

    @property
    def generators(self) -> list[str]:
        return self.studio.generators()

    @property
    def faces(self) -> list[str]:
        return self.studio.of_domain(FACES)

    @property
    def face_default(self) -> str | None:
        return self.studio.showcase(self.faces)

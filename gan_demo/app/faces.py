"""One notion of "the current face", carried from tab to tab and restorable from a link.

A face is a model, a seed and a truncation (the face Generate shows for that seed, which Morph and
Attributes show too), or a photo a tab was given. A tab that takes faces registers a FaceSlot;
a button that hands one on names the slot. Links carry the seed, never a photo: uploads stay on
the server that received them, for an hour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import gradio as gr

from gan_demo import limits

from .adapters import user_error

LINK_KEYS = ("tab", "model", "seed", "truncation")


def tab_id(module_name: str) -> str:
    """A tab's id, in links and hand-offs: its module's last name ("attributes")."""
    return module_name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Face:
    model: str
    seed: int
    truncation: float
    photo: str | None = None  # an upload replacing the seed, as the tab that holds it received it

    def link(self, tab: str) -> str:
        """The page's address (relative: whatever host serves the app) opening `tab` on this face."""
        query = {"tab": tab, "model": self.model, "seed": self.seed, "truncation": round(self.truncation, 2)}
        return "?" + urlencode(query)

    def line(self, tab: str, title: str) -> str:
        """How a tab shows the face it holds: what it is, and its link."""
        if self.photo is not None:
            return f"Current face: **a photo** on {title} (links carry seeds, not photos)"
        return (
            f"Current face: **seed {self.seed}** on {title}, truncation {self.truncation:g} · "
            f"[link to this face]({self.link(tab)})"
        )


def seed_of_caption(caption: str | None) -> int | None:
    """A Generate caption ("seed 12") -> 12."""
    found = re.fullmatch(r"seed (\d+)", caption or "")
    return int(found.group(1)) if found else None


def face_from_link(query, models: list[str]) -> tuple[str, Face] | None:
    """A page address's query -> (tab, face), or None when it names no face. A link that names
    one wrongly (an unknown model, a seed that is not a number) is a clear error."""
    if "seed" not in query:
        return None
    model = query.get("model") or ""
    if model not in models:
        raise user_error(f"the link's model {model!r} is not served here (served: {', '.join(models)})")
    try:
        seed = limits.seed(int(query["seed"]))
        truncation = limits.bounded_float(float(query.get("truncation", 1.0)), "truncation", 0.1, 1.0)
    except ValueError as err:
        raise user_error(f"the link's face: {err}") from err
    return query.get("tab") or "", Face(model, seed, truncation)


@dataclass
class FaceSlot:
    """Where a tab takes a face: its model menu (listing `choices()`), seed box, truncation
    slider and photo, and what it runs to show the face once taken (inputs, outputs)."""

    tab: str
    model: gr.Dropdown
    seed: gr.Number
    truncation: gr.Slider
    choices: Callable[[], list[str]]
    photo: gr.Image | None = None
    show: tuple[Callable, list, list] | None = None

    @property
    def components(self) -> list:
        return [self.model, self.seed, self.truncation] + ([self.photo] if self.photo is not None else [])

    def values(self, face: Face) -> list:
        """The slot's components set to the face (its photo, or none: the seed)."""
        if face.model not in self.choices():
            raise user_error(f"{face.model} cannot be used here: pick one of {', '.join(self.choices())} first")
        values = [face.model, face.seed, face.truncation]
        return values + ([face.photo] if self.photo is not None else [])

    def skipped(self) -> list:
        return [gr.skip() for _ in self.components]


def connect(handoffs: list, slots: dict[str, FaceSlot], tabs: gr.Tabs) -> None:
    """Each hand-off button: its face set into the slot's components, the slot's tab selected,
    then the slot's own action run to show it."""
    for button, tab, face_of, inputs in handoffs:
        slot = slots[tab]

        def hand_on(*values, slot=slot, face_of=face_of):
            face = face_of(*values)
            if face is None:
                raise user_error("no face to hand on yet: generate one, or pick a seed or photo, first")
            return [gr.Tabs(selected=slot.tab), *slot.values(face)]

        event = button.click(hand_on, inputs, [tabs, *slot.components], api_name=False, show_progress="hidden")
        if slot.show is not None:
            fn, show_inputs, show_outputs = slot.show
            event.success(fn, show_inputs, show_outputs, api_name=False)


def restore_from_link(demo: gr.Blocks, slots: dict[str, FaceSlot], tabs: gr.Tabs, models: Callable[[], list[str]]):
    """On arrival, a link's face (?tab=attributes&model=...&seed=3&truncation=0.7) set into its
    tab, that tab selected and its action run. The load event, for the page's other arrivals to
    follow with `.then` (they then read the link's values)."""
    linked = gr.State("")  # the tab the link named: its action runs, the others' do not
    outputs = [linked, tabs] + [c for slot in slots.values() for c in slot.components]

    def restore(request):
        found = face_from_link(dict(request.query_params), models())
        if found is None or found[0] not in slots:
            return [gr.skip() for _ in outputs]
        tab, face = found
        values = [v for name, slot in slots.items() for v in (slot.values(face) if name == tab else slot.skipped())]
        return [tab, gr.Tabs(selected=tab), *values]

    restore.__annotations__ = {"request": gr.Request}  # how Gradio knows to pass the request
    loaded = demo.load(restore, None, outputs, api_name=False, show_progress="hidden")
    for tab, slot in slots.items():
        if slot.show is None:
            continue
        fn, inputs, show_outputs = slot.show

        def shown_if_linked(linked_tab, *values, tab=tab, fn=fn, n=len(show_outputs)):
            if linked_tab != tab:
                return gr.skip() if n == 1 else [gr.skip()] * n
            return fn(*values)

        loaded.then(shown_if_linked, [linked, *inputs], show_outputs, api_name=False)
    return loaded

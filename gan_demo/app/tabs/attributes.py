"""Attribute sliders (faces: 40 attributes; digits: the digit, stroke thickness and slant), plain,
conditional or guided, and the equation builder A - B + C."""

from __future__ import annotations

import re

import gradio as gr

from gan_demo import limits
from gan_demo.app.adapters import dice, named, photo_upload, run_and_stop, seed_box, user_error
from gan_demo.app.context import SOMETIMES_LOCKED, Context
from gan_demo.app.faces import Face, FaceSlot, tab_id
from gan_demo.domain import DIGITS, DOMAINS, FACES, Domain

TITLE = "Attributes"
TAB = tab_id(__name__)
FIRST_EDITS = frozenset().union(*(d.first_edits for d in DOMAINS))


def strength_parameter(attribute: str) -> str:
    """An attribute's slider as an API parameter a client can pass by keyword (Python names cannot
    start with a digit: "5_o_Clock_Shadow" -> "strength_5_o_Clock_Shadow")."""
    return "strength_" + re.sub(r"\W", "_", attribute)


READ_OUTS = 6  # attributes each read-out lists


def read_outs(before: dict[str, float], after: dict[str, float], edited: list[str]) -> list[str]:
    """The attributes both read-outs list: the edited ones always, then those the edit changed
    most (a read-out of the top attributes alone headlined "No_Beard" and hid the edit)."""
    known = [a for a in edited if a in before]
    rest = sorted((a for a in before if a not in known), key=lambda a: -abs(after.get(a, 0) - before[a]))
    return (known + rest)[: max(READ_OUTS, len(known))]


def guided_label(domain: Domain) -> str:
    if domain is DIGITS:
        return "Guided: the digit classifier holds the digit, or steers to the one asked for"
    return "Guided: the attribute classifier holds every other attribute (about 0.4 s)"


def build(ctx: Context) -> None:
    studio = ctx.studio
    editable = studio.editable()
    default = studio.showcase(editable)
    shown = studio.attribute_controls(default)
    slider_names = studio.slider_names()  # one slider per attribute any model has; each model shows its own
    # controls left, results right: every edit's before and after in view beside its sliders
    with gr.Row():
        with gr.Column(scale=5, min_width=300):
            with gr.Row():
                model = ctx.model_list(studio.editable, default)
                seed = seed_box(3)
                rolled = dice(seed)
                truncation = gr.Slider(0.1, 1.0, 0.7, step=0.05, label="Truncation (as in Generate)")
            with gr.Row():
                photo = photo_upload(label="Photo (optional: replaces the seed)", height=150)
                with gr.Column(min_width=200):
                    conditional = gr.Checkbox(True, label="Keep other attributes (conditional directions)")
                    guided = gr.Checkbox(True, label=guided_label(shown["domain"]), visible=shown["guided"])
            with gr.Column(visible=shown["domain"] is FACES) as examples:  # the example photo is a face
                if ctx.face_examples:
                    gr.Examples([[ctx.face_examples[2]]], [photo])
            ctx.fit_model_to_photo(photo, model, studio.editable)
            with gr.Row():
                sliders = [
                    gr.Slider(
                        *limits.STRENGTH,
                        2.0 if attr in FIRST_EDITS else 0,
                        step=0.25,
                        label=attr,
                        visible=attr in shown["sliders"],
                        min_width=140,
                    )
                    for attr in slider_names
                ]
            with gr.Row():
                extra = gr.Dropdown(shown["extra_choices"], value=shown["extra"], label="Any other attribute")
                extra_strength = gr.Slider(*limits.STRENGTH, 0, step=0.25, label="Its strength")
            buttons = run_and_stop("Apply (or let go of a slider)")  # Stop: a photo's projection
        with gr.Column(scale=6, min_width=300):
            with gr.Row():
                before = gr.Image(label="Before", height=256)
                after = gr.Image(label="After", height=256)
            with gr.Row():
                line = gr.Markdown()
                morph = gr.Button("Morph from this face", size="sm")
            with gr.Row():
                # no heading: a Label headlines its top class, which is rarely the one edited
                probs_before = gr.Label(label="Attributes before: the edited and the most changed", show_heading=False)
                probs_after = gr.Label(label="Attributes after", show_heading=False)

    def edit(name, seed, photo, conditional, guided, extra, extra_strength, *values, on_step=None):
        *values, truncation = values
        strengths = studio.slider_strengths(name, dict(zip(slider_names, values)), extra, extra_strength)
        shown_before, shown_after, read_before, read_after = studio.edit(
            name, seed, photo, strengths, conditional, guided, truncation, on_step
        )
        names = read_outs(read_before, read_after, [a for a, v in strengths.items() if v])
        return (
            shown_before,
            shown_after,
            {a: read_before[a] for a in names},
            {a: read_after[a] for a in names},
        )

    parameters = ["name", "seed", "photo", "conditional", "guided", "extra", "extra_strength"]
    inputs = [model, seed, photo, conditional, guided, extra, extra_strength, *sliders, truncation]
    outputs = [before, after, probs_before, probs_after]
    face_inputs = [model, seed, truncation, photo]

    def face_of(name, seed, truncation, photo) -> Face:
        if photo is not None and not isinstance(photo, str):
            raise user_error("this photo came as data, not a file: upload it in the other tab itself")
        return Face(name, limits.seed(seed), float(truncation), photo)

    def described(*values):
        return face_of(*values).line(TAB, studio.title(values[0]))

    edit = named(edit, parameters + [strength_parameter(a) for a in slider_names] + ["truncation"], optional=("photo",))
    ctx.optimisation(
        edit,
        buttons,
        inputs,
        outputs,
        "edit",
        "A face (a seed at a truncation, or a photo projected into the model) before and after moving its code "
        "along attribute directions, with the attribute classifier's read-outs of both",
        triggers=(seed.submit, truncation.release, *(s.release for s in sliders), extra_strength.release),
        trigger_mode="always_last",  # slider after slider: the latest edit, not a queue of them
        concurrency_limit=SOMETIMES_LOCKED,  # guided edits wait for the lock, plain ones need none
    )
    # a seed's face (a new seed, a hand-off, a link) needs no projection: no progress bar, no Stop
    edited = ctx.handle(edit)
    rolled.then(edited, inputs, outputs, api_name=False)
    # whatever shows a face (a button, a slider, a hand-off, a link) says which it is
    before.change(described, face_inputs, line, api_name=False, show_progress="hidden")
    ctx.takes_faces(
        FaceSlot(TAB, model, seed, truncation, studio.editable, photo=photo, show=(edited, inputs, outputs))
    )
    ctx.hands_on(morph, "morph", face_of, face_inputs)
    gr.Markdown(
        "### Equation builder: A − B + C\nEach set is the 3 samples the classifier finds most clearly matching "
        "its filters (`-Name` means without; digits: `7`, `-1`). On faces the result is then corrected to have "
        "what the equation implies (man with glasses − man + woman: a woman with glasses)."
    )
    with gr.Row():
        sets = [gr.Textbox(text, label=label) for text, label in zip(shown["equation"], "ABC")]
        equation_seed = seed_box(0)
    equation_buttons = run_and_stop("Compute A − B + C")
    with gr.Row():
        exemplars = gr.Image(label="Exemplars of A, B and C (each row's mean last)", height=320)
        result = gr.Image(label="A − B + C (top left) and codes near it", height=320)
    implied = gr.Markdown(label="What the equation implies")
    ctx.optimisation(  # on faces the result's correction: its progress bar, and a Stop
        studio.equation,
        equation_buttons,
        [model, *sets, equation_seed],
        [exemplars, result, implied],
        "equation",
        "A - B + C on the means of each set's exemplar codes (sets like 'Male, Eyeglasses' or '-Male'), and faces "
        "near the result",
        triggers=(equation_seed.submit,),
    )

    def follow_model(name, extra, *typed):
        """Faces and digits have different attributes: the chosen model's controls, keeping what
        the user chose or typed where the model knows its names."""
        c = studio.attribute_controls(name, extra, typed)
        return (
            gr.update(visible=c["domain"] is FACES),
            *(gr.update(visible=attr in c["sliders"]) for attr in slider_names),
            gr.update(choices=c["extra_choices"], value=c["extra"]),
            gr.update(visible=c["guided"], label=guided_label(c["domain"])),
            *(gr.update() if c["equation"] == tuple(typed) else gr.update(value=v) for v in c["equation"]),
        )

    model.change(
        follow_model,
        [model, extra, *sets],
        [examples, *sliders, extra, guided, *sets],
        api_name=False,
        show_progress="hidden",
    )

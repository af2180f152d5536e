"""Samples of a model from a seed, with truncation; a sample chosen to edit or morph elsewhere."""

from __future__ import annotations

import gradio as gr

from gan_demo import limits
from gan_demo.app.adapters import dice, seed_box
from gan_demo.app.context import Context
from gan_demo.app.faces import Face, FaceSlot, seed_of_caption, tab_id

TITLE = "Generate"
TAB = tab_id(__name__)


def build(ctx: Context) -> None:
    studio = ctx.studio
    with gr.Row():
        model = ctx.model_list(lambda: ctx.generators, ctx.face_default)
        seed = seed_box(0, "Seed (of the first image; each next one is seed + 1)")
        rolled = dice(seed)
        truncation = gr.Slider(0.1, 1.0, 0.7, step=0.05, label="Truncation")
        n = gr.Slider(*limits.SAMPLES, 8, step=1, precision=0, label="Images")
    button = gr.Button("Generate", variant="primary")
    # a row of 8 per 170 px: "auto" left a blank half page under one row
    gallery = gr.Gallery(label="Samples (click one to choose it)", columns=8, height=360, allow_preview=True)
    shown = gr.State(None)  # the Face of the gallery's first image: model and truncation as generated
    chosen = gr.State(None)  # the Face clicked (the first image until one is)
    with gr.Row():
        line = gr.Markdown("Click a sample to choose it.")
        edit = gr.Button("Edit this face in Attributes", size="sm")
        morph = gr.Button("Morph from this face", size="sm")

    generated = ctx.handle(studio.generate)
    inputs = [model, seed, truncation, n]

    def held(name, seed, truncation):
        """The Face of the gallery's first image (the chosen one until another is clicked)."""
        face = Face(name, limits.seed(seed), float(truncation))
        return face, face, face.line(TAB, studio.title(name))

    ctx.on_arrival(generated, inputs, gallery)
    gr.on(
        [button.click, seed.submit],  # Enter in the seed box generates too
        generated,
        inputs,
        gallery,
        api_name="generate",
        api_description="n samples of a model, of seeds seed, seed + 1, ... (each captioned with its seed); "
        "truncation below 1 moves them towards the average face",
    )
    rolled.then(generated, inputs, gallery, api_name=False)
    # whatever filled the gallery (a button, the arrival, a link), its first face is the chosen one
    gallery.change(held, [model, seed, truncation], [shown, chosen, line], api_name=False, show_progress="hidden")

    def choose(face: Face | None, selected: gr.SelectData):
        number = seed_of_caption((selected.value or {}).get("caption"))
        if face is None or number is None:
            return gr.skip(), gr.skip()
        face = Face(face.model, number, face.truncation)
        return face, face.line(TAB, studio.title(face.model))

    gallery.select(choose, shown, [chosen, line], api_name=False, show_progress="hidden")
    ctx.takes_faces(FaceSlot(TAB, model, seed, truncation, lambda: ctx.generators))
    ctx.hands_on(edit, "attributes", lambda face: face, [chosen])
    ctx.hands_on(morph, "morph", lambda face: face, [chosen])

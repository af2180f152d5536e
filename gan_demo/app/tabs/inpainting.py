"""Inpainting with a brush: paint over part of a photo, the generator fills it."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from gan_demo import limits
from gan_demo.app.adapters import editor_value, mask_editor, painted, run_and_stop
from gan_demo.app.context import Context
from gan_demo.data.photos import open_image

TITLE = "Inpainting"
CANVAS_SIDE = 512  # the models see 64x64; more is only slower to paint on


def build(ctx: Context) -> None:
    studio = ctx.studio
    with gr.Row():
        model = ctx.model_list(lambda: ctx.generators, ctx.face_default)
        steps = gr.Slider(*limits.STEPS, 80, step=10, precision=0, label="Steps")
        candidates = gr.Slider(*limits.CANDIDATES, 2, step=1, precision=0, label="Candidates")
    # photos reach the canvas through the server, cut to CANVAS_SIDE: the editor's own upload had
    # the browser load a small file of 8000x8000 pixels (two minutes frozen, again at each stroke)
    photo = gr.UploadButton("Upload a photo", file_types=["image"], type="filepath", size="sm")
    editor = mask_editor(
        label="Paint over the part to fill",
        brush=gr.Brush(default_size=12, colors=["#ff00ff"], color_mode="fixed"),
        height=420,
        sources=("clipboard", "webcam"),
    )

    def to_canvas(upload):
        """An uploaded photo as the canvas's background, its longest side at most CANVAS_SIDE."""
        if upload is None:
            return gr.skip()
        im = open_image(upload)
        im.thumbnail((CANVAS_SIDE, CANVAS_SIDE))
        gr.Info(f"{Path(upload).name} is on the canvas: paint over the part to fill")
        return editor_value(im, studio.fresh_folder() / "photo.png")

    photo.upload(ctx.handle(to_canvas), photo, editor, api_name=False)
    # a digit for the digit models: a face on their canvas would be read as a gray blur
    canvas_examples = [[path] for path in ctx.face_examples[1:2] + ctx.digit_examples]
    if canvas_examples:
        # an example sets the model too: the editor reports no change for an example's photo
        gr.Examples(
            canvas_examples,
            [editor],
            [model],
            lambda value: studio.model_for_photo(None, painted(value)[0], ctx.generators) or gr.skip(),
            label="Examples (a face for the face models, a digit for the digit ones)",
            run_on_click=True,
            api_name=False,
        )
    ctx.fit_model_to_photo(editor, model, lambda: ctx.generators, canvas=True)  # the digit example: a digit model
    buttons = run_and_stop("Fill")
    with gr.Row():
        masked = gr.Image(label="Masked input", height=256)
        best = gr.Image(label="Best completion", height=256)
    others = gr.Image(label="All candidates, best first", height=160)

    def fill(name, canvas, steps, candidates, on_step=None):
        photo, layers = painted(canvas)
        return studio.inpaint_painted(name, photo, layers, steps, candidates, on_step=on_step)

    ctx.optimisation(
        fill,
        buttons,
        [model, editor, steps, candidates],
        [masked, best, others],
        "inpaint",
        "Fill the painted part of a photo (the editor's background and its painted layers): the masked input, "
        "the best of the candidate completions, and all of them",
    )

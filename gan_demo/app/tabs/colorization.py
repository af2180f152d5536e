"""Colorization of a gray face: the luma kept, the chroma from the generator."""

from __future__ import annotations

import gradio as gr

from gan_demo.app.adapters import photo_upload, run_and_stop
from gan_demo.app.context import Context

TITLE = "Colorization"


def build(ctx: Context) -> None:
    with gr.Row():
        model = ctx.model_list(lambda: ctx.faces, ctx.face_default)
        photo = photo_upload(label="Photo (colour photos are turned gray first)", height=256)
    if ctx.face_examples:
        gr.Examples([[ctx.face_examples[0]]], [photo])
    buttons = run_and_stop("Colorize")
    with gr.Row():
        gray = gr.Image(label="Gray input", height=256)
        out = gr.Image(label="Our colorization", height=256)
        original = gr.Image(label="Original colours", height=256)
    ctx.optimisation(
        ctx.studio.colorize_upload,
        buttons,
        [model, photo],
        [gray, out, original],
        "colorize",
        "The photo turned gray, its colours found by the generator (the gray kept as the luma), and its own colours",
    )

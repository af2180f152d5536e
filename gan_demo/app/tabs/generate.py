"""Samples of a model from a seed, with truncation."""

from __future__ import annotations

import gradio as gr

from gan_demo import limits
from gan_demo.app.adapters import seed_box
from gan_demo.app.context import Context

TITLE = "Generate"


def build(ctx: Context) -> None:
    with gr.Row():
        model = ctx.model_list(lambda: ctx.generators, ctx.face_default)
        seed = seed_box(0)
        truncation = gr.Slider(0.1, 1.0, 0.7, step=0.05, label="Truncation")
        n = gr.Slider(*limits.SAMPLES, 8, step=1, precision=0, label="Images")
    button = gr.Button("Generate", variant="primary")
    # a row of 8 per 170 px: "auto" left a blank half page under one row
    gallery = gr.Gallery(label="Samples", columns=8, height=360, allow_preview=True)
    generated = ctx.handle(ctx.studio.generate)
    ctx.on_arrival(generated, [model, seed, truncation, n], gallery)
    gr.on(
        [button.click, seed.submit],  # Enter in the seed box generates too
        generated,
        [model, seed, truncation, n],
        gallery,
        api_name="generate",
        api_description="n samples of a model from a seed; truncation below 1 shrinks the codes towards the mean",
    )

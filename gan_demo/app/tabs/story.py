"""The course's story, AE -> VAE -> DCGAN -> AE+GAN: random codes through each model and, given
a photo, each encoder's reconstruction."""

from __future__ import annotations

import gradio as gr

from gan_demo.app.adapters import named, photo_upload, seed_box
from gan_demo.app.context import Context

TITLE = "From autoencoder to GAN"


def build(ctx: Context) -> None:
    studio = ctx.studio
    gr.Markdown("Random codes through each model, and (given a photo) each encoder's reconstruction.")
    photo = photo_upload(label="Photo to reconstruct (optional)", height=160)
    if ctx.face_examples:
        gr.Examples([[ctx.face_examples[2]]], [photo])
    seed = seed_box(0)
    button = gr.Button("Compare", variant="primary")
    rows = []
    for kind in studio.story_kinds():
        with gr.Row():
            caption = gr.Markdown(label=f"{kind}: what it shows")
            gallery = gr.Gallery(columns=4, height=140, show_label=False, label=f"{kind}: random codes")
            recon = gr.Image(label="Reconstruction", height=140)
        rows.append((caption, gallery, recon))

    def story(photo, seed):
        return [item for row in studio.story(photo, seed) for item in row]  # in the rows' order

    gr.on(
        [button.click, seed.submit],
        ctx.handle(named(story, ["photo", "seed"], optional=("photo",))),
        [photo, seed],
        [c for row in rows for c in row],
        api_name="story",
        api_description="Each model of the course's story (AE, VAE, DCGAN, AE+GAN): what it shows, samples from "
        "random codes and, given a photo, its reconstruction",
    )

"""The course's story, AE -> VAE -> DCGAN -> AE+GAN: random codes through each model and, given
a photo, each encoder's reconstruction."""

from __future__ import annotations

import gradio as gr

from gan_demo.app.adapters import named, photo_upload, seed_box
from gan_demo.app.context import Context
from gan_demo.models import kinds

TITLE = "Start here: autoencoder → GAN"


def build(ctx: Context) -> None:
    studio = ctx.studio
    gr.Markdown(
        "The course in four models. An **autoencoder**'s decoder is a generator, but random codes give "
        "unrealistic images; the **VAE** shapes the codes, but its faces are blurry; the **GAN**'s generator, "
        "trained against a discriminator, draws sharp faces but cannot read a photo; **AE+GAN** adds an encoder, "
        "so a photo enters the latent space to be morphed, edited, inpainted and colorized in the next tabs. "
        "Below: random codes through each model and, given a photo, each encoder's reconstruction."
    )
    photo = photo_upload(label="Photo to reconstruct (optional)", height=160)
    if ctx.face_examples:
        gr.Examples([[ctx.face_examples[2]]], [photo])
    seed = seed_box(0)
    button = gr.Button("Compare", variant="primary")
    rows = []
    for kind in studio.story_kinds():
        with gr.Row():
            with gr.Column(scale=2, min_width=200):
                caption = gr.Markdown(label=f"{kind}: what it shows")
            with gr.Column(scale=4, min_width=300):  # wide enough for its four samples
                gallery = gr.Gallery(
                    columns=4, height=190, allow_preview=False, show_label=False, label=f"{kind}: random codes"
                )
            with gr.Column(scale=1, min_width=120):
                # shown once there is a photo to reconstruct, not as four empty boxes
                recon = gr.Image(label="Reconstruction", height=190, visible=False)
        rows.append((caption, gallery, recon))

    def story(photo, seed):
        return [item for row in studio.story(photo, seed) for item in row]  # in the rows' order

    recons = [recon for *_, recon in rows]
    encodes = [kinds.get(kind).can("encode") for kind in studio.story_kinds()]  # the DCGAN has no encoder
    photo.change(
        lambda given: [gr.update(visible=given is not None and e) for e in encodes],
        photo,
        recons,
        api_name=False,
        show_progress="hidden",
        queue=False,  # a layout change: at once, not behind the queue's image work
    )
    compare = ctx.handle(named(story, ["photo", "seed"], optional=("photo",)))
    outputs = [c for row in rows for c in row]
    ctx.on_arrival(compare, [photo, seed], outputs)
    gr.on(
        [button.click, seed.submit],
        compare,
        [photo, seed],
        outputs,
        api_name="story",
        api_description="Each model of the course's story (AE, VAE, DCGAN, AE+GAN): what it shows, samples from "
        "random codes and, given a photo, its reconstruction",
    )

"""A morph between two seeds or photos (frames, GIF, MP4) and a live preview along the path."""

from __future__ import annotations

import gradio as gr

from gan_demo import limits
from gan_demo.app.adapters import dice, named, photo_upload, run_and_stop, seed_box
from gan_demo.app.context import SOMETIMES_LOCKED, Context
from gan_demo.app.faces import FaceSlot, tab_id

TITLE = "Interpolate / morph"
TAB = tab_id(__name__)
PREVIEW = ["name", "seed_a", "seed_b", "position", "method", "photo_a", "photo_b", "truncation"]


def build(ctx: Context) -> None:
    studio = ctx.studio
    with gr.Row():
        model = ctx.model_list(lambda: ctx.generators, ctx.face_default, min_width=260)
        seed_a = seed_box(0, "Seed A")
        seed_b = seed_box(1, "Seed B")
        dice(seed_b)  # a new face B for the same A (the preview follows)
        truncation = gr.Slider(0.1, 1.0, 0.7, step=0.05, label="Truncation (as in Generate)")
        method = gr.Radio(["slerp", "lerp"], value="slerp", label="Path")
        frames = gr.Slider(*limits.FRAMES, 8, step=1, precision=0, label="Frames")
    with gr.Row():
        photo_a = photo_upload(label="Photo A (optional: replaces seed A)", height=200)
        photo_b = photo_upload(label="Photo B (optional: replaces seed B)", height=200)
        with gr.Column():
            position = gr.Slider(0, 1, 0.5, step=0.01, label="Position (live preview of the path)")
            preview = gr.Image(label="Preview", height=200)
    if ctx.face_examples:
        gr.Examples([ctx.face_examples[:2]], [photo_a, photo_b], elem_id="photo-pairs")  # on a phone: PHONE_CSS
    for photo in (photo_a, photo_b):
        ctx.fit_model_to_photo(photo, model, lambda: ctx.generators)
    ctx.takes_faces(FaceSlot(TAB, model, seed_a, truncation, lambda: ctx.generators, photo=photo_a))
    buttons = run_and_stop("Morph")
    gallery = gr.Gallery(label="Frames", columns=8, height=200)  # one row of 8 in view ("auto" left a blank half page)
    with gr.Row():  # the exports shown, each with its download button
        gif = gr.Image(label="GIF (A → B → A, looping)", format="gif", height=256, interactive=False)
        mp4 = gr.Video(label="MP4", height=256, loop=True, interactive=False)

    def morph(name, seed_a, seed_b, photo_a=None, photo_b=None, frames=8, method="slerp", truncation=1.0, on_step=None):
        return studio.morph(
            name, seed_a, seed_b, photo_a, photo_b, frames, method, truncation=truncation, on_step=on_step
        )

    ctx.optimisation(  # a photo is projected first: its progress bar, and a Stop
        morph,
        buttons,
        [model, seed_a, seed_b, photo_a, photo_b, frames, method, truncation],
        [gallery, gif, mp4],
        "morph",
        "Frames from seed A (or photo A) to seed B (or photo B), and the morph as GIF and MP4",
        triggers=(seed_a.submit, seed_b.submit),
        concurrency_limit=SOMETIMES_LOCKED,  # photos are projected behind the lock, seeds need none
    )
    # the preview follows everything that changes the path: the photos too (each projected once)
    previewed = ctx.handle(named(studio.morph_preview, PREVIEW, optional=("photo_a", "photo_b")))
    preview_inputs = [model, seed_a, seed_b, position, method, photo_a, photo_b, truncation]
    ctx.on_arrival(previewed, preview_inputs, preview)
    changes = (position, model, seed_a, seed_b, method, photo_a, photo_b)
    gr.on(
        [*(c.change for c in changes), truncation.release],
        previewed,
        preview_inputs,
        preview,
        trigger_mode="always_last",
        api_name="morph_preview",
        api_description="The face at a position (0 = A, 1 = B) on the path between two seeds or photos",
        show_progress="hidden",
    )

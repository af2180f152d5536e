"""Face <-> map: a face's part map (the segmenter), painted over with the 8 classes' colours,
and faces generated from it (pix2pix beside its L1-only twin, several styles each)."""

from __future__ import annotations

import gradio as gr

from gan_demo.app.adapters import editor_value, mask_editor, photo_upload, seed_box
from gan_demo.app.context import Context
from gan_demo.data.face_parts import CLASS_NAMES, PALETTE
from gan_demo.map_studio import MAX_STYLES, MapStudio, canvas_image

TITLE = "Face ↔ map"
COLOURS = ["#" + "".join(f"{int(v):02x}" for v in c) for c in PALETTE]


def legend() -> str:
    return " ".join(
        f"<span style='color:{c};font-size:1.3em'>&#9632;</span> {name}&nbsp;&nbsp;"
        for c, name in zip(COLOURS, CLASS_NAMES)
    )


def build(ctx: Context) -> None:
    studio = ctx.studio
    maps = MapStudio(studio.models, studio.scales)
    if not maps.available:
        gr.Markdown("No segmenter and pix2pix checkpoints are loaded. Train them: docs/training.md, 'Face ↔ map'.")
        return
    gr.Markdown(
        "The segmenter reads a face as a map of 8 parts; pix2pix (a U-Net against a PatchGAN, Isola et al. 2017) "
        "paints a face from a map. Edit the map with the brushes (each colour is one part: move an eye, widen "
        "the smile, add hair) and generate again. Beside it the same U-Net trained with L1 alone: blurrier, "
        "as the paper found. The score is how well the segmenter finds your map again in each face."
    )
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            with gr.Row():
                seed = seed_box(0, "Seed (start face, styles)")
                styles = gr.Slider(1, MAX_STYLES, 3, step=1, precision=0, label="Styles")
            new = gr.Button("New face")
            photo = photo_upload(label="…or upload a face: its map", height=200)
            style_face = photo_upload(label="Style from a face (optional)", height=160)
        with gr.Column(scale=2):
            editor = mask_editor(
                label="Part map (paint with the 8 class colours)",
                brush=gr.Brush(default_size=8, colors=COLOURS, default_color=COLOURS[1], color_mode="fixed"),
                eraser=False,
                layers=False,
                canvas_size=(256, 256),
                height=360,
            )
            gr.HTML(legend(), padding=False)
            generate = gr.Button("Generate", variant="primary")
    start_face = gr.Image(label="The face the map came from", height=140)
    rows = {label: gr.Image(label=label, height=150) for label in ("pix2pix (L1 + cGAN)", "L1 only")}
    score = gr.Markdown(label="Re-segmentation mIoU")

    def map_on_canvas(ids):
        return editor_value(canvas_image(ids), studio.fresh_folder() / "map.png")

    def start(seed):
        """A generated face and its part map, on the canvas."""
        face, ids = maps.start(int(seed))
        return face, map_on_canvas(ids)

    def upload(photo):
        """An uploaded face and its part map, on the canvas."""
        if photo is None:
            return gr.skip(), gr.skip()
        face, ids = maps.map_of(photo)
        return face, map_on_canvas(ids)

    def faces_of(ids, seed, styles, style_file=None):
        """Faces from a map: a row per translator, one face per style, and how well the segmenter
        finds the map again in each."""
        made = maps.make(ids, int(seed), styles, style_file)
        text = "Re-segmentation mIoU against your map (1 = every pixel's part found again): " + "; ".join(
            f"**{label}** {', '.join(f'{v:.2f}' for v in values)}" for label, values in made.miou.items()
        )
        return *(made.rows.get(label) for label in rows), text

    def make(canvas, seed, styles, style_file=None):
        """Faces from the painted map: a row per translator, one face per style, and how well the
        segmenter finds the map again in each."""
        composite = canvas.get("composite") if isinstance(canvas, dict) else None
        return faces_of(maps.read_painted(composite), seed, styles, style_file)

    def arrive(seed, styles):
        """The seed's face, its map on the canvas and the faces made from that map: a first
        visit shows the tab at work, not an empty canvas (about 0.1 s)."""
        face, ids = maps.start(int(seed))
        return face, map_on_canvas(ids), *faces_of(ids, seed, styles)

    gr.on(
        [new.click, seed.submit], ctx.handle(start), [seed], [start_face, editor], api_name="map_start"
    )  # descriptions: the docstrings
    photo.upload(ctx.handle(upload), [photo], [start_face, editor], api_name="map_of_photo")
    generate.click(
        ctx.handle(make), [editor, seed, styles, style_face], [*rows.values(), score], api_name="map_to_face"
    )
    ctx.on_arrival(ctx.handle(arrive), [seed, styles], [start_face, editor, *rows.values(), score])

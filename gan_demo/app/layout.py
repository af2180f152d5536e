"""Gradio layout only: every callback is one call into gan_demo.studio.Studio."""

from __future__ import annotations

import base64
import functools
import itertools
import time
from collections.abc import Callable
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData
from PIL import Image

from gan_demo import limits
from gan_demo.data.photos import ImageInputError
from gan_demo.domain import DIGITS, FACES, STROKE_NAMES, domain_of, parse_filters
from gan_demo.models.checkpoints import CheckpointError
from gan_demo.models.sampling import sample_codes
from gan_demo.studio import Studio, show

MAX_FILE_SIZE = "10mb"
MAX_DATA_URL = 15_000_000  # characters: a 10 MB file in base64
FIRST_EDITS = FACES.first_edits | DIGITS.first_edits
FACE_EQUATION, DIGIT_EQUATION = FACES.equation, DIGITS.equation
SLIDER_ATTRIBUTES = list(FACES.sliders)


try:  # on Hugging Face ZeroGPU Spaces, ask for a GPU per call; elsewhere run as is
    from spaces import GPU as on_gpu
except ImportError:

    def on_gpu(fn):
        return fn


def friendly(fn, new_folder: Callable[[], Path]):
    """Turn the library's clear errors into a gr.Error the user sees (never crash the server), and
    hand Gradio every output image as a file of this request's own (see as_files)."""
    fn = on_gpu(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except (ImageInputError, CheckpointError, ValueError, KeyError) as err:
            raise gr.Error(str(err)) from err
        return as_files(result, new_folder)

    return wrapper


def as_files(value, new_folder: Callable[[], Path]):
    """PIL images (also inside lists and tuples) -> PNG files in one new folder per request.

    Gradio caches a returned PIL image under a name made from its content, writing the file in
    place: two concurrent requests with the same answer (the same seed) rewrite one file while it
    is being served, and a client receives it truncated. Files we return are copied into that
    cache atomically instead."""
    folder, numbers = None, itertools.count()

    def convert(item):
        nonlocal folder
        if isinstance(item, Image.Image):
            folder = folder or new_folder()
            path = folder / f"image-{next(numbers):03d}.png"
            item.save(path)
            return str(path)
        if isinstance(item, (list, tuple)):
            return type(item)(convert(v) for v in item)
        return item

    return convert(value)


def with_progress(method):
    """A callback that shows the optimisation's progress bar (Gradio injects `progress`)."""

    def run(*args, progress=gr.Progress()):  # noqa: B008 - Gradio's documented injection idiom
        return method(*args, on_step=lambda done, total: progress((done, total), desc="optimising the code"))

    run.__name__ = method.__name__  # not functools.wraps: Gradio must see `progress` in the signature
    return run


def stoppable(button, stop, callback, inputs, outputs, api_name: str) -> None:
    """An optimisation-backed button, its Stop button cancelling it."""
    event = button.click(callback, inputs, outputs, api_name=api_name)
    stop.click(None, None, None, cancels=[event])


def _untouched(file, flatten_on_white: bool = False):
    """Hand an upload to gan_demo.images as it came: a cached file's path, or a canvas blob's bytes."""
    if file is None:
        return None
    return str(file.path) if isinstance(file, FileData) else bytes(file)


def photo_upload(**kwargs) -> gr.Image:
    """A photo upload whose file reaches our decoder untouched. Gradio's own preprocessing would
    convert odd modes itself (16-bit clipped to white) and fail on damaged files with a raw
    traceback; ours caps pixels before decoding and names the problem."""
    component = gr.Image(type="filepath", image_mode=None, **kwargs)
    component.preprocess = upload_source
    return component


def upload_source(payload) -> str | bytes | None:
    """An upload as our decoder takes it: the cached file's path, or a data URL's bytes."""
    if payload is None:
        return None
    if payload.path is not None:
        return str(payload.path)
    url = payload.url or ""
    if url.startswith("data:") and "," in url and len(url) <= MAX_DATA_URL:
        try:
            return base64.b64decode(url.split(",", 1)[1], validate=True)
        except ValueError:
            pass
    raise gr.Error("the upload carried no file (or a data URL over 15 MB, or not base64)")


def mask_editor(**kwargs) -> gr.ImageEditor:
    """The inpainting canvas, its background and painted layers passed on untouched (see photo_upload)."""
    component = gr.ImageEditor(type="filepath", **kwargs)
    component.convert_and_format_image = _untouched
    return component


def example_images(studio: Studio, folder: Path, channels: int, n: int, seed: int) -> list[str]:
    """Example images the app draws itself from its AE+GAN (else any generator) of that many
    channels: faces or digits (no dataset photos are shipped). None without such a model."""
    name = studio.showcase(studio.generators(channels))
    if name is None:
        return []
    model = studio.models[name]
    paths = []
    for i, im in enumerate(show(model.generate(sample_codes(n, model.arch.z_dim, seed)))):
        path = folder / f"example-{'face' if channels == 3 else 'digit'}-{i}.png"
        im.save(path)
        paths.append(str(path))
    return paths


def is_digits(attribute_names: list[str]) -> bool:
    return domain_of(attribute_names, 3) is DIGITS


def guided_label(digits: bool) -> str:
    if digits:
        return "Guided: the digit classifier holds the digit, or steers to the one asked for"
    return "Guided: the attribute classifier holds every other attribute (about 0.4 s)"


def build_app(studio: Studio) -> gr.Blocks:
    def handle(fn):
        return friendly(fn, studio.fresh_folder)

    examples_dir = studio.work_dir / "examples"
    examples_dir.mkdir(exist_ok=True)
    examples = example_images(studio, examples_dir, 3, 3, 5)
    digit_examples = example_images(studio, examples_dir, 1, 1, 3)
    faces = studio.generators(3)
    all_generators = studio.generators()
    editable = studio.editable()
    face_default = studio.showcase(faces)

    # delete_cache: every 10 min, drop Gradio's cached uploads and results older than an hour
    with gr.Blocks(title="gan_demo: from autoencoders to GANs", delete_cache=(600, 3600)) as demo:
        gr.Markdown(
            "# gan_demo\nLikelihood-free generative models: sample, morph, edit attributes, inpaint and colorize faces. Models trained on CelebA (non-commercial research only) and MNIST."
        )
        if studio.skipped:
            gr.Markdown("Skipped checkpoints: " + "; ".join(f"`{k}`: {v}" for k, v in studio.skipped.items()))

        with gr.Tab("Generate"):
            with gr.Row():
                g_model = gr.Dropdown(all_generators, value=face_default, label="Model")
                g_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                g_trunc = gr.Slider(0.1, 1.0, 0.7, step=0.05, label="Truncation")
                g_n = gr.Slider(*limits.SAMPLES, 8, step=1, label="Images")
            g_button = gr.Button("Generate", variant="primary")
            g_gallery = gr.Gallery(label="Samples", columns=8, height="auto")
            g_button.click(handle(studio.generate), [g_model, g_seed, g_trunc, g_n], g_gallery, api_name="generate")

        with gr.Tab("Interpolate / morph"):
            with gr.Row():
                i_model = gr.Dropdown(all_generators, value=face_default, label="Model")
                i_seed_a = gr.Number(0, precision=0, minimum=0, label="Seed A")
                i_seed_b = gr.Number(1, precision=0, minimum=0, label="Seed B")
                i_method = gr.Radio(["slerp", "lerp"], value="slerp", label="Path")
                i_frames = gr.Slider(*limits.FRAMES, 8, step=1, label="Frames")
            with gr.Row():
                i_photo_a = photo_upload(label="Photo A (optional: replaces seed A)", height=200)
                i_photo_b = photo_upload(label="Photo B (optional: replaces seed B)", height=200)
                with gr.Column():
                    i_position = gr.Slider(0, 1, 0.5, step=0.01, label="Position (live preview of the seeds' path)")
                    i_preview = gr.Image(label="Preview", height=200)
            if examples:
                gr.Examples([[examples[0], examples[1]]], [i_photo_a, i_photo_b])
            i_button = gr.Button("Morph", variant="primary")
            i_gallery = gr.Gallery(label="Frames", columns=8, height="auto")
            with gr.Row():
                i_gif = gr.File(label="GIF")
                i_mp4 = gr.File(label="MP4")
            i_button.click(
                handle(studio.morph),
                [i_model, i_seed_a, i_seed_b, i_photo_a, i_photo_b, i_frames, i_method],
                [i_gallery, i_gif, i_mp4],
                api_name="morph",
            )
            i_position.change(
                handle(studio.morph_preview),
                [i_model, i_seed_a, i_seed_b, i_position, i_method],
                i_preview,
                api_name="morph_preview",
                show_progress="hidden",
            )

        with gr.Tab("Attributes"):
            edit_default = studio.showcase(editable)
            names = studio.attribute_names(edit_default) or SLIDER_ATTRIBUTES
            # one slider per attribute any model has; each model shows only its own (faces or digit strokes)
            known = {n for m in editable for n in studio.attribute_names(m)} or set(SLIDER_ATTRIBUTES)
            slider_names = [attr for attr in [*SLIDER_ATTRIBUTES, *STROKE_NAMES] if attr in known]
            with gr.Row():
                a_model = gr.Dropdown(editable, value=edit_default, label="Model")
                a_seed = gr.Number(3, precision=0, minimum=0, label="Seed")
                a_photo = photo_upload(label="Photo (optional: replaces the seed)", height=160)
                with gr.Column(min_width=220):
                    a_conditional = gr.Checkbox(True, label="Keep other attributes (conditional directions)")
                    a_guided = gr.Checkbox(
                        True, label=guided_label(is_digits(names)), visible=studio.guided_available(edit_default)
                    )
            with gr.Column(visible=not is_digits(names)) as a_examples:  # the example photo is a face
                if examples:
                    gr.Examples([[examples[2]]], [a_photo])
            sliders = [
                gr.Slider(
                    *limits.STRENGTH, 2.0 if attr in FIRST_EDITS else 0, step=0.25, label=attr, visible=attr in names
                )
                for attr in slider_names
            ]
            with gr.Row():
                a_extra = gr.Dropdown(
                    names, value="Pale_Skin" if "Pale_Skin" in names else names[0], label="Any other attribute"
                )
                a_extra_strength = gr.Slider(*limits.STRENGTH, 0, step=0.25, label="Its strength")
            a_button = gr.Button("Apply", variant="primary")
            with gr.Row():
                a_before = gr.Image(label="Before", height=256)
                a_after = gr.Image(label="After", height=256)
                a_probs_before = gr.Label(num_top_classes=6, label="Attributes before")
                a_probs_after = gr.Label(num_top_classes=6, label="Attributes after")

            def edit(model, seed, photo, conditional, guided, extra, extra_strength, *values):
                own = studio.attribute_names(model)
                strengths = {attr: v for attr, v in zip(slider_names, values) if attr in own}  # its sliders only
                strengths[extra] = strengths.get(extra, 0) + extra_strength
                return studio.edit(model, seed, photo, strengths, conditional, guided)

            def show_model_controls(model, extra, *equation):
                """Sliders, the extra attribute's choices, the guided switch and the equation's
                sets for the chosen model: faces and digits have different attributes. What the
                user chose or typed stays where the new model knows its names."""
                own = studio.attribute_names(model)
                digits = is_digits(own)
                default_extra = "Pale_Skin" if "Pale_Skin" in own else (own[0] if own else None)
                typed_fits = all(name in own for text in equation for name in parse_filters(text or ""))
                return (
                    gr.update(visible=not digits),
                    *(gr.update(visible=attr in own) for attr in slider_names),
                    gr.update(choices=own, value=extra if extra in own else default_extra),
                    gr.update(visible=studio.guided_available(model), label=guided_label(digits)),
                    *(
                        gr.update() if typed_fits else gr.update(value=v)
                        for v in (DIGIT_EQUATION if digits else FACE_EQUATION)
                    ),
                )

            a_button.click(
                handle(edit),
                [a_model, a_seed, a_photo, a_conditional, a_guided, a_extra, a_extra_strength, *sliders],
                [a_before, a_after, a_probs_before, a_probs_after],
                api_name="edit",
            )
            gr.Markdown(
                "### Equation builder: A − B + C\nEach set is the 3 samples the classifier finds most clearly matching its filters (`-Name` means without; digits: `7`, `-1`)."
            )
            equation = DIGIT_EQUATION if is_digits(names) else FACE_EQUATION
            with gr.Row():
                q_a = gr.Textbox(equation[0], label="A")
                q_b = gr.Textbox(equation[1], label="B")
                q_c = gr.Textbox(equation[2], label="C")
                q_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
            q_button = gr.Button("Compute A − B + C", variant="primary")
            q_means = gr.Gallery(label="Averaged A, B, C", columns=3, height="auto")
            q_result = gr.Gallery(label="Result (and nearby codes)", columns=8, height="auto")
            q_button.click(
                handle(
                    lambda m, a, b, c, s: studio.equation(
                        m, parse_filters(a), parse_filters(b), parse_filters(c), seed=int(s)
                    )
                ),
                [a_model, q_a, q_b, q_c, q_seed],
                [q_means, q_result],
                api_name="equation",
            )
            a_model.change(
                show_model_controls,
                [a_model, a_extra, q_a, q_b, q_c],
                [a_examples, *sliders, a_extra, a_guided, q_a, q_b, q_c],
                api_name=False,
                show_progress="hidden",
            )

        with gr.Tab("Inpainting"):
            with gr.Row():
                p_model = gr.Dropdown(all_generators, value=face_default, label="Model")
                p_steps = gr.Slider(*limits.STEPS, 80, step=10, label="Steps")
                p_candidates = gr.Slider(*limits.CANDIDATES, 2, step=1, label="Candidates")
            p_editor = mask_editor(
                label="Paint over the part to fill",
                brush=gr.Brush(default_size=12, colors=["#ff00ff"], color_mode="fixed"),
                height=420,
            )
            # a digit for the digit models: a face on their canvas would be read as a gray blur
            canvas_examples = [[path] for path in examples[1:2] + digit_examples]
            if canvas_examples:
                gr.Examples(
                    canvas_examples,
                    [p_editor],
                    label="Examples (a face for the face models, a digit for the digit ones)",
                )
            with gr.Row():
                p_button = gr.Button("Fill", variant="primary")
                p_stop = gr.Button("Stop")
            with gr.Row():
                p_masked = gr.Image(label="Masked input", height=256)
                p_best = gr.Image(label="Best completion", height=256)
            p_others = gr.Image(label="All candidates, best first", height=160)
            inpaint = handle(with_progress(studio.inpaint_editor))
            inputs = [p_model, p_editor, p_steps, p_candidates]
            stoppable(p_button, p_stop, inpaint, inputs, [p_masked, p_best, p_others], "inpaint")

        with gr.Tab("Colorization"):
            with gr.Row():
                c_model = gr.Dropdown(faces, value=face_default, label="Model")
                c_photo = photo_upload(label="Photo (colour photos are turned gray first)", height=256)
            if examples:
                gr.Examples([[examples[0]]], [c_photo])
            with gr.Row():
                c_button = gr.Button("Colorize", variant="primary")
                c_stop = gr.Button("Stop")
            with gr.Row():
                c_gray = gr.Image(label="Gray input", height=256)
                c_out = gr.Image(label="Our colorization", height=256)
                c_orig = gr.Image(label="Original colours", height=256)
            colorize = handle(with_progress(studio.colorize_upload))
            stoppable(c_button, c_stop, colorize, [c_model, c_photo], [c_gray, c_out, c_orig], "colorize")

        with gr.Tab("From autoencoder to GAN"):
            gr.Markdown("Random codes through each model, and (given a photo) each encoder's reconstruction.")
            s_photo = photo_upload(label="Photo to reconstruct (optional)", height=160)
            if examples:
                gr.Examples([[examples[2]]], [s_photo])
            s_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
            s_button = gr.Button("Compare", variant="primary")
            rows = []
            for _ in range(4):
                with gr.Row():
                    caption = gr.Markdown()
                    gallery = gr.Gallery(columns=4, height=140, show_label=False)
                    recon = gr.Image(label="Reconstruction", height=140)
                rows.append((caption, gallery, recon))

            def story(photo, seed):
                out = []
                result = studio.story(photo, int(seed))
                for i in range(4):
                    caption, samples, recon = result[i] if i < len(result) else ("", [], None)
                    out += [caption, samples, recon]
                return out

            s_button.click(handle(story), [s_photo, s_seed], [c for row in rows for c in row], api_name="story")
    return demo


def launch(checkpoints: str, device, host: str, port: int, share: bool, block: bool = True) -> gr.Blocks:
    started = time.perf_counter()
    studio = Studio.load(checkpoints, device)
    demo = build_app(studio)
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=MAX_FILE_SIZE,
        show_error=True,
        prevent_thread_lock=True,
    )
    print(
        f"gan_demo: {len(studio.models)} checkpoints loaded, ready {time.perf_counter() - started:.1f} s after imports",
        flush=True,
    )
    if block:
        demo.block_thread()
    return demo

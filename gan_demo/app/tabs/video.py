"""Video frame prediction: a held-out Moving-MNIST-like clip (or two placed digits) continued by
every video model beside the truth and copy-last, as one animation, with per-frame curves."""

from __future__ import annotations

import itertools

import gradio as gr
import pandas as pd

from gan_demo.app.adapters import seed_box
from gan_demo.app.context import Context
from gan_demo.clip_studio import MAX_FRAMES, ClipStudio, write_animation
from gan_demo.data.moving_mnist import PREDICTED_FRAMES

TITLE = "Video prediction"
SOURCES = ["held-out clip", "two digits I place"]
CONTINUE_BY = 20
CURVES = {"MSE": "MSE (summed over the frame)", "SSIM": "SSIM", "digits read right": "Digits read right"}
# as text: Gradio tells API clients a menu of numbers takes strings, then refuses "3" for 3
DIGIT_CHOICES = [str(d) for d in range(10)]


def curve_frame(rows: list[tuple[int, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["frame", "value", "method"])
    return frame.astype({"frame": "int64", "value": "float64", "method": "str"})


def build(ctx: Context) -> None:
    studio = ctx.studio
    predictors = [m for m in studio.models.values() if m.spec.can("predict")]
    classifier = studio.classifier_for(predictors[0]) if predictors else None  # a gray 32x32 model: digits
    clips = ClipStudio(studio.models, studio.clip_digits, classifier)
    if not clips.available:
        gr.Markdown("No video model is loaded. Train one: `python train.py --model video` (docs/training.md).")
        return
    gr.Markdown(
        "Ten frames go in; each model predicts the next ones (ten at a time, each ten from the ten before). "
        "Pixel losses alone reward the average of the possible futures, a blur; the GAN's discriminator, "
        "which sees the input frames with the future, pushes towards sharp digits (Mathieu et al. 2016)."
    )
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            source = gr.Radio(SOURCES, value=SOURCES[0], label="Clip")
            seed = seed_box(0, "Seed (which clip, or which drawing of each digit)")
            with gr.Accordion("Two digits I place", open=False):
                digit_a = gr.Dropdown(DIGIT_CHOICES, value="3", label="Digit A (starts top left)")
                angle_a = gr.Slider(-180, 180, 30, step=5, label="Direction of A (degrees, 0 = right, 90 = down)")
                digit_b = gr.Dropdown(DIGIT_CHOICES, value="7", label="Digit B (starts bottom right)")
                angle_b = gr.Slider(-180, 180, -150, step=5, label="Direction of B")
            horizon = gr.Slider(
                PREDICTED_FRAMES, MAX_FRAMES, PREDICTED_FRAMES, step=10, precision=0, label="Frames to predict"
            )
            with gr.Row():
                run = gr.Button("Predict", variant="primary")
                more = gr.Button(f"Continue {CONTINUE_BY} more frames")
        with gr.Column(scale=3):
            animation = gr.Image(label="Truth, copy-last and each model, side by side", format="gif", height=230)
            methods = [m for m in clips.methods() if m != "truth"]
            colours = dict(zip(methods, itertools.cycle(("#9ca3af", "#2563eb", "#ea580c", "#16a34a", "#9333ea"))))
            with gr.Row():
                plots = [
                    gr.LinePlot(
                        x="frame", y="value", color="method", color_map=colours, colors_in_legend=methods,
                        color_title="", label=label, y_title=label, x_title="predicted frame", height=260,
                    )
                    for label in CURVES.values()
                ]  # fmt: skip
            # the charts' own legend does not show in this Gradio: the colours said once, in words
            gr.HTML(
                " ".join(f"<span style='color:{c}'>&#9632;</span> {m}&nbsp;&nbsp;" for m, c in colours.items()),
                padding=False,
            )
            with gr.Row():
                gif = gr.File(label="GIF", interactive=False)
                mp4 = gr.File(label="MP4", interactive=False)

    def predict(source, seed, digit_a, digit_b, angle_a, angle_b, horizon):
        """Continue a clip: an animated GIF of every method side by side, the per-frame MSE,
        SSIM and digit identity curves, and the animation as GIF and MP4 files."""
        shown = clips.show(clips.clip(source, seed, digit_a, digit_b, angle_a, angle_b, horizon))
        gif_path, mp4_path = write_animation(shown.animation, studio.fresh_folder())
        curves = [curve_frame(shown.curves[name]) if shown.curves[name] else gr.skip() for name in CURVES]
        return str(gif_path), *curves, str(gif_path), str(mp4_path)

    inputs = [source, seed, digit_a, digit_b, angle_a, angle_b, horizon]
    outputs = [animation, *plots, gif, mp4]
    gr.on([run.click, seed.submit], ctx.handle(predict), inputs, outputs, api_name="predict_clip")
    # a held-out clip playing when the tab first opens, not an empty box (on opening the tab, not
    # the page: every page open would pay for the animation and its files)
    ctx.on_first_visit(ctx.handle(predict), inputs, outputs)
    more.click(
        lambda h: min(int(h) + CONTINUE_BY, MAX_FRAMES), horizon, horizon, api_name=False, show_progress="hidden"
    ).then(ctx.handle(predict), inputs, outputs, api_name=False)

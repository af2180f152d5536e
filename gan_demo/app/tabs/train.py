"""Train a model in the app: train.py's own code in a subprocess (gan_demo.training.jobs), one run
per server, its losses and sample grids shown as they come, the checkpoint added to every tab."""

from __future__ import annotations

import time

import gradio as gr
import pandas as pd

from gan_demo.app.adapters import seed_box, user_error
from gan_demo.app.context import Context
from gan_demo.data.archives import MAX_MEMBERS
from gan_demo.models import kinds
from gan_demo.training.config import RECIPES
from gan_demo.training.jobs import BATCH, KINDS, MINUTES, Busy, Request, Snapshot, shared_datasets

TITLE = "Train"
POLL_S = 1.0
CHART_POINTS = 400  # per loss, at most: a GPU run logs thousands of rows
SHARED_HOLDOUT = 500  # the shipped models' held-out faces and digits stay unseen here too
UPLOAD = "My images (a zip)"
LABELS = {"faces": "Faces (CelebA, 9,000 at 64x64)", "digits": "Digits (MNIST, 10,000)"}


def expectations(device: str) -> str:
    if device == "cuda":
        return "On this server's GPU a DCGAN sees thousands of images a second: a few minutes give sharp faces."
    return (
        f"This server trains on its CPU, at network width {default_width(device)} (train.py's cpu-budget recipe): "
        "on a 2-core AVX512-BF16 CPU a DCGAN sees about 300 images a second, so **10 minutes give recognisable "
        "faces** (FID 3.4 in the model card's measure; 15 minutes 2.3, as good as the shipped model trained on a "
        "GPU: 2.25); an AVX2-only CPU, without bf16, is slower. Digits are quicker. Smaller images (32x32) train faster."
    )


def default_width(device: str) -> int:
    """A GPU trains the course's width; a CPU, for every kind, the cpu-budget recipe's, with which
    a DCGAN gets further in minutes (docs/training.md, "A CPU's time budget")."""
    return Request.width if device == "cuda" else RECIPES["cpu-budget"]["width"]


def build(ctx: Context) -> None:
    studio, trainer = ctx.studio, ctx.trainer
    sources = {LABELS[name]: folder for name, folder in shared_datasets().items()}
    gr.Markdown(
        "Train a real image model with `train.py`'s own code, watch its losses and samples, and use it in "
        f"every tab when it ends. One training at a time on this server. {expectations(studio.device.type)}"
    )
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            data = gr.Radio([*sources, UPLOAD], value=next(iter(sources), UPLOAD), label="Data")
            archive = gr.File(
                file_types=[".zip"],
                label=f"A zip of images (at most {MAX_MEMBERS:,} files and 10 MB; centre-cropped to squares)",
                visible=not sources,
            )
            kind = gr.Radio([(kinds.get(k).title, k) for k in KINDS], value="dcgan", label="Model")
            minutes = gr.Number(10, minimum=MINUTES[0], maximum=MINUTES[1], label="Minutes of training")
            with gr.Accordion("Network and batch", open=False):
                size = gr.Radio(["32", "64"], value="64", label="Image size")  # text: see lab.menu
                width = gr.Slider(8, 64, default_width(studio.device.type), step=8, precision=0, label="Network width")
                batch = gr.Slider(8, 128, 64, step=8, precision=0, label="Batch size")
                seed = seed_box(0)
            with gr.Row():
                start = gr.Button("Start training", variant="primary")
                cancel = gr.Button("Cancel", variant="stop")
            status = gr.Markdown(label="Status")
        with gr.Column(scale=3, min_width=300):
            samples = gr.Image(label="Latest samples", height=320, interactive=False)
            chart = gr.LinePlot(
                x="step", y="loss", color="series", label="Losses", x_title="Step", y_title="Loss", height=260
            )
            files = gr.File(label="The checkpoint", file_count="multiple", interactive=False)
    history = gr.Gallery(label="Samples as training went", columns=6, height=240, object_fit="contain")

    # the defaults mark the zip optional in the API (a client leaves it out for CelebA or MNIST)
    def run(
        source,
        upload=None,
        kind=None,
        minutes=None,
        size=None,
        width=None,
        batch=None,
        seed=None,
        request: gr.Request = None,
    ):
        """Train and stream the run's progress: status, samples, losses, grids, files, model lists."""
        try:
            trainer.busy()
            size = int(size)
            if source == UPLOAD:
                if upload is None:
                    raise ValueError("upload a zip of images first (or pick a data set above)")
                folder, counts = trainer.unpack(upload, size)
                if counts["images"] < BATCH[0]:
                    raise ValueError(f"the zip holds {counts['images']} images: training needs at least {BATCH[0]}")
                batch = min(int(batch), counts["images"])  # a small folder trains in batches of all of it
                holdout, label = 0, f"{kind}-mine"
                note = f"{counts['images']:,} images from the zip" + (
                    f" ({counts['skipped']} other files skipped)" if counts["skipped"] else ""
                )
            elif source in sources:
                folder, holdout = sources[source], SHARED_HOLDOUT
                label, note = f"{kind}-{source.split()[0].lower()}", source
            else:
                raise ValueError(f"unknown data {source!r}")
            job = trainer.start(
                Request(kind, folder, minutes, size, width, batch, seed, holdout), request.session_hash, label
            )
        except (Busy, ValueError) as err:  # ArchiveError is a ValueError
            raise user_error(str(err)) from None
        unchanged = [gr.update() for _ in ctx.model_lists]
        try:
            while True:
                snap = job.snapshot()
                if snap.state != "running":
                    break
                yield (*shown(snap, f"Training on {note}…"), *unchanged)
                time.sleep(POLL_S)
            if snap.checkpoint is None:
                yield (*shown(snap, f"Training {snap.state}: {snap.message}"), *unchanged)
                return
            yield (*shown(snap, "Training ended: loading the model (and its attribute directions)…"), *unchanged)
            name = studio.add_checkpoint(snap.checkpoint.with_suffix(""))
            done = f"Done: **{name}** is in every tab's model list ({snap.message or snap.state})."
            yield (*shown(snap, done), *ctx.refreshed_lists())
        finally:
            job.cancel()  # a page closed mid-run stops its run (a no-op once it ended)

    def stop(request: gr.Request):
        """Cancel this session's training run."""
        if not trainer.cancel(request.session_hash):
            gr.Info("No training of yours is running.")

    def follow_data(source):
        """The zip upload for "My images"; each data set's own size (digits are 32 px)."""
        own = 32 if source == LABELS["digits"] else 64 if source == LABELS["faces"] else None
        return gr.update(visible=source == UPLOAD), gr.update() if own is None else gr.update(value=str(own))

    data.change(follow_data, data, [archive, size], api_name=False, show_progress="hidden")
    start.click(
        run,
        [data, archive, kind, minutes, size, width, batch, seed],
        [status, samples, chart, history, files, *(dropdown for dropdown, _ in ctx.model_lists)],
        api_name="train",
        concurrency_id="train",
        concurrency_limit=2,  # the second gets "busy" at once, not a place in a queue
    )
    cancel.click(stop, None, None, api_name="train_cancel", api_description="Cancel this session's training run")


def losses_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of (step, loss, series), typed as numbers from the first empty frame on (a chart that
    starts from untyped columns keeps drawing them as categories)."""
    frame = pd.DataFrame(rows, columns=["step", "loss", "series"])
    return frame.astype({"step": "int64", "loss": "float64", "series": "str"})


def shown(snap: Snapshot, headline: str) -> tuple:
    """A snapshot as the tab's outputs: status, latest grid, loss chart, grid history, files."""
    last = snap.losses[-1] if snap.losses else None
    line = f"{headline}\n\n{snap.elapsed_s:.0f} s"
    if last is not None:
        line += f", step {last['step']:,}, {last['images']:,} images"
    every = max(1, len(snap.losses) // CHART_POINTS)  # a long run's chart thinned, its last row kept
    rows = [
        {"step": row["step"], "loss": value, "series": key}
        for row in [*snap.losses[::every][:-1], *snap.losses[-1:]]
        for key, value in row.items()
        if key.startswith("loss")
    ]
    chart = losses_frame(rows) if rows else gr.skip()  # a chart drawn empty would keep no colours
    grids = [str(p) for p in snap.grids]
    files = [str(snap.checkpoint), str(snap.checkpoint.with_suffix(".json"))] if snap.checkpoint else None
    return line, grids[-1] if grids else None, chart, grids[-12:], files

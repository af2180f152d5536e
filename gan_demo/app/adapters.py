"""Between Gradio's values and the Studio: uploads passed on untouched, the inpainting canvas's
painted layers, output images as files of their own, clear errors, progress and Stop.

The photo upload and the canvas are Gradio's own components with one method replaced on the
instance: how an upload is handed to us. That relies on Gradio internals (`Image.preprocess`'s
payload, `ImageEditor.convert_and_format_image`), so tests/app/test_adapters.py fails if an upgrade
changes them. Not subclasses: Gradio writes a .pyi stub beside every module that subclasses one
of its components, into the source tree, at import.
"""

from __future__ import annotations

import base64
import functools
import itertools
from collections.abc import Callable
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData
from PIL import Image

from gan_demo.data.photos import ImageInputError
from gan_demo.models.checkpoints import CheckpointError

MAX_FILE_SIZE = "10mb"
MAX_DATA_URL = 15_000_000  # characters: a 10 MB file in base64

try:  # on Hugging Face ZeroGPU Spaces, ask for a GPU per call; elsewhere run as is
    from spaces import GPU as on_gpu
except ImportError:

    def on_gpu(fn):
        return fn


def friendly(fn, new_folder: Callable[[], Path] | None = None, gpu: bool = True):
    """Turn the library's clear errors into a gr.Error the user sees (never crash the server), and
    with `new_folder` hand Gradio every output image as a file of this request's own (as_files);
    `gpu`: ask a ZeroGPU Space for a GPU for the call."""
    fn = on_gpu(fn) if gpu else fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except (ImageInputError, CheckpointError, ValueError, KeyError) as err:
            raise gr.Error(str(err)) from err
        return as_files(result, new_folder) if new_folder is not None else result

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


def run_and_stop(label: str) -> tuple[gr.Button, gr.Button]:
    """An optimisation's button and its Stop button, side by side."""
    with gr.Row():
        return gr.Button(label, variant="primary"), gr.Button("Stop")


def stoppable(button, stop, callback, inputs, outputs, api_name: str) -> None:
    """An optimisation-backed button, its Stop button cancelling it."""
    event = button.click(callback, inputs, outputs, api_name=api_name)
    stop.click(None, None, None, cancels=[event])


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


def photo_upload(**kwargs) -> gr.Image:
    """A photo upload whose file reaches our decoder untouched. Gradio's own preprocessing opens
    it itself and fails on a damaged file with a raw traceback; ours caps pixels before decoding
    and names the problem (gan_demo.data.photos)."""
    component = gr.Image(type="filepath", image_mode=None, **kwargs)
    component.preprocess = upload_source  # see the module's docstring
    return component


def untouched(file, flatten_on_white: bool = False) -> str | bytes | None:
    """A canvas image as it came: a cached file's path, or a blob's bytes."""
    if file is None:
        return None
    return str(file.path) if isinstance(file, FileData) else bytes(file)


def mask_editor(**kwargs) -> gr.ImageEditor:
    """The inpainting canvas, its background and painted layers passed on untouched (see
    photo_upload); `painted(value)` splits its value into the photo and the layers."""
    component = gr.ImageEditor(type="filepath", **kwargs)
    component.convert_and_format_image = untouched  # see the module's docstring
    return component


def painted(value: dict | None) -> tuple[str | bytes | None, list]:
    """The canvas's value -> (the photo, its painted layers)."""
    if not isinstance(value, dict):
        return None, []
    return value.get("background"), list(value.get("layers") or [])

"""Between Gradio's values and the Studio: uploads passed on untouched, the inpainting canvas's
painted layers, output images as files of their own, clear errors, progress and Stop.

The photo upload and the canvas are Gradio's own components with one method replaced on the
instance: how an upload is handed to us. That relies on Gradio internals (`Image.preprocess`'s
payload, `ImageEditor.convert_and_format_image`), so tests/app/test_adapters.py fails if an upgrade
changes them. Not subclasses: Gradio writes a .pyi stub beside every module that subclasses one
of its components, into the source tree, at import. The range check of Slider and Number is
wrapped on the classes themselves (quiet_bounds), so that a component's per-session copy has it.
"""

from __future__ import annotations

import base64
import functools
import inspect
import itertools
import random
import re
import threading
from collections.abc import Callable
from pathlib import Path

import gradio as gr
from gradio.context import Context
from gradio.data_classes import FileData
from PIL import Image

from gan_demo.data.photos import ImageInputError, open_capped
from gan_demo.models.checkpoints import CheckpointError

MAX_FILE_SIZE = "10mb"
MAX_DATA_URL = 15_000_000  # characters: a 10 MB file in base64

try:  # on Hugging Face ZeroGPU Spaces, ask for a GPU per call; elsewhere run as is
    from spaces import GPU as on_gpu
except ImportError:

    def on_gpu(fn):
        return fn


class Running:
    """How many callbacks are running, so a server being closed can let them end: the process
    aborts ("terminate called without an active exception") if it exits in the middle of a torch
    operation on another thread."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def __enter__(self) -> None:
        with self._changed:
            self._count += 1

    def __exit__(self, *exc) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


RUNNING = Running()


def friendly(fn, new_folder: Callable[[], Path] | None = None, gpu: bool = True):
    """Turn the library's clear errors into a gr.Error the user sees (never crash the server), and
    with `new_folder` hand Gradio every output image as a file of this request's own (as_files);
    `gpu`: ask a ZeroGPU Space for a GPU for the call."""
    fn = on_gpu(fn) if gpu else fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with RUNNING:
                result = fn(*args, **kwargs)
        except (ImageInputError, CheckpointError, ValueError, KeyError) as err:
            raise user_error(str(err)) from err
        return as_files(result, new_folder) if new_folder is not None else result

    return wrapper


def without_folders(message: str) -> str:
    """A message with each absolute path cut to its file's name (an upload is named by its own
    name, not by where Gradio cached it on the server)."""
    return re.sub(r"(?<![\w.])/(?:[^\s/'\"]+/)+", "", message)


def user_error(message: str) -> gr.Error:
    """An expected mistake (a bad file, a number out of range) as the message the user sees: no
    traceback in the server's log, no server folder in the text."""
    return gr.Error(without_folders(message), print_exception=False)


def quiet_bounds() -> None:
    """Every Slider's and Number's range check (a scripted caller's number outside it) as an
    expected user error naming the control: Gradio's own raises an error that logs a traceback.
    On the classes, not the instances: Gradio copies a component for a session whenever an event
    updates it (a slider shown or hidden), and the copy has its class's methods only."""
    for cls in (gr.Slider, gr.Number):
        check = cls.preprocess
        if getattr(check, "quiet_bounds", False):
            continue

        @functools.wraps(check)
        def preprocess(self, payload, check=check):
            try:
                return check(self, payload)
            except gr.Error as err:
                raise user_error(f"{self.label or 'a number'}: {err.message}") from None

        preprocess.quiet_bounds = True
        cls.preprocess = preprocess


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


def named(fn: Callable, names: list[str], optional: tuple[str, ...] = ()) -> Callable:
    """`fn(*values)` as a callback whose parameters are `names`, the `optional` ones (and every one
    after them) defaulting to None. Gradio's API names each parameter after the callback's own and
    numbers the rest (`param_7`); one without a default, and whose component starts empty, is
    marked required even where the input may be left empty (a component's own value stays the
    API's default for the others)."""

    if inspect.isgeneratorfunction(fn):  # Gradio streams a callback's answers only if it is a generator

        @functools.wraps(fn)
        def call(*values, **passed):
            yield from fn(*values, **passed)
    else:

        @functools.wraps(fn)
        def call(*values, **passed):  # passed: what with_progress adds (on_step)
            return fn(*values, **passed)

    P = inspect.Parameter
    first = min((names.index(n) for n in optional), default=len(names))  # Python: no default before a non-default
    call.__signature__ = inspect.Signature(
        [P(n, P.POSITIONAL_OR_KEYWORD, **({"default": None} if i >= first else {})) for i, n in enumerate(names)]
    )
    return call


class Stopped(ValueError):
    """The user pressed Stop: the optimisation ended at its next step."""


class StopFlags:
    """One flag per browser session and action. Stop sets it and the running optimisation's
    per-step hook reads it, so a stopped job ends at its next step and frees the optimisation lock
    (Gradio's own cancel only stops waiting for the answer: the computation would run on)."""

    def __init__(self) -> None:
        # a set per key: a scripted session can run one action several times at once (SOMETIMES_LOCKED)
        self._flags: dict[tuple[str, str], set[threading.Event]] = {}
        self._lock = threading.Lock()

    def start(self, key: tuple[str, str]) -> threading.Event:
        flag = threading.Event()
        with self._lock:
            self._flags.setdefault(key, set()).add(flag)
        return flag

    def stop(self, key: tuple[str, str]) -> bool:
        """Stop every run of this session's action; whether one was running."""
        with self._lock:
            flags = list(self._flags.get(key, ()))
        for flag in flags:
            flag.set()
        return bool(flags)

    def end(self, key: tuple[str, str], flag: threading.Event) -> None:
        with self._lock:
            running = self._flags.get(key, set())
            running.discard(flag)
            if not running:
                self._flags.pop(key, None)


STOPS = StopFlags()


def with_progress(method, inputs: int, outputs: int, action: str):
    """A callback of `inputs` values that shows the optimisation's progress bar and ends at the
    next step once its Stop is pressed, leaving its `outputs` as they were (a Stop is no error:
    nothing for the log). Gradio injects the request and the progress tracker into positional
    parameters only, so the callback's signature names them after the inputs."""
    kept = [p for p in inspect.signature(method).parameters.values() if p.name != "on_step"][:inputs]

    def run(*args):
        *values, request, progress = args
        key = (getattr(request, "session_hash", None) or "", action)
        flag = STOPS.start(key)

        def on_step(done: int, total: int) -> None:
            if flag.is_set():
                raise Stopped("stopped")
            progress((done, total), desc="optimising the code")

        try:
            return method(*values, on_step=on_step)
        except Stopped:
            return tuple(gr.skip() for _ in range(outputs)) if outputs > 1 else gr.skip()
        finally:
            STOPS.end(key, flag)

    P = inspect.Parameter
    run.__signature__ = inspect.Signature(
        [
            *(P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default) for p in kept),  # optional ones stay optional
            P("request", P.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request),
            P("progress", P.POSITIONAL_OR_KEYWORD, default=gr.Progress()),
        ]
    )
    run.__annotations__ = {"request": gr.Request}
    run.__name__ = method.__name__
    return run


def run_and_stop(label: str) -> tuple[gr.Button, gr.Button]:
    """An optimisation's button and its Stop button, side by side."""
    with gr.Row():
        return gr.Button(label, variant="primary"), gr.Button("Stop")


def stoppable(button, stop, callback, inputs, outputs, api_name: str, description: str, triggers: tuple = (), **event):
    """An optimisation-backed button (and other `triggers` of the same action); its Stop ends the
    running optimisation at its next step (StopFlags) and cancels the event."""
    event = gr.on(
        [button.click, *triggers], callback, inputs, outputs, api_name=api_name, api_description=description, **event
    )

    def halt(request: gr.Request) -> None:
        STOPS.stop((request.session_hash or "", api_name))

    stop.click(
        halt,
        None,
        None,
        cancels=[event],
        api_name=f"{api_name}_stop",
        api_description=f"Stop this session's running /{api_name} at its next optimisation step",
    )


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
    raise user_error("the upload carried no file (or a data URL over 15 MB, or not base64)")


def photo_upload(**kwargs) -> gr.Image:
    """A photo upload whose file reaches our decoder untouched. Gradio's own preprocessing opens
    it itself and fails on a damaged file with a raw traceback; ours caps pixels before decoding
    and names the problem (gan_demo.data.photos)."""
    component = gr.Image(type="filepath", image_mode=None, **kwargs)
    component.preprocess = upload_source  # see the module's docstring
    if Context.root_block is not None:  # on a page (a component made alone, as in tests, has no events)
        component.upload(check_upload, component, None, api_name=False, show_progress="hidden")
    return component


SQUARE_ENOUGH = 1.2  # a photo wider (or taller) than this is cropped noticeably


def check_upload(source) -> None:
    """Said on upload, not at the next button: a file we cannot read, and a photo whose sides
    differ enough that the models, which see its centre square, lose part of it."""
    if source is None:
        return
    try:
        with open_capped(source) as im:
            width, height = im.size
    except ImageInputError as err:
        gr.Warning(without_folders(str(err)))
        return
    if max(width, height) > SQUARE_ENOUGH * min(width, height):
        side = min(width, height)
        gr.Info(
            f"The photo is {width}x{height}: the models see its centre {side}x{side} square. "
            "Crop it around the face for the best result."
        )


def seed_box(value: int, label: str = "Seed", **kwargs) -> gr.Number:
    """A seed box: a whole number, and a typed 1.5 shown as the 2 it is used as once the box is left."""
    box = gr.Number(value, precision=0, minimum=0, label=label, **kwargs)
    box.blur(lambda seed: seed, box, box, api_name=False, show_progress="hidden", queue=False)
    return box


def dice(seed: gr.Number):
    """A button beside a seed box that draws a random seed into it; its click event, for the tab
    to chain its action with `.then` (the action then reads the new seed)."""
    button = gr.Button("Random", size="sm", min_width=70, scale=0)
    return button.click(
        lambda: random.randrange(1_000_000), None, seed, api_name=False, queue=False, show_progress="hidden"
    )


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


def editor_value(image: Image.Image, path: Path) -> dict:
    """An ImageEditor's value with `image` (saved to `path`) as its background and nothing painted."""
    image.save(path)
    return {"background": str(path), "layers": [], "composite": str(path)}

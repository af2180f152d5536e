"""The app's page: a header, then one tab per file of gan_demo/app/tabs, in TABS' order; and
`launch`, which serves it. Adding a tab is one file in tabs/ and one line in TABS."""

from __future__ import annotations

import threading
import time

import gradio as gr

from gan_demo.studio import Studio

from . import faces
from .adapters import MAX_FILE_SIZE, RUNNING, quiet_bounds, without_folders
from .context import Context
from .tabs import attributes, colorization, face_map, generate, inpainting, lab, morph, story, train, video

# On a phone, galleries of 8 a row (columns of at least 100 px) showed 3 and hid the rest in a
# sideways-scrolling row: there, 4 a row of whatever width the screen gives. A table of examples
# (two photos a row) was as wide as its long headers, its second photo off the screen: there,
# its columns share the width and the headers wrap. The image editor's tool column, 15 px in
# from the editor's edge, covered the photo's left edge: there, it sits on the edge, in the
# margin the photo leaves (the canvas itself is not moved, so strokes land where they are drawn).
PHONE_CSS = (
    "@media (max-width: 640px) {"
    " .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important; }"
    " .image-container > .toolbar-wrap { left: 0 !important; }"
    " #photo-pairs table { table-layout: fixed; width: 100% !important; }"
    " #photo-pairs th, #photo-pairs td { white-space: normal !important; }"
    " }"
)

# A slider's number box keeps a typed value within the slider's range when it loses focus, in the
# browser, silently (truncation 5 became 1): say so beside the box, for a few seconds.
KEPT_WITHIN_JS = """
() => document.addEventListener('blur', (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== 'number' || box.value === '') return;
  const value = Number(box.value);
  const min = box.min === '' ? -Infinity : Number(box.min);
  const max = box.max === '' ? Infinity : Number(box.max);
  if (!(value < min || value > max)) return;
  // inside the slider's own block, so it goes when its tab is left
  const block = box.closest('.block') || box.parentElement;
  block.querySelector(':scope > .kept-within')?.remove();
  const note = document.createElement('div');
  note.className = 'kept-within';
  note.setAttribute('role', 'status');
  note.textContent = `${box.value} is outside ${box.min} to ${box.max}: ${value < min ? box.min : box.max} is used`;
  const at = box.getBoundingClientRect(), around = block.getBoundingClientRect();
  note.style.cssText = `position:absolute; right:${Math.max(4, around.right - at.right)}px;`
    + `top:${at.bottom - around.top + 4}px; z-index:1000; max-width:256px; padding:4px 8px;`
    + 'border-radius:6px; font-size:13px; background:var(--background-fill-primary);'
    + 'color:var(--body-text-color); border:1px solid var(--color-accent);';
  block.appendChild(note);
  setTimeout(() => note.remove(), 6000);
}, true)
"""

# the course's story first (it says what every other tab's models are); train last: its run,
# once done, updates the model lists of the tabs before it
TABS = (story, generate, morph, attributes, inpainting, colorization, face_map, video, lab, train)


def build_app(studio: Studio) -> gr.Blocks:
    ctx = Context.of(studio)
    # delete_cache: every 10 min, drop Gradio's cached uploads and results older than an hour
    with gr.Blocks(title="gan_demo: from autoencoders to GANs", delete_cache=(600, 3600)) as demo:
        gr.Markdown(
            "# gan_demo\nLikelihood-free generative models: sample, morph, edit attributes, inpaint and colorize "
            "faces. Models trained on CelebA (non-commercial research only) and MNIST."
        )
        if studio.skipped:
            skipped = "; ".join(f"`{k}`: {without_folders(v)}" for k, v in studio.skipped.items())
            gr.Markdown("Skipped checkpoints: " + skipped)  # named by their files, not the server's folders
        with gr.Tabs() as tabs:
            built = {}
            for tab in TABS:
                ctx.building = faces.tab_id(tab.__name__)
                with gr.Tab(tab.TITLE, id=ctx.building) as built[ctx.building]:
                    tab.build(ctx)
        faces.connect(ctx.handoffs, ctx.face_slots, tabs)
        quiet_bounds()
        # a page opened after the app trained a model lists it too
        demo.load(ctx.refreshed_lists, None, [d for d, _ in ctx.model_lists], api_name=False, show_progress="hidden")
        # a link's face first, then results on arrival (for the link's face), not an empty page
        arrived = faces.restore_from_link(demo, ctx.face_slots, tabs, ctx.studio.generators)
        for fn, inputs, outputs in ctx.arrivals:
            arrived.then(fn, inputs, outputs, api_name=False, show_progress="hidden")
        for tab_id, fn, inputs, outputs in ctx.visits:
            first_visit(built[tab_id], fn, inputs, outputs)
    return demo


def first_visit(tab: gr.Tab, fn, inputs: list, outputs: list) -> None:
    """`fn` when the tab is opened the first time in a page (a per-page flag), not on later visits,
    which keep what the visitor made there."""
    visited = gr.State(False)

    def once(was_visited, *args):
        if was_visited:
            return True, *(gr.skip() for _ in outputs)
        return True, *fn(*args)

    tab.select(once, [visited, *inputs], [visited, *outputs], api_name=False)


def close(demo: gr.Blocks, timeout: float = 120) -> None:
    """Stop serving, then let the callbacks already running end (see adapters.Running)."""
    demo.close()
    RUNNING.wait_until_idle(timeout)


WARMED = "average faces found"  # the line's words, which bench/app_load.py waits for


def warm_up(studio: Studio) -> None:
    print(f"gan_demo: {WARMED} in {studio.warm_up():.1f} s", flush=True)


def launch(checkpoints: str, device, host: str, port: int, share: bool, block: bool = True) -> gr.Blocks:
    started = time.perf_counter()
    studio = Studio.load(checkpoints, device)
    demo = serve(studio, host, port, share)
    print(
        f"gan_demo: {len(studio.models)} checkpoints loaded, ready {time.perf_counter() - started:.1f} s after imports",
        flush=True,
    )
    # the average faces are found while the first visitors open the page, not on their first click
    threading.Thread(target=warm_up, args=(studio,), name="warm-up", daemon=True).start()
    if block:
        demo.block_thread()
    return demo


def serve(studio: Studio, host: str, port: int, share: bool = False) -> gr.Blocks:
    """The app on these models, served in the background (the Blocks returned)."""
    demo = build_app(studio)
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=MAX_FILE_SIZE,
        css=PHONE_CSS,
        js=KEPT_WITHIN_JS,
        show_error=True,
        prevent_thread_lock=True,
    )
    return demo

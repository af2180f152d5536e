"""The GAN lab: a 2-D GAN trained live, to watch the course's objective (and its saturating
gradient, and mode collapse) at work. Each browser tab has a lab of its own (gan_demo.lab)."""

from __future__ import annotations

import time

import gradio as gr

from gan_demo.app.adapters import named, seed_box, user_error
from gan_demo.app.context import Context
from gan_demo.lab.distributions import DISTRIBUTIONS
from gan_demo.lab.game import OBJECTIVES, LabConfig
from gan_demo.lab.presets import PRESETS
from gan_demo.lab.session import MAX_STEPS_PER_FRAME, SETTINGS, LabSession, config_from, formula, settings_of

TITLE = "GAN lab"
MAX_FPS = 10  # frames a playing lab sends at most each second
LABS_AT_ONCE = 4  # labs playing at once; more wait their turn (each plays 3 minutes at most)
DEFAULT = LabConfig()
SPEED = 5  # training steps per frame, unless a preset asks for more


def menu(*numbers: int) -> list[str]:
    """A menu of numbers as text: Gradio tells API clients such a menu takes strings, then refuses
    "64" when its choices are the number 64 (config_from reads the text back as a number)."""
    return [str(n) for n in numbers]


def shown_settings(config: LabConfig) -> list:
    """A config as the controls show it (the menus' numbers as text)."""
    return [str(v) if name in ("hidden", "batch") else v for name, v in zip(SETTINGS, settings_of(config))]


def build(ctx: Context) -> None:
    gr.Markdown(
        "A generator (purple points) learns to imitate 2-D data (green points) against a discriminator "
        "whose belief that a point is real colours the plane. Pick a preset, press **Play**, and watch; "
        "or click on the plane to place your own points (distribution: *Points you click*)."
    )
    session = gr.State(None)  # this browser tab's LabSession
    with gr.Row():
        with gr.Column(scale=3):
            picture = gr.Image(
                label="The plane (left) and the curves (right)",
                format="png",
                interactive=False,
                buttons=["download", "fullscreen"],
            )
            readout = gr.Markdown(label="Read-out")
        with gr.Column(scale=2, min_width=300):
            preset = gr.Dropdown([(p.label, p.name) for p in PRESETS.values()], value=None, label="Preset")
            watch = gr.Markdown()
            with gr.Row():
                play = gr.Button("Play", variant="primary", min_width=60)
                pause = gr.Button("Pause", min_width=60)
                step = gr.Button("Step", min_width=60)
                reset = gr.Button("Reset", min_width=60)
                clear = gr.Button("Clear points", min_width=60)
            speed = gr.Slider(1, MAX_STEPS_PER_FRAME, SPEED, step=1, precision=0, label="Training steps per frame")
            objective = gr.Radio(list(OBJECTIVES), value=DEFAULT.objective, label="Objective")
            explained = gr.Markdown(formula(DEFAULT.objective), latex_delimiters=[])
            distribution = gr.Dropdown(
                [(d.label, d.name) for d in DISTRIBUTIONS.values()], value=DEFAULT.distribution, label="Data"
            )
            with gr.Row():
                lr_d = gr.Number(DEFAULT.lr_d, label="Learning rate of D", min_width=100)
                lr_g = gr.Number(DEFAULT.lr_g, label="Learning rate of G", min_width=100)
            with gr.Row():
                d_steps = gr.Slider(1, 10, DEFAULT.d_steps, step=1, precision=0, label="D steps per G step")
                layers = gr.Slider(1, 6, DEFAULT.layers, step=1, precision=0, label="Hidden layers")
            with gr.Row():
                hidden = gr.Dropdown(menu(16, 32, 64, 128, 256), value=str(DEFAULT.hidden), label="Width", min_width=80)
                batch = gr.Dropdown(
                    menu(64, 128, 256, 512, 1024), value=str(DEFAULT.batch), label="Batch", min_width=80
                )
                r1 = gr.Number(DEFAULT.r1, label="R1 penalty", min_width=80)
                seed = seed_box(DEFAULT.seed, min_width=80)
    controls = [distribution, objective, lr_d, lr_g, d_steps, hidden, layers, batch, r1, seed]

    def ready(state: LabSession | None, *settings) -> LabSession:
        state = state or LabSession()
        state.configure(config_from(*settings))
        return state

    def show(state: LabSession):
        return state, state.frame(), state.readout()

    def reset_lab(state, *settings):
        """A fresh lab with these settings: its first frame and read-out."""
        state = state or LabSession()
        state.reset(config_from(*settings))
        return show(state)

    def play_frames(state, steps, *settings):
        """Frames for as long as the lab plays: streamed on one connection, at most MAX_FPS a second."""
        try:
            state = ready(state, *settings)
            state.play(int(steps))
        except ValueError as err:
            raise user_error(str(err)) from err
        going = True
        while going:
            started = time.perf_counter()
            going = state.advance(state.speed)
            yield show(state)
            time.sleep(max(0.0, 1 / MAX_FPS - (time.perf_counter() - started)))

    def stop(state):
        """Pause this session's playing lab."""
        if state is not None:
            state.pause()
        return state

    def one_step(state, steps, *settings):
        """Train this many steps, then one frame and read-out."""
        state = ready(state, *settings)
        state.advance(int(steps))
        return show(state)

    def set_speed(state, steps):
        if state is not None:
            state.speed = int(steps)
        return state

    def retune(state, *settings):
        """A changed control: applied live where it can be (objective, rates, steps, batch, R1),
        else a fresh lab; the formula marks the objective."""
        if state is None:
            return state, gr.update(), gr.update(), formula(settings[SETTINGS.index("objective")])
        return (*show(ready(state, *settings)), formula(settings[SETTINGS.index("objective")]))

    def load_preset(state, name):
        p = PRESETS[name]
        state = state or LabSession()
        state.reset(p.config)
        state.speed = p.speed  # a playing lab goes on at the preset's pace
        return (
            *show(state),
            *shown_settings(p.config),
            p.speed,
            f"**{p.label}.** {p.watch}",
            formula(p.config.objective),
        )

    def forget_points(state):
        """Forget the points clicked on the plane."""
        state = state or LabSession()
        state.clear_points()
        return show(state)

    def click(state, evt: gr.SelectData, *settings):  # Gradio passes `evt`: a positional argument before *settings
        try:
            state = state or LabSession()
            state.click(*evt.index)  # kept first: the points you click are a distribution's data
            return show(ready(state, *settings))
        except ValueError as err:
            raise user_error(str(err)) from err

    handle = ctx.handle_plain
    frames = [session, picture, readout]
    # the API's parameters named after the controls (the callbacks take them as *settings)
    reset.click(handle(named(reset_lab, ["state", *SETTINGS])), [session, *controls], frames, api_name="lab_reset")
    ctx.on_arrival(handle(reset_lab), [session, *controls], frames)  # the data and G's first points, before Play
    play.click(
        named(play_frames, ["state", "steps", *SETTINGS]),
        [session, speed, *controls],
        frames,
        show_progress="hidden",
        api_name="lab_play",
        concurrency_id="lab",  # labs share workers of their own, not the image tabs'
        concurrency_limit=LABS_AT_ONCE,
    )
    pause.click(stop, session, session, api_name="lab_pause")
    clear.click(
        handle(forget_points), session, frames, api_name="lab_clear_points"
    )  # the playing loop ends after its frame
    step.click(
        handle(named(one_step, ["state", "steps", *SETTINGS])), [session, speed, *controls], frames, api_name="lab_step"
    )
    speed.input(set_speed, [session, speed], session, api_name=False, show_progress="hidden")
    typed = [lr_d, lr_g, r1, seed]  # numbers: applied when the box is left or Enter pressed
    gr.on(
        [c.input for c in controls if c not in typed] + [t for c in typed for t in (c.submit, c.blur)],
        handle(retune),
        [session, *controls],
        [*frames, explained],
        show_progress="hidden",
        api_name=False,
    )
    preset.input(
        handle(load_preset),
        [session, preset],
        [*frames, *controls, speed, watch, explained],
        api_name=False,
    )
    picture.select(click, [session, *controls], frames, api_name=False)

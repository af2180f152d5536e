"""GAN lab frames per second while it trains, on this machine's CPU cores.

In one command: the library alone (one frame = `steps` training steps, the view,
the drawing and its PNG, as the lab tab's Play streams them), and through the real server
(`python demo.py` as its own process, a gradio_client pressing the tab's Play, which streams a
frame after each `steps` training steps, every image downloaded as a browser would).

    python -m bench.lab_speed --seconds 20

The last line printed is JSON; the issue's target is 5 frames a second.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import threading
import time

import torch

from bench.app_load import ROOT, free_port, start_server
from gan_demo.lab.game import LabConfig
from gan_demo.lab.session import LabSession

TARGET_FPS = 5.0


def library_fps(seconds: float, steps: int) -> float:
    session = LabSession()
    session.reset(LabConfig())
    session.play()
    frames, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        session.advance(steps)
        session.frame().save(io.BytesIO(), "PNG")
        frames += 1
    return frames / (time.perf_counter() - started)


def server_fps(seconds: float, steps: int) -> dict:
    """Frames of the tab's Play (streamed while it plays) that a client receives each second, with
    one lab playing and with two (two sessions); and how long the Generate tab's default action
    takes alone and while the two play."""
    from gradio_client import Client

    port = free_port()
    server = start_server(str(ROOT / "checkpoints"), port)
    url = f"http://127.0.0.1:{port}/"
    c = LabConfig()
    settings = [c.distribution, c.objective, c.lr_d, c.lr_g, c.d_steps, c.hidden, c.layers, c.batch, c.r1, c.seed]

    def generate_s(client) -> float:
        started = time.perf_counter()
        client.predict("aegan-celeba64", 0, 0.7, 8, api_name="/generate")
        return time.perf_counter() - started

    def play(client, rates: list, until: float) -> None:
        job = client.submit(steps, *settings, api_name="/lab_play")
        frames, started = 0, None
        for _ in job:
            started = started or time.perf_counter()  # from the first frame: start-up is not a frame rate
            frames += 1
            if time.perf_counter() >= until:
                break
        rates.append((frames - 1) / (time.perf_counter() - started))
        client.predict(api_name="/lab_pause")
        job.cancel()

    try:
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as downloads:
            clients = [Client(url, verbose=False, download_files=downloads) for _ in range(3)]
            alone = statistics.median(generate_s(clients[2]) for _ in range(3))
            one: list[float] = []
            play(clients[0], one, time.perf_counter() + seconds)
            two: list[float] = []
            until = time.perf_counter() + seconds
            threads = [threading.Thread(target=play, args=(client, two, until)) for client in clients[:2]]
            for t in threads:
                t.start()
            time.sleep(seconds / 3)
            during = statistics.median(generate_s(clients[2]) for _ in range(3))
            for t in threads:
                t.join()
            return {"one_lab_fps": one[0], "two_labs_fps": two, "generate_alone_s": alone, "generate_during_s": during}
    finally:
        server.kill()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--steps", type=int, default=5, help="training steps per frame (the tab's default)")
    args = p.parse_args()
    library = library_fps(args.seconds, args.steps)
    print(f"library: {library:.1f} frames/s", flush=True)
    server = server_fps(args.seconds, args.steps)
    print(f"server: {server['one_lab_fps']:.1f} frames/s, two labs at once {server['two_labs_fps']}", flush=True)
    print(
        json.dumps(
            {
                "cpu_threads": torch.get_num_threads(),
                "cpu_count": os.cpu_count(),
                "steps_per_frame": args.steps,
                "library_fps": round(library, 1),
                "server_fps": round(server["one_lab_fps"], 1),
                "server_fps_two_labs_each": [round(r, 1) for r in server["two_labs_fps"]],
                "generate_alone_s": round(server["generate_alone_s"], 2),
                "generate_while_two_labs_play_s": round(server["generate_during_s"], 2),
                "target_fps": TARGET_FPS,
                "met": min(library, server["one_lab_fps"]) >= TARGET_FPS,
            }
        )
    )


if __name__ == "__main__":
    main()

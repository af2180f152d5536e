"""Load check: `python demo.py` started as its own process on a checkpoint folder, then C concurrent
gradio_client clients sending mixed requests for D seconds (or N requests each).

It reports failed requests, responses that differ from a single client's for the same seeds
(compared pixel for pixel), latency alone vs under load, and the server process's memory (RSS)
sampled throughout; first, each tab's default action timed with one client.

    python -m bench.app_load --clients 16 --duration 60
    python -m bench.app_load --clients 16 --requests-per-client 4

The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import CancelledError, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file
from PIL import Image

from gan_demo.app.layout import WARMED
from gan_demo.models import kinds

ROOT = Path(__file__).resolve().parent.parent
SEEDS = 6  # requests cycle through these seeds, so every answer has a single-client reference
# every client's downloads in one folder of their own, removed when the check ends
DOWNLOADS = tempfile.TemporaryDirectory(prefix="gan_demo_load_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(checkpoints: str, port: int, env: dict | None = None) -> subprocess.Popen:
    """demo.py in its own process, so its memory is its own; returns once it answers HTTP and has
    found its average faces (as a server does before its first visitors: launch's warm-up). Its
    temp files go to DOWNLOADS unless env says otherwise: a killed server cleans up nothing."""
    import httpx

    env = env if env is not None else {**os.environ, "TMPDIR": DOWNLOADS.name}

    server = subprocess.Popen(
        [sys.executable, str(ROOT / "demo.py"), "--checkpoints", checkpoints, "--port", str(port), "--device", "cpu"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    warm = threading.Event()

    def read_output():  # drained to the end, or a full pipe would stop the server
        for line in server.stdout:
            if WARMED in line:
                warm.set()

    threading.Thread(target=read_output, daemon=True).start()
    deadline = time.time() + 180
    while time.time() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/config", timeout=2).status_code == 200 and warm.wait(
                max(0.0, deadline - time.time())
            ):
                return server
        except httpx.HTTPError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"demo.py did not start on {checkpoints}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def models_in(folder: str) -> tuple[str, str]:
    """(a sharp face generator with an encoder, one without) from the folder's JSON files, by
    their kinds' rows (the AE+GAN and the DCGAN among the shipped ones)."""
    rows = {}
    for path in sorted(Path(folder).glob("*.json")):
        try:
            meta = json.loads(path.read_text())
            if (meta.get("arch") or {}).get("channels") == 3:
                rows[path.stem] = kinds.get(meta["kind"])
        except (ValueError, KeyError, AttributeError):
            continue
    gans = {n: row for n, row in rows.items() if row.adversarial and row.can("sample")}
    encoder = next(n for n, row in gans.items() if row.can("encode"))
    plain = next(n for n, row in gans.items() if not row.can("encode"))
    return encoder, plain


def fingerprint(result) -> str:
    """A hash of every image's pixels (and every other value) in a result: equal answers, equal hashes."""
    digest = hashlib.sha256()

    def add(item):
        if isinstance(item, (list, tuple)):
            for x in item:
                add(x)
        elif isinstance(item, dict):
            for key in sorted(item):  # a path is hashed by its pixels, so names never count
                if key not in ("url", "orig_name"):
                    add(item[key])
        elif isinstance(item, str) and Path(item).is_file():
            with Image.open(item) as im:
                digest.update(np.asarray(im).tobytes())
        else:
            digest.update(repr(item).encode())

    add(result)
    return digest.hexdigest()


# the actions whose latency under load is reported apart (a guided edit is an optimisation: it
# waits for the optimisation lock like a fill)
FAST = ("generate", "morph_preview", "plain_edit")
STOP_AFTER_S = 0.5


def canvas(photo: str, layer: str) -> dict:
    """The inpainting editor's value: the photo and one painted layer."""
    return {
        "background": handle_file(photo),
        "layers": [handle_file(layer)],
        "composite": handle_file(photo),
        "id": None,
    }


class Requests:
    """The mixed requests every client cycles through, each a function of a seed; among them a
    long fill stopped after STOP_AFTER_S, as a user pressing Stop."""

    def __init__(self, client: Client, encoder: str, dcgan: str, photo: str, sliders: int, layer: str):
        def fill_and_stop(seed: int) -> str:
            job = client.submit(encoder, canvas(photo, layer), 300, 8, api_name="/inpaint")
            time.sleep(STOP_AFTER_S)
            client.predict(api_name="/inpaint_stop")
            try:
                job.result(timeout=120)
            except CancelledError:  # stopped before it started: Gradio cancelled it
                pass
            return "stopped"

        self.calls = {
            "generate": lambda s: client.predict(encoder, s, 0.7, 8, api_name="/generate"),
            "morph_preview": lambda s: client.predict(dcgan, s, s + 1, 0.5, "slerp", api_name="/morph_preview"),
            "edit": lambda s: client.predict(
                encoder, s, None, True, True, "Male", 0.0, *([1.0] + [0.0] * (sliders - 1)), api_name="/edit"
            ),
            "plain_edit": lambda s: client.predict(
                encoder, s, None, True, False, "Male", 0.0, *([1.0] + [0.0] * (sliders - 1)), api_name="/edit"
            ),
            "colorize": lambda s: client.predict(encoder, handle_file(photo), api_name="/colorize"),
            "fill_then_stop": fill_and_stop,
        }

    def work(self) -> list[tuple[str, int]]:
        return [(name, seed) for seed in range(SEEDS) for name in self.calls]


def slider_count(client: Client) -> int:
    params = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/edit"]["parameters"]
    return sum(p["parameter_name"].startswith("strength_") for p in params) - 1  # "extra_strength" is no slider


def connected(url: str, connections: list[float]) -> Client:
    """A client of the app (gradio_client reads the app's config and API; it runs none of a page's
    load events); how long that took goes to `connections`."""
    started = time.perf_counter()
    # each client its own download folder: gradio_client names files by content, and clients
    # sharing one folder read each other's half-written downloads
    client = Client(url, verbose=False, download_files=tempfile.mkdtemp(dir=DOWNLOADS.name))
    connections.append(time.perf_counter() - started)
    return client


def client_loop(client, names, photo, sliders, layer, reference, more, offset, latencies, failures, mismatches):
    requests = Requests(client, *names, photo, sliders, layer)
    work = requests.work()
    i = offset
    while more(i - offset):
        name, seed = work[i % len(work)]
        first = i == offset  # every client's first request goes in the same instant
        i += 1
        started = time.perf_counter()
        try:
            answer = fingerprint(requests.calls[name](seed))
        except Exception as err:  # a load test counts every failure, whatever its kind
            failures.append(f"{name}({seed}): {type(err).__name__}: {err}")
            continue
        latencies.append((name, time.perf_counter() - started, first))
        if answer != reference[name, seed]:
            mismatches.append(f"{name}({seed})")


def p95(seconds: list[float]) -> float | None:
    return round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 3) if seconds else None


def tab_defaults(client: Client, encoder: str, photo: str, layer: str, sliders: int) -> dict[str, float]:
    """Seconds for each tab's main button at its default settings, one client, after a warm-up."""
    editor = canvas(photo, layer)
    calls = {
        "generate": lambda: client.predict(encoder, 0, 0.7, 8, api_name="/generate"),
        "morph": lambda: client.predict(encoder, 0, 1, None, None, 8, "slerp", api_name="/morph"),
        "attributes": lambda: client.predict(
            encoder, 3, None, True, True, "Male", 0.0, *([2.0] + [0.0] * (sliders - 1)), api_name="/edit"
        ),
        "equation": lambda: client.predict(encoder, "Male", "-Male", "Male", 0, api_name="/equation"),
        "inpainting": lambda: client.predict(encoder, editor, 80, 2, api_name="/inpaint"),
        "colorization": lambda: client.predict(encoder, handle_file(photo), api_name="/colorize"),
        "story": lambda: client.predict(handle_file(photo), 0, api_name="/story"),
    }
    out = {}
    for name, call in calls.items():
        call()
        started = time.perf_counter()
        call()
        out[name] = round(time.perf_counter() - started, 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=60, help="seconds of concurrent load")
    p.add_argument(
        "--requests-per-client",
        type=int,
        help="a fixed amount of work instead of --duration: each client sends this many requests",
    )
    p.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    p.add_argument("--no-tab-timings", action="store_true", help="skip timing each tab's default action")
    args = p.parse_args()
    # gradio_client leaves an empty folder in the system temp dir for every file it downloads:
    # the check's temp dir is its download folder, so none outlive it (set here, not on import:
    # the tests import start_server)
    tempfile.tempdir = DOWNLOADS.name
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    names = models_in(args.checkpoints)
    server = start_server(args.checkpoints, port)
    memory, sampling = [], threading.Event()

    def sample_memory():
        while not sampling.wait(0.25):
            memory.append(rss_mb(server.pid))

    try:
        client = Client(url, verbose=False, download_files=tempfile.mkdtemp(dir=DOWNLOADS.name))
        photo = client.predict(names[0], 4, 1.0, 1, api_name="/generate")[0]["image"]  # a face the app made
        sliders = slider_count(client)
        tmp = Path(tempfile.mkdtemp(dir=DOWNLOADS.name))
        with Image.open(photo) as im:
            side = im.width  # the painted layer has the photo's size, as the editor sends it
        paint = np.zeros((side, side, 4), np.uint8)
        paint[side * 3 // 8 : side * 5 // 8, side * 5 // 16 : side * 11 // 16] = (255, 0, 255, 255)
        layer = str(tmp / "layer.png")
        Image.fromarray(paint).save(layer)
        per_tab = {} if args.no_tab_timings else tab_defaults(client, names[0], photo, layer, sliders)
        requests = Requests(client, *names, photo, sliders, layer)
        reference, single = {}, []
        for name, seed in requests.work():  # one client alone: the reference answers and latencies
            started = time.perf_counter()
            reference[name, seed] = fingerprint(requests.calls[name](seed))
            single.append(time.perf_counter() - started)
        rss_start = rss_mb(server.pid)
        sampler = threading.Thread(target=sample_memory, daemon=True)
        sampler.start()
        # every client connected first, as at once as they can: the load is then the actions alone,
        # not the actions slowed by every client reading the app's config (timed apart, `connect_p95_s`)
        connections = []
        with ThreadPoolExecutor(args.clients) as pool:
            clients = list(pool.map(lambda _: connected(url, connections), range(args.clients)))
        latencies, failures, mismatches = [], [], []
        deadline = time.time() + args.duration
        if args.requests_per_client:  # a fixed count, so a slow machine does the same work, only slower

            def more(done):
                return done < args.requests_per_client
        else:

            def more(done):
                return time.time() < deadline

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            loops = [
                pool.submit(
                    client_loop, c, names, photo, sliders, layer, reference, more, i, latencies, failures, mismatches
                )
                for i, c in enumerate(clients)
            ]
        for c, future in enumerate(loops):  # a client that died outside a request is a failure too
            if future.exception() is not None:
                failures.append(f"client {c}: {type(future.exception()).__name__}: {future.exception()}")
        wall = time.perf_counter() - started
        sampling.set()
        sampler.join()
        rss_end = rss_mb(server.pid)
        alive = server.poll() is None
    finally:
        server.kill()
        server.wait()
    every = [t for _, t, _ in latencies]
    for line in (failures + mismatches)[:10]:
        print(f"problem: {line}", file=sys.stderr)
    print(
        json.dumps(
            {
                "clients": args.clients,
                "duration_s": round(wall, 1),
                "requests": len(latencies) + len(failures),
                "clients_completed": sum(future.exception() is None for future in loops),
                "failed": len(failures),
                "differing_from_single_client": len(mismatches),
                "server_alive": alive,
                "connect_p95_s": p95(connections),
                "single_client_median_s": round(statistics.median(single), 3),
                "loaded_median_s": round(statistics.median(every), 3) if every else None,
                "loaded_p95_s": p95(every),
                # generate, preview and plain edits while fills, colorizes and Stops run beside them
                "fast_actions_p95_s": p95([t for name, t, _ in latencies if name in FAST]),
                "fast_actions_p95_after_first_round_s": p95(
                    [t for name, t, first in latencies if name in FAST and not first]
                ),
                "p95_s_by_action": {name: p95([t for n, t, _ in latencies if n == name]) for name in requests.calls},
                "throughput_req_s": round(len(latencies) / wall, 2),
                "server_rss_mb": {
                    "before_load": round(rss_start),
                    "peak": round(max(memory, default=rss_end)),
                    "after_load": round(rss_end),
                    "growth": round(max(memory, default=rss_end) - rss_start),
                },
                "tab_default_action_s": per_tab,
                "checkpoints": os.path.relpath(args.checkpoints, ROOT),
            }
        )
    )


if __name__ == "__main__":
    main()

"""Load check: a live app on the shipped checkpoints, C concurrent gradio_client clients each
making R mixed requests; reports errors and the median latency against one client alone.

    python bench/app_load.py --clients 8 --requests 10

The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_client import Client, handle_file  # noqa: E402

from gan_demo.app import launch  # noqa: E402


def mixed_requests(url: str, photo: str, n: int, offset: int) -> tuple[list[float], int]:
    """One client's n requests, cycling through the app's main endpoints."""
    client = Client(url, verbose=False)
    calls = [
        lambda i: client.predict("aegan-celeba64", i, 0.7, 8, api_name="/generate"),
        lambda i: client.predict("dcgan-celeba64", i, i + 1, 0.5, "slerp", api_name="/morph_preview"),
        lambda i: client.predict("aegan-celeba64", i, None, True, "Pale_Skin", 0.0, 2.0, *[0.0] * 9, api_name="/edit"),
        lambda i: client.predict("aegan-celeba64", handle_file(photo), api_name="/colorize"),
    ]
    latencies, errors = [], 0
    for i in range(n):
        start = time.perf_counter()
        try:
            calls[(i + offset) % len(calls)](i)
        except Exception as err:  # a load test counts every failure, whatever its kind
            errors += 1
            print(f"request failed: {err}", file=sys.stderr)
        latencies.append(time.perf_counter() - start)
    return latencies, errors


def tab_defaults(url: str, photo: str, layer: str) -> dict[str, float]:
    """Seconds for each tab's main button at its default settings, one client, after a warm-up."""
    client = Client(url, verbose=False)
    editor = {
        "background": handle_file(photo),
        "layers": [handle_file(layer)],
        "composite": handle_file(photo),
        "id": None,
    }
    calls = {
        "generate": lambda: client.predict("aegan-celeba64", 0, 0.7, 8, api_name="/generate"),
        "morph": lambda: client.predict("aegan-celeba64", 0, 1, None, None, 8, "slerp", api_name="/morph"),
        "attributes": lambda: client.predict(
            "aegan-celeba64", 3, None, True, "Pale_Skin", 0.0, 2.0, *[0.0] * 9, api_name="/edit"
        ),
        "equation": lambda: client.predict(
            "aegan-celeba64", "Male, Eyeglasses", "Male, -Eyeglasses", "-Male, -Eyeglasses", 0, api_name="/equation"
        ),
        "inpainting": lambda: client.predict("aegan-celeba64", editor, 80, 2, api_name="/inpaint"),
        "colorization": lambda: client.predict("aegan-celeba64", handle_file(photo), api_name="/colorize"),
        "story": lambda: client.predict(handle_file(photo), 0, api_name="/story"),
    }
    out = {}
    for name, call in calls.items():
        call()
        start = time.perf_counter()
        call()
        out[name] = round(time.perf_counter() - start, 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=10)
    p.add_argument("--checkpoints", default=str(Path(__file__).resolve().parent.parent / "checkpoints"))
    args = p.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = launch(args.checkpoints, "cpu", "127.0.0.1", port, share=False, block=False)
    url = f"http://127.0.0.1:{port}/"
    photo = str(Path(tempfile.mkdtemp()) / "face.png")
    from gan_demo.latent import sample_codes
    from gan_demo.studio import show

    model = next(m for m in demo_models(args.checkpoints) if m.has_encoder)
    show(model.generate(sample_codes(1, model.arch.z_dim, 4)))[0].save(photo)
    import numpy as np
    from PIL import Image

    layer = str(Path(photo).with_name("layer.png"))
    paint = np.zeros((256, 256, 4), np.uint8)
    paint[96:160, 80:176] = (255, 0, 255, 255)
    Image.fromarray(paint).save(layer)
    try:
        per_tab = tab_defaults(url, photo, layer)
        single, single_errors = mixed_requests(url, photo, args.requests, 0)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(lambda c: mixed_requests(url, photo, args.requests, c), range(args.clients)))
        wall = time.perf_counter() - start
    finally:
        demo.close()
    many = [t for lat, _ in results for t in lat]
    errors = single_errors + sum(e for _, e in results)
    print(
        json.dumps(
            {
                "clients": args.clients,
                "requests_per_client": args.requests,
                "requests": len(single) + len(many),
                "errors": errors,
                "single_client_median_s": round(statistics.median(single), 3),
                "concurrent_median_s": round(statistics.median(many), 3),
                "concurrent_p95_s": round(sorted(many)[int(0.95 * (len(many) - 1))], 3),
                "concurrent_throughput_req_s": round(len(many) / wall, 2),
                "tab_default_action_s": per_tab,
            }
        )
    )


def demo_models(folder: str):
    from gan_demo.pretrained import find_checkpoints, load_pretrained

    for stem in find_checkpoints(folder):
        model = load_pretrained(stem)
        if model.G is not None:
            yield model


if __name__ == "__main__":
    main()

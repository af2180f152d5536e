"""Start the Gradio app on the checkpoints in the repository's checkpoints/ (or --checkpoints DIR).

python demo.py                    # http://127.0.0.1:7860
python demo.py --host 0.0.0.0 --port 7861 --device cpu
"""

from __future__ import annotations

import argparse
import os

from gan_demo.models.pretrained import shipped_folder
from gan_demo.runtime import resolve_device


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="demo.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    p.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument(
        "--checkpoints", default=str(shipped_folder()), help="folder of checkpoints (default: the repository's)"
    )
    args = p.parse_args(argv)
    from .layout import launch  # Gradio loads only once the options are read

    launch(args.checkpoints, resolve_device(args.device), args.host, args.port, args.share)
    return 0

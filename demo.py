"""Start the Gradio app on the shipped checkpoints: `python demo.py`, then http://127.0.0.1:7860
(see gan_demo.app.command, or `python demo.py --help`)."""

import sys

from gan_demo.app.command import main

if __name__ == "__main__":
    sys.exit(main())

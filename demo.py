"""The Gradio app (the app issue builds it). Until then this says so and exits."""

import sys

if __name__ == "__main__":
    print("demo.py: the Gradio app is not built yet. Train a model with `python train.py --help`.")
    sys.exit(0)

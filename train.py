"""Train a model: `python train.py --model KIND --data DATA --out OUT` (see gan_demo.training.command,
or `python train.py --help`)."""

import sys

from gan_demo.training.command import main

if __name__ == "__main__":
    sys.exit(main())

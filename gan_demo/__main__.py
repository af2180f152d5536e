"""`python -m gan_demo <command>`: see gan_demo.cli."""

import sys

from gan_demo.cli import main

if __name__ == "__main__":
    sys.exit(main())

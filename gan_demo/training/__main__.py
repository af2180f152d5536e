"""`python -m gan_demo.training ...`: train.py where no checkout is (an installed package, the
app's Train tab); see gan_demo.training.command."""

import signal
import sys

from gan_demo.training.command import main

if __name__ == "__main__":
    # a server started in the background (`python demo.py &`) ignores SIGINT, and so would the
    # runs it starts: Cancel's SIGINT must still become the KeyboardInterrupt that saves the run
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main())

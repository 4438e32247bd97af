"""``python -m actors …``: the same command line as the ``actors`` script."""
import sys

from actors._cli import main

if __name__ == "__main__":
    sys.exit(main())

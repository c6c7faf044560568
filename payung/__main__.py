import sys

from payung.cli import main

if __name__ == "__main__":  # guard: process-pool children import this module too
    sys.exit(main())

import sys

from shared_inbox.cli import main

# Guarded: helper processes (spawned for header parsing) import this module too.
if __name__ == "__main__":
    sys.exit(main())

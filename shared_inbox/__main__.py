import sys

from shared_inbox.cli import main

sys.exit(main())

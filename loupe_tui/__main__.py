import sys

from loupe_tui.cli import main

sys.exit(main())

import sys

from molap.cli import main

sys.exit(main())

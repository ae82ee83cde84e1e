import sys

from peaje.cli import main

sys.exit(main())

import sys

from peaje.talk.cli import main

sys.exit(main())

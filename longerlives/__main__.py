import sys

from longerlives.cli import console

sys.exit(console())

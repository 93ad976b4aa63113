import sys

from longerlives.cli import main

sys.exit(main())

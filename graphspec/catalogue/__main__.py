"""`python -m graphspec.catalogue [--check] [-o PATH]`: regenerate or check the catalogue."""

import sys

from graphspec.catalogue.generate import main

sys.exit(main())

import sys

from etr_nn.cli import main

sys.exit(main())

import sys

from thbscan.cli import main

sys.exit(main())

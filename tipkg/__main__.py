import sys

from tipkg.cli import main

sys.exit(main())

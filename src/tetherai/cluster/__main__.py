import sys

from tetherai.cluster.run import main

sys.exit(main())

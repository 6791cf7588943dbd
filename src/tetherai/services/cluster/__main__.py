import sys

from tetherai.services.cluster.run import main

sys.exit(main())

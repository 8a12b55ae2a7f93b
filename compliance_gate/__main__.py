"""`python -m compliance_gate check path/to/app`: see compliance_gate.runner."""

import sys

from compliance_gate.runner import main

sys.exit(main())

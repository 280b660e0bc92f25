"""`python -m bench`: run the benchmark; exits non-zero only on a correctness failure."""
import sys

from .harness import main

sys.exit(main())

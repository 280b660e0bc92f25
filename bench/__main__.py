"""`python -m bench`: run the benchmark; exits 1 on a correctness failure, 2 when it cannot
run, never because of a timing."""
import sys

from .harness import main

sys.exit(main())

"""`python -m bench` runs the analysis benchmarks (same as `python bench/run_analysis.py`)."""

import sys

from bench.run_analysis import main

if __name__ == "__main__":
    sys.exit(main())

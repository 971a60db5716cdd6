"""`python -m tests.bench`: see bench.py."""

from .bench import main

main()

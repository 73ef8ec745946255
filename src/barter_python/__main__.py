"""`python -m barter_python` is the `barter-python` command."""

from barter_python.cli import main

main()

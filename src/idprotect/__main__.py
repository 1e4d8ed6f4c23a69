"""`python -m idprotect` runs the command line."""

from idprotect.cli import main

main()

"""`python -m trace`: the command line (run from the project root; see README)."""

from trace.cli import main

raise SystemExit(main())

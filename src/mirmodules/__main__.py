"""``python -m mirmodules``: the same as the ``mirmodules`` command."""

from mirmodules.cli import main

raise SystemExit(main())

"""``python -m mirmodules``: the same as the ``mirmodules`` command."""

from .cli import main

raise SystemExit(main())

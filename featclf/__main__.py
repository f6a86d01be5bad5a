"""``python -m featclf``: the same as the ``featclf`` command."""

from .cli import main

raise SystemExit(main())

"""``python -m featclf``: the same as the ``featclf`` command."""

from .cli import main

if __name__ == "__main__":  # not when a spawned process (a local Dask cluster's worker) imports this module
    raise SystemExit(main())

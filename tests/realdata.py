"""Where the real (never committed) data sets live, for tests that skip cleanly without them."""


def find_openclipart():
    """The Open Clip Art ``png/`` folder: $FEATCLF_OPENCLIPART, Debian's install path, or None.

    The collection is never committed; `.ci/run` extracts Debian's `openclipart-png` and sets
    FEATCLF_OPENCLIPART. Tests that need it skip cleanly when it is absent.
    """
    import os

    for path in (os.environ.get("FEATCLF_OPENCLIPART"), "/usr/share/openclipart/png",
                 "/work/data/openclipart/usr/share/openclipart/png"):
        if path and os.path.isdir(path):
            return path
    return None

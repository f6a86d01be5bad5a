"""Output folders: checked before long work, without leaving anything behind."""

from __future__ import annotations

import os

__all__ = ["check_output_dir"]


def check_output_dir(out_dir, *, option="out_dir", create=False) -> str:
    """Make sure reports can be written in ``out_dir``, before long work, without leaving anything behind.

    The folder (or, when it does not exist yet, its nearest existing parent, where it
    will be created) must be a folder this process can write in: a temporary file is
    written there and removed. Nothing is created unless ``create=True``. The command
    line checks ``--out`` this way before extraction, so results are not lost for want
    of a folder.

    Parameters
    ----------
    out_dir : str or os.PathLike
    option : str
        How the folder was given, for the message (``'out_dir'``, ``'--out'``).
    create : bool, default=False
        Create the folder (and its parents).

    Returns
    -------
    out_dir : str

    Raises
    ------
    InvalidParameterError
        ``out_dir`` (or a parent) is an existing file, or the folder cannot be written or created.
    """
    import tempfile

    from ..exceptions import InvalidParameterError

    out_dir = os.fspath(out_dir)
    existing = os.path.abspath(out_dir)
    while not os.path.exists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        where = "is" if existing == os.path.abspath(out_dir) else f"is inside {existing!r}, which is"
        raise InvalidParameterError(
            f"The {option} folder {out_dir!r} {where} an existing file, not a folder: give a folder for the reports, "
            "e.g. a new name."
        )
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
        if create:
            os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise InvalidParameterError(
            f"Cannot write the reports in the {option} folder {out_dir!r}: {exc.strerror or exc} ({existing}). Give a "
            "folder you can write in."
        ) from None
    return out_dir

"""Folder scanning: every file either taken as an image or left out with a recorded reason.

Rules (shared by :class:`ImageFolder`, :class:`UnlabelledFolder` and :func:`find_images`):

* A file is an image when its extension is one the installed Pillow decodes
  (:func:`featclf.io.image_extensions`), or one of ``extensions=`` when given.
* Hidden entries (names starting with ``.``: ``.DS_Store``, macOS ``._photo.jpg``
  companions, ``.git``) are left out; a hidden folder is one entry, not walked.
* Symlinks are followed, but a directory link that leads back to the folder holding it
  or to one of its ancestors (a loop, e.g. ``animals/loop -> ..``) is never followed,
  and a folder reached twice is walked once.
* Each real file (device and inode: symlinks and hard links resolved) counts once; a
  second name for it is left out as a duplicate naming the first. (Across the classes of
  an :class:`ImageFolder`, a file found under two classes is left out of both.)
* Whatever is left out is recorded as a :class:`LeftOut` (path, kind, detail): not an
  image format, no decoder installed, extension not selected, hidden, broken link,
  symlink loop, folder already scanned, duplicate, unreadable folder, not a regular file.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from typing import NamedTuple

from ..io import extension_problem

__all__ = ["LeftOut", "decoder_notes", "describe_left_out", "format_left_out", "left_out_summary", "scan_folder"]

# Kinds of left-out entries; the first three are about the file's format (counted by extension).
NOT_IMAGE = "not an image format"
NO_DECODER = "no decoder installed"
NOT_SELECTED = "extension not selected"
HIDDEN = "hidden"
HIDDEN_FOLDER = "hidden folder"
BROKEN_LINK = "broken link"
LOOP = "symlink loop"
SEEN_FOLDER = "folder already scanned"
DUPLICATE = "duplicate"
UNREADABLE = "unreadable"
UNREADABLE_FOLDER = "unreadable folder"
NOT_REGULAR = "not a regular file"
NO_CLASS = "no class"
TWO_CLASSES = "in two classes"
FORMAT_KINDS = (NOT_IMAGE, NO_DECODER, NOT_SELECTED)
FOLDER_KINDS = (HIDDEN_FOLDER, LOOP, SEEN_FOLDER, UNREADABLE_FOLDER)


def split_extension(path: str) -> str:
    """The lower-case extension of ``path`` with its dot, ``''`` when there is none."""
    return os.path.splitext(path)[1].lower()


class LeftOut(NamedTuple):
    """A file or folder a scan did not take, and why."""

    path: str
    kind: str  # one of the kinds above
    detail: str  # a sentence for humans, e.g. "this Pillow build lacks the JPEG 2000 decoder (OpenJPEG)"


class Scan(NamedTuple):
    images: list  # sorted paths
    left_out: list  # of LeftOut, in walk order
    owners: dict  # (st_dev, st_ino) -> path, every file taken


def format_left_out(path: str, extensions=None) -> LeftOut | None:
    """``None`` when ``path``'s extension makes it an image, else the :class:`LeftOut` saying why not."""
    ext = split_extension(path)
    if extensions is not None:
        return None if ext in extensions else LeftOut(path, NOT_SELECTED, f"{ext or 'no extension'} not in extensions=")
    problem = extension_problem(ext)
    if problem is None:
        return None
    return LeftOut(path, NOT_IMAGE if problem in ("not an image format", "no file extension") else NO_DECODER,
                   problem)


def is_dir(entry) -> bool:
    """``entry.is_dir()`` following symlinks; ``False`` when it cannot be examined."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def is_loop(real: str, chain: list[str]) -> bool:
    """``real`` is one of the folders on the way down, or an ancestor of one of them."""
    return any(c == real or c.startswith(real.rstrip(os.sep) + os.sep) for c in chain)


def scan_folder(top: str, extensions=None) -> Scan:
    """Walk ``top`` recursively (sorted, symlinks followed once, loops cut) and sort its files.

    Parameters
    ----------
    top : str
        The folder to walk.
    extensions : set of str, optional
        Lower-case extensions with the dot; default: those the installed Pillow decodes.

    Returns
    -------
    Scan
        ``images`` (sorted paths), ``left_out`` (:class:`LeftOut` list), ``owners``
        (what this scan took, ``(st_dev, st_ino) -> path``).
    """
    owners: dict = {}
    images: list[str] = []
    left_out: list[LeftOut] = []
    walked: dict[str, str] = {}  # real folder -> the path it was walked under

    def walk(folder: str, chain: list[str]) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            left_out.append(LeftOut(folder, UNREADABLE_FOLDER, f"cannot be listed ({exc.strerror or exc})"))
            return
        for entry in entries:
            path = entry.path
            folder_entry = is_dir(entry)
            if entry.name.startswith("."):
                left_out.append(LeftOut(path, HIDDEN_FOLDER if folder_entry else HIDDEN, "hidden name"))
                continue
            if folder_entry:
                real = os.path.realpath(path)
                if is_loop(real, chain):
                    left_out.append(LeftOut(path, LOOP, f"a link back to {real}, not followed"))
                elif real in walked:
                    left_out.append(LeftOut(path, SEEN_FOLDER, f"the same folder as {walked[real]}, walked once"))
                else:
                    walked[real] = path
                    walk(path, [*chain, real])
                continue
            fmt = format_left_out(path, extensions)
            if fmt is not None:
                left_out.append(fmt)
                continue
            try:
                info = os.stat(path)
            except FileNotFoundError:
                left_out.append(LeftOut(path, BROKEN_LINK, f"a link to {os.readlink(path)}, which does not exist"))
                continue
            except OSError as exc:
                left_out.append(LeftOut(path, UNREADABLE, f"cannot be examined ({exc.strerror or exc})"))
                continue
            if not stat.S_ISREG(info.st_mode):
                left_out.append(LeftOut(path, NOT_REGULAR, "a pipe, socket or device"))
                continue
            key = (info.st_dev, info.st_ino)
            if key in owners:
                left_out.append(LeftOut(path, DUPLICATE, f"the same file as {owners[key]}"))
                continue
            owners[key] = path
            images.append(path)

    top_real = os.path.realpath(top)
    walked[top_real] = top
    walk(top, [top_real])
    return Scan(sorted(images), left_out, owners)


def left_out_summary(left_out, *, examples: int = 20) -> dict:
    """What a scan left out, for reports: counts by kind and by extension, and the first entries.

    Returns
    -------
    dict
        ``{"n": int, "kinds": {kind: count}, "extensions": {ext: count},
        "examples": [{"path", "kind", "detail"}]}``; ``extensions`` counts the files left
        out for their format (``''`` for no extension).
    """
    kinds = Counter(item.kind for item in left_out)
    exts = Counter(split_extension(item.path) for item in left_out if item.kind in FORMAT_KINDS)
    return {
        "n": len(left_out),
        "kinds": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "extensions": dict(sorted(exts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "examples": [item._asdict() for item in left_out[:examples]],
    }


def describe_left_out(left_out) -> str:
    """One line: ``'3 files left out (.xyz: 2; hidden: 1)'``; ``''`` when nothing was left out.

    Accepts a list of :class:`LeftOut` or the dict of :func:`left_out_summary`.
    """
    summary = left_out if isinstance(left_out, dict) else left_out_summary(left_out, examples=0)
    if not summary["n"]:
        return ""
    parts = [f"{ext or '(no extension)'}: {n}" for ext, n in summary["extensions"].items()]
    parts += [f"{kind}: {n}" for kind, n in summary["kinds"].items() if kind not in FORMAT_KINDS]
    folders = sum(n for kind, n in summary["kinds"].items() if kind in FOLDER_KINDS)
    files = summary["n"] - folders
    counted = " and ".join(
        f"{n} {word}{'' if n == 1 else 's'}" for n, word in ((files, "file"), (folders, "folder")) if n
    )
    return f"{counted} left out ({'; '.join(parts)})"


def decoder_notes(left_out, limit: int = 3) -> str:
    """Why the installed decoders cannot read some extensions: ``'.jp2: this Pillow build lacks ...'``."""
    notes: dict[str, str] = {}
    for item in left_out:
        if item.kind == NO_DECODER:
            notes.setdefault(split_extension(item.path), item.detail)
    return "; ".join(f"{ext}: {detail}" for ext, detail in list(notes.items())[:limit])

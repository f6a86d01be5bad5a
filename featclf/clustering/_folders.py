"""One folder per cluster (:meth:`ClusteringResult.export_folders`), for an analyst to look at and rename.

The layout, in a new (or empty) destination folder::

    dest/cluster_00/00012_cat.jpg     # cluster 0 (the largest), input 12, its own file name
    dest/cluster_01/...
    dest/noise/...                    # HDBSCAN's noise, when there is any
    dest/.featclf-export.csv          # every input: where it went, or why it was not exported

Renamed into class names, the folders read back as :class:`featclf.ImageFolder` (the hidden
listing is left out of the scan without a warning).
"""

from __future__ import annotations

import csv
import os
import shutil

import numpy as np

from ..exceptions import InvalidParameterError
from ._algorithms import NOISE, SKIPPED

__all__ = ["EXPORT_LISTING", "EXPORT_MODES", "check_export_folder", "cluster_folder_names", "export_folders"]

EXPORT_MODES = ("symlink", "copy")
#: The listing written into the destination (hidden, so that ImageFolder does not count it as a stray file).
EXPORT_LISTING = ".featclf-export.csv"
NOISE_FOLDER = "noise"


def cluster_folder_names(n_clusters: int) -> list[str]:
    """``cluster_00 .. cluster_{k-1}``, zero-padded to at least two digits so they sort by id."""
    width = max(2, len(str(max(n_clusters - 1, 0))))
    return [f"cluster_{j:0{width}d}" for j in range(n_clusters)]


def _is_path(source) -> bool:
    return isinstance(source, (str, os.PathLike))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_export_folder(dest, sources=(), root=None, *, option="dest") -> str:
    """Refuse a destination that could mix with or sit inside the clustered images; returns its absolute path.

    Rules (every path resolved through symbolic links first):

    * ``dest`` must not exist, or be an empty folder: nothing already there is ever
      overwritten or mixed with the export;
    * ``dest`` must not be (or be inside) ``root`` (the dataset's folder) or the folder of
      any path in ``sources``: the export never adds files to the collection it was made
      from (a later scan of that folder would take them as new images).

    Nothing is created here.

    Raises
    ------
    InvalidParameterError
        The rule broken, with the path and the fix.
    """
    dest = os.path.abspath(os.fspath(dest))
    if os.path.lexists(dest):
        if not os.path.isdir(dest):
            raise InvalidParameterError(
                f"The {option} folder {dest!r} is an existing file, not a folder: give a new folder name for the "
                "cluster folders."
            )
        try:
            held = os.listdir(dest)
        except OSError as exc:
            raise InvalidParameterError(f"The {option} folder {dest!r} cannot be listed ({exc.strerror or exc}): "
                                        "give a folder you can write in.") from None
        if held:
            raise InvalidParameterError(
                f"The {option} folder {dest!r} is not empty ({len(held)} entries, e.g. {sorted(held)[0]!r}): "
                "cluster folders are written only into a new or empty folder, so nothing there is overwritten "
                "or mixed in. Give a new folder name, or empty that folder first."
            )
    real = os.path.realpath(dest)
    folders = {os.path.realpath(os.fspath(root))} if root is not None else set()
    folders |= {os.path.realpath(os.path.dirname(os.path.abspath(os.fspath(s)))) for s in sources if _is_path(s)}
    for folder in sorted(folders, key=lambda f: (-len(f), f)):  # the nearest folder named first
        if _inside(real, folder):
            raise InvalidParameterError(
                f"The {option} folder {dest!r} is inside the clustered images' folder {folder!r}: the export must "
                "not add files to the collection it was made from (a later scan would take them as new images). "
                "Give a folder outside it, e.g. next to it."
            )
    return dest


def _file_name(index: int, source, width: int) -> str:
    if _is_path(source):
        return f"{index:0{width}d}_{os.path.basename(os.fspath(source))}"
    return f"{index:0{width}d}.png"


def export_folders(result, dest, mode="symlink") -> dict:
    """The work of :meth:`ClusteringResult.export_folders` (see there); returns ``{folder: n files}``."""
    if mode not in EXPORT_MODES:
        raise InvalidParameterError(
            f"The 'mode' parameter of export_folders must be one of {set(EXPORT_MODES)}. Got {mode!r} instead."
        )
    data = result.data
    if data is not None:
        from ..engine import as_sources

        sources = as_sources(data)
    else:  # a loaded clustering: only the paths are known
        sources = list(result.sources_)
    labels = result.labels_
    exported = np.flatnonzero(labels != SKIPPED)
    if data is None:
        missing = [result.sources_[i] for i in exported if not os.path.isfile(result.sources_[i])]
    else:
        missing = [os.fspath(sources[i]) for i in exported if _is_path(sources[i]) and not os.path.isfile(sources[i])]
    if missing:
        where = ("A loaded clustering holds no images, only their paths; in-memory images can be exported only "
                 "from the result featclf.cluster returned. " if data is None else "")
        raise InvalidParameterError(
            f"export_folders: {len(missing)} clustered images are no longer files, e.g. {missing[0]!r}. {where}"
            "Nothing was written."
        )
    dest = check_export_folder(dest, [sources[i] for i in exported], getattr(data, "root", None))
    names = cluster_folder_names(result.n_clusters_)
    folder_of = {j: names[j] for j in range(result.n_clusters_)}
    folder_of[NOISE] = NOISE_FOLDER
    width = len(str(max(len(labels) - 1, 0)))
    reasons = {s.index: s.reason for s in result.skipped_}
    counts = {folder_of[j]: 0 for j in sorted({int(x) for x in labels[exported]}, key=lambda j: (j < 0, j))}
    os.makedirs(dest, exist_ok=True)
    for folder in counts:
        os.mkdir(os.path.join(dest, folder))
    rows = []
    for i, label in enumerate(labels):
        if label == SKIPPED:
            rows.append([i, result.sources_[i], "", "", reasons.get(i, "")])
            continue
        folder = folder_of[int(label)]
        relative = os.path.join(folder, _file_name(i, sources[i], width))
        target = os.path.join(dest, relative)
        source = sources[i]
        if _is_path(source):
            source = os.path.abspath(os.fspath(source))
            if mode == "symlink":
                os.symlink(source, target)
            else:
                with open(source, "rb") as original, open(target, "xb") as copy:  # "x": never replaces a file
                    shutil.copyfileobj(original, copy)
                shutil.copystat(source, target)  # times and permission bits: the copy looks like the original
        else:
            _write_png(source, target, i, result.config_.get("max_pixels"))
        counts[folder] += 1
        rows.append([i, result.sources_[i], folder, relative, ""])
    with open(os.path.join(dest, EXPORT_LISTING), "x", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["index", "source", "folder", "file", "reason"])
        writer.writerows(rows)
    return counts


def _write_png(source, target, index, max_pixels) -> None:
    """An in-memory image (array, PIL image, bytes) as a new PNG file: grey, RGB or RGBA as featclf decodes it."""
    from PIL import Image

    from ..io import decode_image

    image = decode_image(source, index=index, max_pixels=max_pixels)  # the clustering's own limit (None: none)
    with open(target, "xb") as f:
        Image.fromarray(np.ascontiguousarray(image)).save(f, format="PNG")

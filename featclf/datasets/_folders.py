"""Datasets read from disk: labelled folders, unlabelled folders, CSV manifests."""

from __future__ import annotations

import codecs
import csv
import io
import os
import warnings
from collections import defaultdict

from ..exceptions import DatasetError, DatasetNotFoundError, FeatclfWarning, InvalidParameterError
from ._base import ImageDataset, encode_labels
from ._scan import (
    HIDDEN,
    HIDDEN_FOLDER,
    LOOP,
    NO_CLASS,
    NOT_SELECTED,
    TWO_CLASSES,
    LeftOut,
    decoder_notes,
    describe_left_out,
    format_left_out,
    is_dir,
    is_loop,
    scan_folder,
)


def _check_root(root) -> str:
    root = os.fspath(root)
    if not os.path.exists(root):
        raise DatasetNotFoundError(f"{root}: no such folder. Check the path.")
    if not os.path.isdir(root):
        raise DatasetError(f"{root}: not a folder. Pass the folder that holds the images.")
    return root


def _check_extensions(extensions):
    """``None`` (what Pillow decodes), or a set of lower-case extensions with their dot."""
    if extensions is None:
        return None
    if isinstance(extensions, str) or not all(isinstance(e, str) and e.startswith(".") for e in extensions):
        raise InvalidParameterError(
            "The 'extensions' parameter must be None (every format the installed Pillow decodes) or a list of "
            f"extensions with their dot, e.g. ['.png', '.jpg']. Got {extensions!r} instead."
        )
    return {e.lower() for e in extensions}


def _extensions_text(extensions) -> str:
    if extensions is None:
        return "extensions: those the installed Pillow decodes, see featclf.io.image_extensions()"
    return f"extensions: {', '.join(sorted(extensions))}"


def _scan_note(left_out) -> str:
    """``' 3 files left out (.txt: 2; hidden: 1), see .left_out.'`` plus decoder notes, or ``''``."""
    if not left_out:
        return ""
    notes = decoder_notes(left_out)
    return f" {describe_left_out(left_out)}, see .left_out.{f' ({notes}.)' if notes else ''}"


def _warns(left_out) -> bool:
    """Hidden entries and extensions the user did not select are left out on purpose: no warning for them alone."""
    return any(item.kind not in (HIDDEN, HIDDEN_FOLDER, NOT_SELECTED) for item in left_out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"


def find_images(root, extensions=None) -> list[str]:
    """All image files below ``root``, sorted (the scanning rules of :class:`ImageFolder`).

    Each real file once; what is left out is not returned (use :class:`UnlabelledFolder`
    and its ``left_out`` attribute to see it).
    """
    return scan_folder(os.fspath(root), _check_extensions(extensions)).images


class ImageFolder(ImageDataset):
    """Labelled images in the ImageFolder layout: ``root/<class>/**/<image>``.

    Each first-level subfolder of ``root`` is a class; images are found recursively
    below it (nested folders are fine). Class names and paths are sorted, so the order
    is deterministic. Nothing is decoded here.

    Which files count, and what happens to the others:

    * A file is an image when the installed Pillow decodes its format, judged by its
      extension, case-insensitive (:func:`featclf.io.image_extensions`: PNG, JPEG, WebP,
      AVIF, TIFF, TGA, JPEG 2000, QOI, ... as installed), or when its extension is in
      ``extensions``.
    * Every other entry is *left out and counted*: non-image files, formats whose decoder
      is not installed, hidden entries (names starting with ``.``; a hidden folder is not
      walked), broken links, symlink loops, unreadable folders, images directly in
      ``root`` (no class), second names of a file already taken. ``left_out`` lists them;
      a :class:`~featclf.exceptions.FeatclfWarning` says how many and which extensions
      (hidden entries alone do not warn), and ``evaluate``'s report counts them too.
    * Symlinks are followed; a directory link back to its own folder or an ancestor
      (``animals/loop -> ..``) is never followed, and each folder is walked once.
    * Each real file (symlinks and hard links resolved) counts once. A second name for it
      in the same class is left out as a duplicate. A file reachable under **two classes**
      is left out of every class and named in the warning and in ``left_out`` (kind
      ``'in two classes'``): it would carry two contradictory labels and leak from the
      training to the test part of a fold, and no class can be picked for it silently.
      It is not an error because real collections hold such cross-links by the hundred
      (Debian's Open Clip Art: 481 of its 6,900 files), and the rest of the folder is sound.

    Parameters
    ----------
    root : str or os.PathLike
    extensions : iterable of str, optional
        Extensions with the dot (any case) to take instead of every format Pillow decodes,
        e.g. ``['.png']``.

    Attributes
    ----------
    paths : list of str
        Image paths, class by class.
    labels : ndarray of int of shape (n_images,)
        Index into ``classes`` of each path.
    classes : list of str
        Sorted class names (folders holding at least one image).
    left_out : list of LeftOut
        Every entry the scan did not take, as ``(path, kind, detail)`` named tuples.
        ``summary()["left_out"]`` counts them by kind and by extension.

    Raises
    ------
    DatasetNotFoundError
        ``root`` does not exist.
    DatasetError
        ``root`` cannot be listed, or holds no class folder with images (the message says
        what each folder held).

    Examples
    --------
    >>> ds = featclf.ImageFolder("photos")  # doctest: +SKIP
    >>> ds.classes, len(ds.paths)            # doctest: +SKIP
    (['cats', 'dogs'], 240)
    """

    def __init__(self, root, *, extensions=None):
        root = _check_root(root)
        exts = _check_extensions(extensions)
        try:
            with os.scandir(root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise DatasetError(f"{root}: the folder cannot be listed ({exc.strerror or exc}). "
                               "Check its permissions (chmod a+rx).") from None
        paths, labels, classes, empty, left_out, loose = [], [], [], [], [], []
        root_real = os.path.realpath(root)
        folders = []
        for entry in entries:
            folder = is_dir(entry)
            if entry.name.startswith("."):
                left_out.append(LeftOut(entry.path, HIDDEN_FOLDER if folder else HIDDEN, "hidden name"))
            elif folder and is_loop(os.path.realpath(entry.path), [root_real]):  # root/self -> . is no class
                left_out.append(LeftOut(entry.path, LOOP, f"a link back to {os.path.realpath(entry.path)}, "
                                                          "not followed"))
            elif folder:
                folders.append(entry)
            else:
                not_image = format_left_out(entry.path, exts)
                if not_image is None:
                    loose.append(entry.name)
                    not_image = LeftOut(entry.path, NO_CLASS, "an image directly in the root: no class")
                left_out.append(not_image)
        scans = [(entry.name, scan_folder(entry.path, exts)) for entry in folders]
        where = defaultdict(list)  # (st_dev, st_ino) -> [(class, path)]
        for name, scan in scans:
            for key, path in scan.owners.items():
                where[key].append((name, path))
        crossed = [places for places in where.values() if len(places) > 1]
        shared = {path: places for places in crossed for _, path in places}
        for name, scan in scans:
            images = [p for p in scan.images if p not in shared]
            class_left_out = scan.left_out + [
                LeftOut(p, TWO_CLASSES, "also " + ", ".join(q for _, q in shared[p] if q != p))
                for p in scan.images if p in shared
            ]
            left_out += class_left_out
            if not images:
                note = describe_left_out(class_left_out)
                empty.append(f"{name} (0 images; {note})" if note else f"{name} (empty)")
                continue
            labels.extend([len(classes)] * len(images))
            classes.append(name)
            paths.extend(images)
        if not classes:
            hint = (f" It holds {len(loose)} images directly: for unlabelled images use featclf.UnlabelledFolder."
                    if loose else "")
            held = f" Class folders found: {', '.join(empty)}." if empty else ""
            raise DatasetError(
                f"{root}: no class folder with images found. Expected the layout root/<class>/<image> "
                f"({_extensions_text(exts)}).{held}{hint}"
            )
        if empty or loose or crossed or _warns(left_out):
            note = _scan_note(left_out)
            parts = [f"{root}: {_count(len(paths), 'image')} in {_count(len(classes), 'class')}{';' if note else '.'}"
                     f"{note}"]
            if empty:
                parts.append(f"Class folders with no images left out: {', '.join(empty)}.")
            if loose:
                parts.append(f"{len(loose)} images directly in the root belong to no class and are ignored "
                             f"(e.g. {loose[0]}).")
            if crossed:
                shown = "; ".join(" is also ".join(p for _, p in places) for places in crossed[:5])
                parts.append(f"{len(crossed)} image files are reachable under two classes and were left out of "
                             f"every class: {shown}{'; ...' if len(crossed) > 5 else ''}. Such a file would carry "
                             "contradictory labels and leak between the training and test parts of a fold; keep it "
                             "in one class folder (remove the link or the copy) to use it.")
            warnings.warn(" ".join(parts), FeatclfWarning, stacklevel=2)
        self.root = root
        super().__init__(paths, labels, classes, name=os.path.basename(os.path.normpath(root)) or root,
                         left_out=left_out)

    @property
    def paths(self) -> list[str]:
        return self.sources


class UnlabelledFolder(ImageDataset):
    """Every image below ``root`` (recursive), without labels -- for clustering.

    Same scanning rules as :class:`ImageFolder` (formats the installed Pillow decodes,
    hidden entries left out, symlinks followed and loops cut, each real file once, every
    left-out entry counted in ``left_out`` and warned about), and images directly in
    ``root`` count.

    Attributes
    ----------
    paths : list of str
    labels : None
    classes : None
    left_out : list of LeftOut

    Raises
    ------
    DatasetNotFoundError
        ``root`` does not exist.
    DatasetError
        No image was found (the message says what was left out).
    """

    def __init__(self, root, *, extensions=None):
        root = _check_root(root)
        exts = _check_extensions(extensions)
        scan = scan_folder(root, exts)
        if not scan.images:
            raise DatasetError(f"{root}: no images found ({_extensions_text(exts)}).{_scan_note(scan.left_out)}")
        if _warns(scan.left_out):
            warnings.warn(f"{root}: {_count(len(scan.images), 'image')};{_scan_note(scan.left_out)}", FeatclfWarning,
                          stacklevel=2)
        self.root = root
        super().__init__(scan.images, None, None, name=os.path.basename(os.path.normpath(root)) or root,
                         left_out=scan.left_out)

    @property
    def paths(self) -> list[str]:
        return self.sources


def _lines(numbers, limit: int = 10) -> str:
    """``'line 3'``, ``'lines 3, 5 and 9'``, ``'lines 3, 5, ... (12 in all)'``."""
    numbers = list(numbers)
    if len(numbers) == 1:
        return f"line {numbers[0]}"
    shown = ", ".join(str(n) for n in numbers[:limit])
    return f"lines {shown}" + (f", ... ({len(numbers)} in all)" if len(numbers) > limit else "")


def _read_csv_text(csv_path: str, encoding) -> str:
    """The text of a manifest, or a DatasetError naming the file, the line and the fix."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise InvalidParameterError(
                f"The 'encoding' parameter of CSVManifest must be a text encoding Python knows, e.g. 'utf-8', "
                f"'latin-1' or 'cp1252'. Got {encoding!r} instead."
            ) from None
    try:
        with open(csv_path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DatasetError(f"{csv_path}: the manifest cannot be read ({exc.strerror or exc}). "
                           "Check its permissions.") from None
    if not data.strip():
        raise DatasetError(f"{csv_path}: the file is empty. A manifest starts with a header line such as "
                           "'path,label', then one line per image.")
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DatasetError(f"{csv_path}: the file is UTF-16 text (it starts with a UTF-16 byte-order mark). "
                           "Re-save it as UTF-8 (a spreadsheet's 'CSV UTF-8'), or pass encoding='utf-16'.")
    if encoding is None and b"\x00" in data[:8192]:
        raise DatasetError(f"{csv_path}: not a text file (it holds NUL bytes: a spreadsheet workbook such as "
                           ".xlsx, or another binary file). Export it from the spreadsheet as 'CSV UTF-8'.")
    try:
        return data.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        read_as = encoding or "UTF-8"
        hint = ("The file was probably saved as Windows-1252 or Latin-1: re-save it as UTF-8 (a spreadsheet's "
                "'CSV UTF-8'), or pass its encoding: encoding='cp1252' (command line: --csv-encoding cp1252) reads "
                "both" if encoding is None else
                "Pass the file's real encoding (command line: --csv-encoding ENC), or re-save it as UTF-8")
        raise DatasetError(
            f"{csv_path}, line {line}: not valid {read_as} text (byte 0x{data[exc.start]:02x} at column {column}). "
            f"{hint}."
        ) from None


def _inside(real: str, folder_real: str) -> bool:
    return real == folder_real or real.startswith(folder_real.rstrip(os.sep) + os.sep)


class CSVManifest(ImageDataset):
    """Images listed in a CSV file with a path column and a label column.

    Relative paths are resolved against the folder of the CSV file. Label values
    may be any strings; classes are their sorted unique values. Nothing is decoded
    and no listed file is opened here.

    A manifest is treated as untrusted input (it may come with a downloaded dataset):

    * **Paths must stay inside the manifest's folder.** A path that resolves outside it
      (``../elsewhere/photo.png``, an absolute path elsewhere, a symlink leading out) is
      refused unless ``allow_outside=True`` (CLI: ``--allow-outside``). Otherwise a
      manifest could make featclf read any file the user can read and embed it as a
      thumbnail in the shareable HTML report, or reveal whether it exists through the
      skip reasons. The refusal is decided on the path alone, before any listed file is
      touched, so its message is the same whether the outside file exists or not.
    * Each image is listed once (after resolving ``..`` and symlinks): a repeated path is an
      error naming its lines, as it would count twice and could fall in both parts of a fold.
    * Every row needs a non-empty path and, for a labelled manifest, a non-empty label
      (empty or blank cells are missing labels; the error names all their lines).
    * The file is read as UTF-8 (a UTF-8 byte-order mark is fine); text in another
      encoding is an error naming the line and the fix, unless ``encoding=`` says which.

    Parameters
    ----------
    csv_path : str or os.PathLike
    path_column : str, default='path'
    label_column : str or None, default='label'
        ``None`` reads an unlabelled manifest.
    allow_outside : bool, default=False
        Accept paths that resolve outside the manifest's folder. Only for a manifest you trust.
    group_column : str, optional
        A column naming each image's group (e.g. the object or session it shows), read
        into ``groups``: :func:`featclf.evaluate` keeps each group in one fold, so
        near-duplicate shots never straddle training and test (CLI: ``--groups COLUMN``).
        Every row needs a group.
    encoding : str, optional
        The file's text encoding (e.g. ``'cp1252'``, ``'latin-1'``, ``'utf-16'``); default UTF-8.

    Raises
    ------
    DatasetNotFoundError
        ``csv_path`` does not exist.
    DatasetError
        An empty, binary or mis-encoded file, a missing column, empty cells (path, label or group), a repeated
        image, or paths outside the manifest's folder (without ``allow_outside=True``).
    InvalidParameterError
        An unknown ``encoding``.
    """

    def __init__(self, csv_path, *, path_column: str = "path", label_column: str | None = "label",
                 allow_outside: bool = False, group_column: str | None = None, encoding: str | None = None):
        csv_path = os.fspath(csv_path)
        if not os.path.isfile(csv_path):
            raise DatasetNotFoundError(f"{csv_path}: no such CSV file.")
        base = os.path.dirname(os.path.abspath(csv_path))
        base_real = os.path.realpath(base)
        reader = csv.DictReader(io.StringIO(_read_csv_text(csv_path, encoding), newline=""), strict=True)
        done = 0
        try:
            header = [name.strip() for name in reader.fieldnames or []]  # ' label' is the column 'label'
            reader.fieldnames = header
            cli = {"path_column": f"on the command line, name the column {path_column!r}",
                   "label_column": f"on the command line, name the column {label_column!r}",
                   "group_column": "on the command line, --groups COLUMN"}
            for column, param in ((path_column, "path_column"), (label_column, "label_column"),
                                  (group_column, "group_column")):
                if column is not None and column not in header:
                    sep = next((s for s in (";", "\t", "|") if len(header) == 1 and s in header[0]), None)
                    hint = (f" The header looks {sep!r}-separated: save the file comma-separated."
                            if sep else f" Set {param}= to the column's name ({cli[param]}).")
                    raise DatasetError(f"{csv_path}: no column {column!r}; the header has {header}.{hint}")
            paths, values, groups, real_lines = [], [], [], {}
            no_path, no_label, no_group, outside, repeated = [], [], [], [], []
            done = reader.line_num  # lines read so far: a faulty record starts on the next one
            for row in reader:
                line, done = done + 1, reader.line_num
                path = (row.get(path_column) or "").strip()
                value = (row.get(label_column) or "").strip() if label_column is not None else None
                if not path:
                    no_path.append(line)
                    continue
                if label_column is not None and not value:
                    no_label.append((line, path))
                if group_column is not None:
                    groups.append((row.get(group_column) or "").strip())
                    if not groups[-1]:
                        no_group.append(line)
                full = os.path.normpath(os.path.join(base, path))
                real = os.path.realpath(full)
                if not allow_outside and not _inside(real, base_real):
                    outside.append((line, path))
                if real in real_lines:
                    repeated.append((real_lines[real], line, path))
                real_lines.setdefault(real, line)
                paths.append(full)
                values.append(value)
        except csv.Error as exc:
            raise DatasetError(f"{csv_path}, line {done + 1}: not a readable CSV line ({exc}). "
                               "Check the quoting on that line, or re-export the file as CSV.") from None
        if no_path:
            raise DatasetError(f"{csv_path}, {_lines(no_path)}: empty {path_column!r} value. "
                               "Give every row a path, or remove the rows without one.")
        if outside:
            shown = "; ".join(f"line {n}: {p}" for n, p in outside[:5])
            more = f" (and {len(outside) - 5} more)" if len(outside) > 5 else ""
            raise DatasetError(
                f"{csv_path}: {len(outside)} listed paths lead outside the manifest's folder ({shown}{more}). "
                "A manifest may only list images inside its own folder, so that a manifest from elsewhere cannot "
                "make featclf read other files. If you trust this manifest, pass allow_outside=True "
                "(command line: --allow-outside); or move the images, or the manifest, so the images are below it."
            )
        if no_label:
            first = no_label[0][1]
            raise DatasetError(
                f"{csv_path}, {_lines(n for n, _ in no_label)}: empty {label_column!r} value for {first}"
                f"{' and others' if len(no_label) > 1 else ''} (a missing label). Every image needs a label: "
                "fill them in, or remove those rows."
            )
        if no_group:
            raise DatasetError(f"{csv_path}, {_lines(no_group)}: empty {group_column!r} value (a missing group). "
                               "Give every row a group (an image alone can be its own group).")
        if repeated:
            shown = "; ".join(f"lines {a} and {b}: {p}" for a, b, p in repeated[:5])
            raise DatasetError(
                f"{csv_path}: {len(repeated)} images are listed more than once ({shown}). Each image must appear "
                "once: a repeated image counts twice and can land in both the training and test parts of a fold. "
                "Remove the repeated rows."
            )
        if not paths:
            raise DatasetError(f"{csv_path}: the manifest lists no images (only a header line).")
        labels, classes = encode_labels(values, csv_path) if label_column is not None else (None, None)
        self.csv_path = csv_path
        super().__init__(paths, labels, classes, name=os.path.splitext(os.path.basename(csv_path))[0],
                         groups=groups if group_column is not None else None)

    @property
    def paths(self) -> list[str]:
        return self.sources

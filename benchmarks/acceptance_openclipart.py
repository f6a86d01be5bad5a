"""Acceptance check of the image input layer and ImageFolder on a real collection (issue 2).

Takes a subset of the Open Clip Art PNG collection (a few category folders, nested,
RGBA / LA / palette PNGs with transparent backgrounds), copies it to a temporary
folder, adds non-image and hidden files beside the images, and checks that:

1. ``featclf.ImageFolder`` finds exactly the image files (compared with an independent
   ``os.walk`` listing of the source collection) and exactly the class folders;
2. every image loads as an ``(H, W, 3)`` uint8 array, and wherever the file's alpha is 0
   the output is white (255, 255, 255) -- not the black a naive conversion gives;
3. after truncating one copied file, ``load_images(on_error="raise")`` raises featclf's
   ``ImageLoadError`` naming that file, and ``on_error="skip"`` skips it, reports it by
   name (``.skipped`` and a ``SkippedImagesWarning``) and loads every other image.

The collection is found at ``$FEATCLF_OPENCLIPART`` or
``/work/data/openclipart/usr/share/openclipart/png`` (get it with
``apt-get download openclipart-png && dpkg -x openclipart-png_*.deb DIR``). Counts are
printed and saved to ``benchmarks/results/acceptance_openclipart.json``; the exit status
is 1 if any check fails, 2 if the collection is absent.

    python benchmarks/acceptance_openclipart.py [--classes buildings science ...] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402  (puts the repository root on sys.path)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

DEFAULT_COLLECTION = "/work/data/openclipart/usr/share/openclipart/png"
# Six categories: 316 PNGs, nested sub-folders, RGBA + LA + palette (+ one L) images,
# symlinked files, none larger than 2 megapixels (the "food" folder holds 170-megapixel files).
DEFAULT_CLASSES = ["buildings", "decorations", "electronics", "logos", "science", "tools"]
NON_IMAGE_FILES = {"README.txt": b"about these pictures\n", "sound.ogg": b"OggS\x00fake",
                   "drawing.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>", "index.dat": b"\x00\x01\x02"}


def find_collection(path=None):
    for candidate in (path, os.environ.get("FEATCLF_OPENCLIPART"), DEFAULT_COLLECTION):
        if candidate and os.path.isdir(candidate):
            return candidate
    return None


def walk_pngs(root: str) -> list[str]:
    """Independent listing: relative paths of the .png entries below ``root`` (files or links to files)."""
    out = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if name.lower().endswith(".png") and not name.startswith(".") and os.path.isfile(path):
                out.append(os.path.relpath(path, root))
    return sorted(out)


def build_copy(collection: str, classes: list[str], dest: str) -> dict:
    """Copy the class folders (links dereferenced) and add non-image, hidden and empty entries."""
    added = Counter()
    for name in classes:
        shutil.copytree(os.path.join(collection, name), os.path.join(dest, name), symlinks=False)
        folders = sorted({os.path.dirname(os.path.join(dest, name, r)) for r in walk_pngs(os.path.join(dest, name))})
        for folder in folders[:2]:  # the class folder and one nested folder
            for fname, data in NON_IMAGE_FILES.items():
                with open(os.path.join(folder, fname), "wb") as f:
                    f.write(data)
                added[os.path.splitext(fname)[1]] += 1
        Image.new("RGBA", (4, 4)).save(os.path.join(dest, name, ".hidden_thumbnail.png"))
        added["hidden image"] += 1
        os.makedirs(os.path.join(dest, name, "empty_subfolder"))
    os.makedirs(os.path.join(dest, ".trash", "old"))
    Image.new("RGB", (4, 4)).save(os.path.join(dest, ".trash", "old", "deleted.png"))
    added["hidden folder image"] += 1
    return dict(added)


def transparency_mask(path: str):
    """Boolean mask of alpha == 0 pixels as the file stores them (None when the file has no alpha)."""
    with Image.open(path) as im:
        if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
            rgba = np.asarray(im.convert("RGBA"))
            with warnings.catch_warnings():  # Pillow's note on palette transparency: naive on purpose
                warnings.simplefilter("ignore")
                naive = np.asarray(im.convert("RGB"))
            mask = rgba[..., 3] == 0
            return im.mode, mask, bool(mask.any() and (naive[mask] == 0).all(axis=-1).any())
        return im.mode, None, False


def run(collection: str, classes: list[str], n_jobs: int, workdir: str) -> dict:
    import featclf
    from featclf.exceptions import ImageLoadError, SkippedImagesWarning

    checks: dict[str, bool] = {}
    counts: dict = {}
    root = os.path.join(workdir, "openclipart_subset")
    os.makedirs(root)

    # the source collection, listed independently, before anything is added
    expected = sorted(os.path.join(root, c, r) for c in classes for r in walk_pngs(os.path.join(collection, c)))
    counts["source_links"] = sum(
        os.path.islink(os.path.join(collection, os.path.relpath(p, root))) for p in expected
    )
    counts["added_non_image_or_hidden"] = build_copy(collection, classes, root)

    # 1. the folder loader
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = featclf.ImageFolder(root)
    counts["scan_seconds"] = round(time.perf_counter() - t0, 3)
    counts["images_expected_by_os_walk"] = len(expected)
    counts["images_found_by_ImageFolder"] = len(ds.paths)
    counts["files_on_disk_below_root"] = sum(len(f) for _, _, f in os.walk(root))
    checks["folder finds exactly the image files"] = sorted(ds.paths) == expected
    checks["classes are the class folders, sorted"] = ds.classes == sorted(classes)
    checks["labels match the first-level folder"] = all(
        ds.classes[label] == os.path.relpath(p, root).split(os.sep)[0] for p, label in zip(ds.paths, ds.labels)
    )
    counts["class_counts"] = ds.class_counts()
    counts["scan_warnings"] = [str(w.message) for w in caught]

    # 2. every image as (H, W, 3) uint8, transparency white
    t0 = time.perf_counter()
    loaded = featclf.load_images(ds, n_jobs=n_jobs, verbose=0)
    counts["load_seconds"] = round(time.perf_counter() - t0, 3)
    counts["megapixels"] = round(sum(im.shape[0] * im.shape[1] for im in loaded.images) / 1e6, 1)
    checks["every image loads"] = loaded.indices == list(range(len(ds))) and not loaded.skipped
    checks["every image is (H, W, 3) uint8"] = all(
        im.ndim == 3 and im.shape[2] == 3 and im.dtype == np.uint8 for im in loaded.images
    )
    modes, with_alpha, transparent_pixels, naive_black, not_white = Counter(), 0, 0, 0, []
    for path, image in zip(ds.paths, loaded.images):
        mode, mask, black_if_naive = transparency_mask(path)
        modes[mode] += 1
        if mask is None or not mask.any():
            continue
        with_alpha += 1
        transparent_pixels += int(mask.sum())
        naive_black += black_if_naive
        if mask.shape != image.shape[:2] or not (image[mask] == 255).all():
            not_white.append(path)
    counts["modes_in_files"] = dict(modes)
    counts["images_with_transparent_pixels"] = with_alpha
    counts["transparent_pixels_checked"] = transparent_pixels
    counts["images_a_naive_convert_would_show_black"] = naive_black
    counts["images_not_white_where_transparent"] = not_white
    checks["transparent pixels are white"] = with_alpha > 0 and not not_white
    del loaded

    # 3. one truncated file
    victim_index = next(i for i, p in enumerate(ds.paths) if transparency_mask(p)[0] == "RGBA")
    victim = ds.paths[victim_index]
    with open(victim, "rb") as f:
        data = f.read()
    with open(victim, "wb") as f:
        f.write(data[: len(data) // 2])
    counts["truncated_file"] = os.path.relpath(victim, root)
    try:
        featclf.load_images(ds, n_jobs=n_jobs, verbose=0)
        raised = None
    except ImageLoadError as exc:  # the featclf error (also an OSError)
        raised = exc
    counts["on_error_raise"] = f"{type(raised).__name__}: {raised}" if raised else "nothing raised"
    checks["truncated file raises the featclf error naming it"] = (
        raised is not None and raised.source == victim and str(raised).startswith(victim) and isinstance(raised, OSError)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        skipped = featclf.load_images(ds, on_error="skip", n_jobs=n_jobs, verbose=0)
    skip_warnings = [w for w in caught if issubclass(w.category, SkippedImagesWarning)]
    counts["on_error_skip"] = {
        "loaded": len(skipped.images), "skipped": [[os.path.relpath(s, root), r] for _, s, r in skipped.skipped],
        "warning": str(skip_warnings[0].message) if skip_warnings else None,
    }
    checks["skip reports the truncated file by name"] = (
        [s for _, s, _ in skipped.skipped] == [victim] and len(skip_warnings) == 1 and victim in str(skip_warnings[0].message)
    )
    checks["skip loads every other image"] = (
        len(skipped.images) == len(ds) - 1 and skipped.indices == [i for i in range(len(ds)) if i != victim_index]
        and all(im.ndim == 3 and im.shape[2] == 3 and im.dtype == np.uint8 for im in skipped.images)
    )
    return {"collection": collection, "classes": classes, "n_jobs": n_jobs, "counts": counts, "checks": checks,
            "passed": all(checks.values())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collection", help="the png/ folder of Open Clip Art (default: $FEATCLF_OPENCLIPART, "
                        f"then {DEFAULT_COLLECTION})")
    parser.add_argument("--classes", nargs="+", default=DEFAULT_CLASSES)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--no-save", action="store_true", help="print only; do not write the JSON result")
    args = parser.parse_args(argv)

    collection = find_collection(args.collection)
    if collection is None:
        print("Open Clip Art not found: set FEATCLF_OPENCLIPART or --collection to its png/ folder.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="featclf-openclipart-") as workdir:
        result = run(collection, args.classes, args.n_jobs, workdir)

    counts = result["counts"]
    print(f"collection: {collection}")
    print(f"classes: {', '.join(result['classes'])}")
    for key in ("images_expected_by_os_walk", "images_found_by_ImageFolder", "files_on_disk_below_root",
                "source_links", "added_non_image_or_hidden", "class_counts", "modes_in_files",
                "images_with_transparent_pixels", "transparent_pixels_checked",
                "images_a_naive_convert_would_show_black", "megapixels", "scan_seconds", "load_seconds",
                "truncated_file", "on_error_raise"):
        print(f"  {key}: {counts[key]}")
    print(f"  on_error_skip: loaded {counts['on_error_skip']['loaded']}, skipped {counts['on_error_skip']['skipped']}")
    for name, ok in result["checks"].items():
        print(f"[{'PASS' if ok else 'FAIL'}] {name}")
    if not args.no_save:
        path = _common.save_json("acceptance_openclipart", {**_common.header(), **result})
        print(f"saved {path}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

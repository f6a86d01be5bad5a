"""HOG from image files: featclf against the plain decode + resize + HOG loops, same files, same run.

The same N Open Clip Art PNG files (colour, mostly with transparency; sorted by path, N
spread evenly over the sorted list: ``kept[i * len(kept) // N]``) go through, per image:

* (a) ``featclf.HOG(size=(64, 64), n_jobs=1, verbose=0).fit(paths).transform(paths)``:
  decoding, transparency composited onto white (as ``load_image`` documents), resizing
  to 64x64 (OpenCV area averaging), OpenCV HOG in scikit-image's layout (1,764 features);
* (b) the plain scikit-image loop: ``Image.open(p).convert('RGB')`` (Pillow **drops** the
  alpha channel: transparent pixels keep whatever colour the file stores, usually black;
  a palette's transparent entry keeps its palette colour; nothing is composited), then
  ``.resize((64, 64))`` (Pillow's default filter, bicubic), then ``skimage.feature.hog``
  with the same parameters (9 orientations, 8x8-pixel cells, 2x2-cell blocks, L2-Hys,
  ``channel_axis=-1``);
* (c) the plain OpenCV loop: ``cv2.imread(p)`` (``IMREAD_COLOR``: alpha dropped too),
  ``cv2.resize(..., (64, 64), interpolation=cv2.INTER_AREA)``,
  ``cv2.HOGDescriptor((64, 64), (16, 16), (8, 8), (8, 8), 9).compute``.

The three run interleaved, ``--repeats`` times; the best time of each is kept. OpenCV
keeps its default thread count in (a) and (c) (recorded); (a) is also timed with
``cv2.setNumThreads(1)`` as a further row, so the figure does not rest on a second core.

(d) Profile of featclf's time, best of ``--repeats`` passes over the same files timing
the input layer's functions one by one as the engine chains them: Pillow's PNG decoding
alone (``Image.open`` + ``load``, which every loop pays), the rest of ``decode_image``
(array conversion, and compositing where the engine asks for it while decoding), then
``convert_image(.., 'rgb')`` (compositing, when not done while decoding), ``resize_image``
and the HOG kernel's ``compute``. The plain loop's stages are timed the same way.

(e) Shrink-before-compositing probe (not a featclf path), on the images with transparency:
resize the RGBA image to 64x64 first, then composite the small image -- straight alpha,
and premultiplied alpha (Pillow ``'RGBa'``). Neither is bit-identical to compositing at full resolution; the probe records
how much faster it would be and by how much the features would change.

Features: the SHA-256 of featclf's feature matrix is recorded; with ``--reference FILE.npy``
(saved by ``--save-features`` on another commit) they are compared bit for bit.

Images over ``--max-pixels`` (16 Mpixels, as ``bench_parallel.py``: posters of 100-620
Mpixels, some beyond Pillow's decompression-bomb limit, which featclf refuses) are left
out before the selection; what was left out is recorded.

Run it alone (timing on 2 cores)::

    flock -x /tmp/featclf-cpu.lock python benchmarks/bench_decode.py

Target: featclf at least 1.5x faster per image than the plain scikit-image loop (b).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import sys
import time
import warnings

import numpy as np

import _common

TARGET_SPEEDUP = 1.5
OPENCLIPART = "/work/data/openclipart/usr/share/openclipart/png"
SIZE = (64, 64)
HOG_PARAMS = {"orientations": 9, "pixels_per_cell": (8, 8), "cells_per_block": (2, 2), "block_norm": "L2-Hys"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--openclipart-root", default=os.environ.get("FEATCLF_OPENCLIPART", OPENCLIPART))
    p.add_argument("--n-images", type=int, default=1002)
    p.add_argument("--max-pixels", type=float, default=16e6,
                   help="leave out images with more pixels (as bench_parallel.py)")
    p.add_argument("--repeats", type=int, default=5, help="interleaved repetitions; best kept (default 5)")
    p.add_argument("--no-profile", action="store_true", help="skip the profile (d) and the shrink probe (e)")
    p.add_argument("--reference", help="features (.npy) to compare featclf's with, bit for bit")
    p.add_argument("--save-features", help="save featclf's features to this .npy (and a .json beside it)")
    p.add_argument("--quick", action="store_true", help="100 images, 2 repeats, own JSON file")
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.n_images, args.repeats = 100, 2
    return args


def select_files(args):
    """Sorted PNG paths under the root, over-large ones left out, N spread evenly."""
    info = _common.openclipart_pngs(args.openclipart_root)
    found = list(info)
    kept = [p for p in found if info[p][0] <= args.max_pixels]
    excluded = [p for p in found if info[p][0] > args.max_pixels]
    n = min(args.n_images, len(kept))
    paths = [kept[i * len(kept) // n] for i in range(n)]
    modes = {}
    for p in paths:
        modes[info[p][1]] = modes.get(info[p][1], 0) + 1
    pixels = [info[p][0] for p in paths]
    desc = {
        "data": f"Open Clip Art PNGs under {args.openclipart_root}, sorted by path, "
                f"N spread evenly: kept[i * len(kept) // N]",
        "n_files_found": len(found),
        "excluded_over_max_pixels": {
            "max_pixels": args.max_pixels, "n": len(excluded),
            "over_pillow_bomb_limit": sum(info[p][0] == float("inf") for p in excluded),
            "files": [os.path.relpath(p, args.openclipart_root) for p in excluded],
        },
        "n_images": n,
        "paths_sha256": hashlib.sha256("\n".join(os.path.relpath(p, args.openclipart_root)
                                                 for p in paths).encode()).hexdigest(),
        "pillow_modes": dict(sorted(modes.items(), key=lambda kv: -kv[1])),
        "pixels": {"median": float(np.median(pixels)), "mean": float(np.mean(pixels)), "max": float(max(pixels))},
        "mean_file_bytes": float(np.mean([os.path.getsize(p) for p in paths])),
    }
    return paths, desc


# -- the three loops -----------------------------------------------------------------------
def featclf_hog(paths):
    import featclf

    return featclf.HOG(size=SIZE, n_jobs=1, verbose=0).fit(paths).transform(paths)


def featclf_hog_cv2_one_thread(paths):
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        return featclf_hog(paths)
    finally:
        cv2.setNumThreads(before)


def skimage_loop(paths):
    from PIL import Image
    from skimage.feature import hog

    rows = []
    with warnings.catch_warnings():
        # Pillow warns that palette images with transparency "should be converted to RGBA":
        # the plain loop ignores transparency, as most tutorial code does.
        warnings.simplefilter("ignore", UserWarning)
        for path in paths:
            with Image.open(path) as im:
                small = im.convert("RGB").resize(SIZE[::-1])
            rows.append(hog(np.asarray(small), orientations=HOG_PARAMS["orientations"],
                            pixels_per_cell=HOG_PARAMS["pixels_per_cell"],
                            cells_per_block=HOG_PARAMS["cells_per_block"], block_norm=HOG_PARAMS["block_norm"],
                            feature_vector=True, channel_axis=-1))
    return np.asarray(rows, dtype=np.float32)


def make_cv2_loop():
    import cv2

    descriptor = cv2.HOGDescriptor((SIZE[1], SIZE[0]), (16, 16), (8, 8), (8, 8), 9)

    def cv2_loop(paths):
        rows = []
        for path in paths:
            small = cv2.resize(cv2.imread(path), SIZE[::-1], interpolation=cv2.INTER_AREA)
            rows.append(descriptor.compute(small).ravel())
        return np.asarray(rows, dtype=np.float32)

    return cv2_loop


# -- (d) profile ---------------------------------------------------------------------------
def profile_featclf(paths):
    """Seconds per stage of featclf's path over ``paths`` (one pass)."""
    from PIL import Image

    import featclf
    from featclf.io import convert_image, decode_image, resize_image

    kernel = featclf.HOG(size=SIZE, n_jobs=1, verbose=0).fit(paths[:1])._kernel(paths)
    # The engine of this commit composites while decoding when it can (decode_image's
    # ``background``); older commits decode the canonical RGBA image and composite in
    # convert_image. The profile follows whichever this commit has.
    try:
        from featclf.engine._extract import _decode_background

        background = _decode_background([kernel])
    except ImportError:
        background = None
    if "background" not in inspect.signature(decode_image).parameters:
        background = None
    kwargs = {} if background is None else {"background": background}
    clock = time.perf_counter
    stages = dict.fromkeys(["png_decode", "decode_image_rest", "convert_image", "resize_image", "hog_compute"], 0.0)
    shapes = {"grey": 0, "rgb": 0, "rgba": 0}
    for path in paths:
        t0 = clock()
        with Image.open(path) as im:
            im.load()
        t1 = clock()
        image = decode_image(path, **kwargs)
        t2 = clock()
        shapes["grey" if image.ndim == 2 else ("rgb" if image.shape[2] == 3 else "rgba")] += 1
        if image.ndim != 2:  # as HOGKernel.prepare
            image = convert_image(image, "rgb")
        t3 = clock()
        small = resize_image(image, SIZE)
        t4 = clock()
        kernel.compute([small])
        t5 = clock()
        stages["png_decode"] += t1 - t0
        stages["decode_image_rest"] += (t2 - t1) - (t1 - t0)
        stages["convert_image"] += t3 - t2
        stages["resize_image"] += t4 - t3
        stages["hog_compute"] += t5 - t4
    return stages, {"decode_background": background, "decoded_layouts": shapes}


def profile_skimage_loop(paths):
    from PIL import Image
    from skimage.feature import hog

    clock = time.perf_counter
    stages = dict.fromkeys(["png_decode", "convert_rgb", "pil_resize", "skimage_hog"], 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for path in paths:
            t0 = clock()
            with Image.open(path) as im:
                im.load()
                t1 = clock()
                rgb = im.convert("RGB")
            t2 = clock()
            small = np.asarray(rgb.resize(SIZE[::-1]))
            t3 = clock()
            hog(small, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys",
                feature_vector=True, channel_axis=-1)
            t4 = clock()
            stages["png_decode"] += t1 - t0
            stages["convert_rgb"] += t2 - t1
            stages["pil_resize"] += t3 - t2
            stages["skimage_hog"] += t4 - t3
    return stages


# -- (e) shrink before compositing ---------------------------------------------------------
def _composite_small(rgba_small, premultiplied):
    """Composite a (64, 64, 4) image onto white, exactly rounded."""
    a = rgba_small[..., 3:4].astype(np.uint32)
    c = rgba_small[..., :3].astype(np.uint32)
    if premultiplied:  # c already holds round(colour * a / 255)
        return np.minimum(c + (255 * (255 - a) + 127) // 255, 255).astype(np.uint8)
    return ((c * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def shrink_probe(paths, exact, repeats):
    """Time and feature change of resizing images with transparency before compositing them."""
    from PIL import Image

    import featclf
    from featclf.io import WHITE, convert_image, decode_image, resize_image

    kernel = featclf.HOG(size=SIZE, n_jobs=1, verbose=0).fit(paths[:1])._kernel(paths)
    rgba_rows = [i for i, path in enumerate(paths) if decode_image(path).shape[2:] == (4,)]
    subset = [paths[i] for i in rgba_rows]
    clock = time.perf_counter
    # The exact path as fast as this commit's input layer makes it.
    kwargs = {"background": WHITE} if "background" in inspect.signature(decode_image).parameters else {}

    def exact_path(path):
        image = decode_image(path, **kwargs)
        if image.ndim != 2:
            image = convert_image(image, "rgb")
        return resize_image(image, SIZE)

    def straight(path):
        return _composite_small(resize_image(decode_image(path), SIZE), premultiplied=False)

    def premultiplied(path):
        with Image.open(path) as im:
            im.load()
            rgba = np.asarray(im.convert("RGBA").convert("RGBa"))
        return _composite_small(resize_image(rgba, SIZE), premultiplied=True)

    variants = {"exact (composite, then resize)": exact_path, "straight alpha: resize, then composite": straight,
                "premultiplied (RGBa): resize, then composite": premultiplied}
    times = {name: [] for name in variants}
    smalls = {}
    for _ in range(repeats):
        for name, func in variants.items():
            t0 = clock()
            smalls[name] = [func(p) for p in subset]
            times[name].append(clock() - t0)
    out = {"n_images_with_alpha": len(subset), "variants": {}}
    reference = exact[rgba_rows] if len(rgba_rows) else None

    def as_rgb(images):  # the exact path may give grey images (same features): compare as RGB
        return np.stack([np.dstack([im, im, im]) if im.ndim == 2 else im for im in images]).astype(np.int16)

    for name, images in smalls.items():
        feats = kernel.compute(images)
        pixels = np.abs(as_rgb(images) - as_rgb(smalls[next(iter(variants))]))
        diff = np.abs(feats.astype(np.float64) - reference)
        out["variants"][name] = {
            "ms_per_image": round(1e3 * min(times[name]) / max(len(subset), 1), 3),
            "input_64x64_max_abs_diff": int(pixels.max()), "input_64x64_mean_abs_diff": round(float(pixels.mean()), 4),
            "input_64x64_fraction_values_differing": round(float((pixels > 0).mean()), 4),
            "features_identical": bool(np.array_equal(feats, reference)),
            "features_max_abs_diff": float(diff.max()), "features_mean_abs_diff": float(diff.mean()),
            "images_with_any_feature_differing": int((diff.max(axis=1) > 0).sum()),
        }
    return out


def features_digest(x):
    return hashlib.sha256(np.ascontiguousarray(x, dtype=np.float32).tobytes()).hexdigest()


def main(argv=None):
    args = parse_args(argv)
    import cv2

    paths, data = select_files(args)
    n = len(paths)
    methods = {
        "featclf.HOG (files, transparency composited)": featclf_hog,
        "plain loop: Pillow + skimage.feature.hog": skimage_loop,
        "plain loop: cv2.imread + cv2.HOGDescriptor": make_cv2_loop(),
        "featclf.HOG, cv2.setNumThreads(1)": featclf_hog_cv2_one_thread,
    }
    ours, base = "featclf.HOG (files, transparency composited)", "plain loop: Pillow + skimage.feature.hog"
    for path in paths:  # page cache: every method then reads the files from memory
        with open(path, "rb") as f:
            f.read()
    for func in methods.values():  # warm-up: imports, first calls
        func(paths[:8])
    times = {name: [] for name in methods}
    outputs = {}
    for _ in range(args.repeats):
        for name, func in methods.items():
            t0 = time.perf_counter()
            outputs[name] = func(paths)
            times[name].append(time.perf_counter() - t0)
    best = {name: min(ts) for name, ts in times.items()}
    speedup = best[base] / best[ours]
    rows = [{"method": name, "ms_per_image": 1e3 * best[name] / n, "speedup_vs_skimage_loop": best[base] / best[name],
             "best_s": best[name], "all_s": " ".join(f"{t:.2f}" for t in times[name])} for name in methods]
    print(f"{n} Open Clip Art PNG files, HOG at 64x64, best of {args.repeats} interleaved runs, "
          f"OpenCV threads {cv2.getNumThreads()}")
    _common.print_table(rows, ["method", "ms_per_image", "speedup_vs_skimage_loop", "best_s", "all_s"])

    features = outputs[ours]
    check = {"sha256": features_digest(features), "shape": list(features.shape),
             "same_as_one_thread_run": bool(np.array_equal(features, outputs["featclf.HOG, cv2.setNumThreads(1)"]))}
    if args.reference:
        reference = np.load(args.reference)
        meta_path = os.path.splitext(args.reference)[0] + ".json"
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        same_files = meta.get("paths_sha256") in (None, data["paths_sha256"])
        identical = bool(same_files and reference.shape == features.shape and np.array_equal(reference, features))
        check["reference"] = {"file": args.reference, "sha256": features_digest(reference), "meta": meta,
                              "same_files": same_files, "bit_identical": identical}
        if not identical and reference.shape == features.shape:
            diff = np.abs(reference.astype(np.float64) - features)
            check["reference"].update(max_abs_diff=float(diff.max()),
                                      rows_differing=int((diff.max(axis=1) > 0).sum()))
        print(f"features vs reference {args.reference}: {'bit-identical' if identical else 'DIFFERENT'}")
    if args.save_features:
        np.save(args.save_features, features)
        with open(os.path.splitext(args.save_features)[0] + ".json", "w") as f:
            json.dump({"paths_sha256": data["paths_sha256"], "sha256": check["sha256"],
                       "featclf_git": _common.versions()["featclf_git"], "featclf_file": _import_path()}, f, indent=2)
        print("features saved to", args.save_features)

    profile = None
    if not args.no_profile:
        passes, skimage_passes = [], []
        for _ in range(args.repeats):
            stages, info = profile_featclf(paths)
            passes.append(stages)
            skimage_passes.append(profile_skimage_loop(paths))
        best_pass = min(passes, key=lambda s: sum(s.values()))
        best_skimage = min(skimage_passes, key=lambda s: sum(s.values()))
        profile = {
            "featclf_ms_per_image": {k: round(1e3 * v / n, 3) for k, v in best_pass.items()},
            "featclf_stages_sum_ms": round(1e3 * sum(best_pass.values()) / n, 3),
            "featclf_engine_and_rest_ms": round(1e3 * (best[ours] - sum(best_pass.values())) / n, 3),
            "skimage_loop_ms_per_image": {k: round(1e3 * v / n, 3) for k, v in best_skimage.items()},
            **info,
        }
        print("profile, ms per image (best pass):")
        _common.print_table([{"path": "featclf", **profile["featclf_ms_per_image"],
                              "engine_and_rest": profile["featclf_engine_and_rest_ms"]}],
                            ["path", *best_pass, "engine_and_rest"])
        _common.print_table([{"path": "plain skimage loop", **profile["skimage_loop_ms_per_image"]}],
                            ["path", *best_skimage])
        profile["shrink_before_compositing"] = shrink_probe(paths, features, args.repeats)
        print("shrink-before-compositing probe (images with transparency only):")
        _common.print_table([{"variant": k, **v} for k, v in profile["shrink_before_compositing"]["variants"].items()],
                            ["variant", "ms_per_image", "input_64x64_max_abs_diff", "features_identical",
                             "features_max_abs_diff", "images_with_any_feature_differing"])

    result = {
        **_common.header(),
        "benchmark": "HOG from PNG files: featclf vs plain Pillow + skimage and cv2 loops (same files, same run)",
        "parameters": {"n_images": n, "size": list(SIZE), "repeats": args.repeats, "max_pixels": args.max_pixels,
                       "opencv_threads": cv2.getNumThreads(),
                       "hog": {k: list(v) if isinstance(v, tuple) else v for k, v in HOG_PARAMS.items()},
                       "featclf": "HOG(size=(64, 64), n_jobs=1, verbose=0).fit(paths).transform(paths)",
                       "skimage_loop": "Image.open(p).convert('RGB') (alpha dropped, not composited)"
                                       ".resize((64, 64)) (bicubic); skimage.feature.hog(9, (8, 8), (2, 2), "
                                       "'L2-Hys', channel_axis=-1)",
                       "cv2_loop": "cv2.imread(p) (IMREAD_COLOR, alpha dropped); cv2.resize INTER_AREA 64x64; "
                                   "cv2.HOGDescriptor((64, 64), (16, 16), (8, 8), (8, 8), 9).compute"},
        "data": data,
        "methods": {name: {"best_s": round(best[name], 4), "ms_per_image": round(1e3 * best[name] / n, 3),
                           "all_s": [round(t, 4) for t in times[name]]} for name in methods},
        "baseline": base,
        "speedup_vs_skimage_loop": round(speedup, 3),
        "features": check,
        "profile": profile,
        "targets": {"speedup_vs_skimage_loop": _common.target(round(speedup, 3), TARGET_SPEEDUP, unit="x")},
    }
    met = result["targets"]["speedup_vs_skimage_loop"]["met"]
    print(f"featclf: {1e3 * best[ours] / n:.2f} ms/image, plain skimage loop {1e3 * best[base] / n:.2f} ms/image: "
          f"{speedup:.2f}x (target >= {TARGET_SPEEDUP:g}x: {'met' if met else 'NOT met'})")
    if not args.no_save:
        print("saved", _common.save_json("decode_quick" if args.quick else "decode", result))
    return 0


def _import_path():
    import featclf

    return featclf.__file__


if __name__ == "__main__":
    sys.exit(main())

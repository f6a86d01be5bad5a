"""Cluster an unlabelled folder of images, look at the gallery, export one folder per cluster.

What it shows (public API only): ``featclf.UnlabelledFolder`` (every image below a folder),
``featclf.cluster`` (features, scaling, k-means; k chosen by silhouette unless ``--k`` is
given), ``summary()``, the self-contained HTML gallery (``to_html``; ``--open`` opens it), the
per-image CSV, and ``export_folders``: ``cluster_00``, ``cluster_01``, ... (0 the largest),
as symbolic links or copies; the originals are never touched.

Data: by default scikit-learn's 8x8 handwritten digits (embedded, no download), written as
PNG files into one flat temporary folder (no class folders: the clustering never sees the
classes; the example passes them as ``labels=`` only to score the clusters with NMI and
ARI); ``--data fashion-mnist`` uses Fashion-MNIST where it is installed; ``--folder DIR``
your own folder (no scores then). ``--limit N`` takes N images, the same number per class.
The default extractor is raw pixels (nothing to install); ``--extractor cnn`` needs torch
(``pip install "featclf[cnn]"``) and is the better choice for photos.

Time here (2 cores): 20 s with the default ``--limit 1000`` (machine busy, load 10); 7 s with
``--limit 300`` (load 2).

    python examples/03_cluster_folder.py --open
    python examples/03_cluster_folder.py --folder ~/photos --extractor cnn --out photo-clusters
"""

from __future__ import annotations

import argparse
import os
import tempfile
import webbrowser

import sample_images

import featclf


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", help="your own folder of images (default: sample data)")
    parser.add_argument("--data", choices=sample_images.SOURCES, default="digits",
                        help="sample data written as PNG files when no --folder is given (default: digits)")
    parser.add_argument("--limit", type=int, default=1000, help="images of the sample data (default 1000)")
    parser.add_argument("--k", type=int, help="number of clusters (default: chosen by silhouette)")
    parser.add_argument("--extractor", default="pixels", help="extractor spec (default: pixels; cnn needs torch)")
    parser.add_argument("--mode", choices=("symlink", "copy"), default="symlink",
                        help="export the cluster folders as symbolic links or copies (default: symlink)")
    parser.add_argument("--out", default="featclf-clusters", help="new or empty folder for the results")
    parser.add_argument("--open", action="store_true", help="open the HTML gallery in a browser")
    args = parser.parse_args(argv)
    export = os.path.join(args.out, "folders")
    if os.path.isdir(export) and os.listdir(export):  # checked before any image is read
        parser.error(f"{export} is not empty: pass another --out, or delete it")

    truth = None
    if args.folder:
        folder = args.folder
    else:
        folder = tempfile.mkdtemp(prefix="featclf-unlabelled-")
        sample = sample_images.load(args.data)
        truth = sample_images.write_images(sample, sample_images.balanced_indices(sample.labels, args.limit),
                                           folder, labelled=False)

    photos = featclf.UnlabelledFolder(folder)  # file names sort in the order written, so truth lines up
    result = featclf.cluster(photos, args.extractor, n_clusters=args.k or "auto", labels=truth, verbose=0)
    print(result.summary())

    os.makedirs(args.out, exist_ok=True)
    result.to_csv(os.path.join(args.out, "clusters.csv"))  # one row per image: its cluster, or why it was skipped
    gallery = os.path.abspath(os.path.join(args.out, "clusters.html"))
    result.to_html(gallery)
    print(f"Gallery: {gallery}")

    counts = result.export_folders(export, mode=args.mode)
    print(f"Exported {sum(counts.values())} images into {len(counts)} folders under {export}: {counts}")
    print("Next: look at the gallery, rename the folders into class names, and train on them "
          "(examples/04_labelling_loop.py does exactly that).")
    if args.open:
        webbrowser.open("file://" + gallery)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

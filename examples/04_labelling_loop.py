"""The labelling loop: cluster an unlabelled folder, name the clusters, train a classifier on them.

What it shows (public API only):

1. ``featclf.cluster`` on a folder of unlabelled images (``featclf.UnlabelledFolder``);
2. ``export_folders``: one folder per cluster, for an analyst to look at;
3. renaming those folders into class names (here done by a stand-in "analyst" who knows
   the true classes; in real use you look at the folders, or at ``clusters.html``, and
   rename, merge or delete them by hand);
4. reading the renamed folders back as ``featclf.ImageFolder`` and training a
   scikit-learn classifier on them;
5. predicting the classes of new images with that classifier.

Data: by default scikit-learn's 8x8 digits (embedded, offline), written as PNG files into
a flat temporary folder: ``--limit`` images (the same number per class) for the collection;
the digits not in it are the "new" images. ``--data fashion-mnist`` uses Fashion-MNIST where
it is installed (500 new images). Or ``--folder DIR``: your own flat folder of images (then
step 3 names the folders ``class_00``, ``class_01``, ... and the scores of step 5 are not computed).

Time here (2 cores): 12 s with the default ``--limit 1000`` (machine busy, load 9); 3 s with
``--limit 300`` (load 2).

    python examples/04_labelling_loop.py
    python examples/04_labelling_loop.py --folder ~/photos --k 8 --extractor cnn
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
import sample_images
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

import featclf


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", help="a flat folder of your own images (default: 8x8 digits written as PNG)")
    parser.add_argument("--data", choices=sample_images.SOURCES, default="digits",
                        help="sample data written as PNG files when no --folder is given (default: digits)")
    parser.add_argument("--limit", type=int, default=1000, help="images in the collection (default 1000)")
    parser.add_argument("--k", type=int, default=10, help="number of clusters (default 10)")
    parser.add_argument("--extractor", default="pixels", help="extractor spec (default: pixels; cnn needs torch)")
    args = parser.parse_args(argv)

    work = tempfile.mkdtemp(prefix="featclf-labelling-")
    if args.folder:
        collection, truth, new_images, new_truth = args.folder, None, None, None
    else:
        collection = os.path.join(work, "unlabelled")
        sample = sample_images.load(args.data)
        picked = sample_images.balanced_indices(sample.labels, args.limit)
        truth = np.asarray(sample_images.write_images(sample, picked, collection, labelled=False))
        rest = np.setdiff1d(np.arange(len(sample)), picked)[:500 if args.data == "fashion-mnist" else None]
        new_images = [sample.load(int(i), mode="gray") for i in rest]
        new_truth = np.asarray([sample.classes[sample.labels[i]] for i in rest])

    # 1. cluster the unlabelled folder
    photos = featclf.UnlabelledFolder(collection)
    result = featclf.cluster(photos, args.extractor, n_clusters=args.k, verbose=0)
    print(result.summary())
    result.to_html(os.path.join(work, "clusters.html"))

    # 2. one folder per cluster (symbolic links: the originals are never touched)
    sorted_dir = os.path.join(work, "sorted")
    counts = result.export_folders(sorted_dir, mode="symlink")
    print(f"Exported {sum(counts.values())} images into {len(counts)} folders under {sorted_dir}")

    # 3. the analyst renames each cluster folder into a class name
    for cluster_id, folder in enumerate(sorted(f for f in counts if f.startswith("cluster_"))):
        members = np.flatnonzero(result.labels_ == cluster_id)
        if truth is not None:  # stand-in analyst: the majority class of the cluster; clusters may share a class
            names, votes = np.unique(truth[members], return_counts=True)
            name = sample_images.safe_name(names[votes.argmax()])
        else:
            name = f"class_{cluster_id:02d}"
        target = os.path.join(sorted_dir, name)
        if os.path.exists(target):  # a second cluster of the same class: merge it into the first
            for file in os.listdir(os.path.join(sorted_dir, folder)):
                os.rename(os.path.join(sorted_dir, folder, file), os.path.join(target, file))
            os.rmdir(os.path.join(sorted_dir, folder))
        else:
            os.rename(os.path.join(sorted_dir, folder), target)

    # 4. the named folders are a labelled dataset: train a classifier on them
    labelled = featclf.ImageFolder(sorted_dir)
    print(f"Labelled by the clusters: {labelled.class_counts()}")
    model = make_pipeline(featclf.make_extractor(args.extractor), SVC())
    model.fit(labelled.sources, labelled.labels)

    # 5. predict new images
    if new_images is not None:
        predicted = np.asarray(labelled.classes)[model.predict(new_images)]
        accuracy = np.mean(predicted == np.array([sample_images.safe_name(c) for c in new_truth]))
        print(f"Accuracy on {len(new_images)} new images, with labels from the clusters alone: {accuracy:.3f}")
    print(f"Gallery: {os.path.join(work, 'clusters.html')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

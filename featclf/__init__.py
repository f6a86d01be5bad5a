"""featclf: image features for classical machine learning.

Pipeline of the package (one subpackage per stage)::

    io         decode one image source into one array contract
    datasets   lazy collections of sources and labels
    kernels    the per-image maths of each extractor, as workers run it
    engine     chunks, parallel loading, the one extraction loop and its record
    extract    feature extractors (scikit-learn transformers) and their registry
    models     classifier presets and NAME:key=value specs
    stages     shared steps of every entry point: features once per extractor, provenance
    report     JSON / Markdown / HTML exports
    training   saved models: train an extractor + classifier, predict class names, save, load
    evaluation cross-validated comparison of extractors x classifiers
    clustering clusters of unlabelled images, assigning new ones, saved clusterings
    cli        the ``featclf`` command, a thin layer over the above

Each layer imports only from those listed above it (evaluation and clustering side
by side, neither importing the other; ``tests/test_layers.py``).

**Loading a saved model or clustering runs code** (a pickle): load only files you trust.

Public names are imported lazily, so ``import featclf`` is quick and never
imports torch, scikit-learn or matplotlib until they are used.
"""

from __future__ import annotations

import importlib

from . import exceptions
from ._version import __version__
from .exceptions import FeatclfError

_LAZY = {
    "ArrayDataset": "featclf.datasets",
    "CSVManifest": "featclf.datasets",
    "ImageDataset": "featclf.datasets",
    "ImageFolder": "featclf.datasets",
    "UnlabelledFolder": "featclf.datasets",
    "load_digits": "featclf.datasets",
    "load_fashion_mnist": "featclf.datasets",
    "load_image": "featclf.io",
    "load_images": "featclf.engine",
    "Extraction": "featclf.engine",
    "make_extractor": "featclf.extract",
    "list_extractors": "featclf.extract",
    "RawPixels": "featclf.extract",
    "HOG": "featclf.extract",
    "ColorHistogram": "featclf.extract",
    "CNNEmbedding": "featclf.extract",
    "list_backbones": "featclf.extract",
    "evaluate": "featclf.evaluation",
    "cluster": "featclf.clustering",
    "ClusteringResult": "featclf.clustering",
    "load_clustering": "featclf.clustering",
    "list_classifiers": "featclf.models",
    "make_classifier": "featclf.models",
    "to_spec": "featclf.models",
    "set_config": "featclf._config",
    "get_config": "featclf._config",
    "config_context": "featclf._config",
    "cache_info": "featclf.engine",
    "clear_cache": "featclf.engine",
    "from_spec": "featclf.models",
    "train": "featclf.training",
    "Model": "featclf.training",
    "load_model": "featclf.training",
}

__all__ = sorted(["FeatclfError", "__version__", "exceptions", *_LAZY])


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'featclf' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__

"""Stages shared by every entry point: features once per extractor (rows paired), provenance.

Evaluation, clustering, saved models and the ``extract`` command build on these;
none of them re-implements computing features, pairing rows across extractors,
merging skipped lists or recording versions.
"""

from ._features import FeatureSet, PairedFeatures, compute_features, pair_features
from ._provenance import collect_versions, dataset_fingerprint

__all__ = ["FeatureSet", "PairedFeatures", "collect_versions", "compute_features", "dataset_fingerprint",
           "pair_features"]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.stages")

"""Stages shared by every entry point: extractor set-up, features once per extractor (rows paired), provenance,
saved files.

Evaluation, clustering, saved models and the ``extract`` command build on these;
none of them re-implements computing features, pairing rows across extractors,
merging skipped lists or recording versions.
"""

from ._features import (
    MEMORY_MARGIN,
    FeatureSet,
    PairedFeatures,
    check_run_memory,
    compute_features,
    extract_features,
    fitted_settings,
    pair_features,
)
from ._provenance import collect_versions, dataset_fingerprint
from ._saved import check_save_path, load_saved, read_manifest, save_payload
from ._setup import check_cache_setting, check_extractor_ready, configure_extractor, log_step, run_cache_dir

__all__ = ["MEMORY_MARGIN", "FeatureSet", "PairedFeatures", "check_cache_setting", "check_extractor_ready",
           "check_run_memory", "check_save_path", "collect_versions", "compute_features", "configure_extractor",
           "dataset_fingerprint", "extract_features", "fitted_settings", "load_saved", "log_step", "pair_features",
           "read_manifest", "run_cache_dir", "save_payload"]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.stages")

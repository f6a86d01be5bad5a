"""Saved models: :func:`train` an extractor + classifier, predict class names, save and load them.

**Loading a model file runs code** (a pickle): load only files you trust; its manifest is
readable without loading anything (:func:`read_model_manifest`, ``featclf info MODEL``).
"""

from ._model import FORMAT, Model, Prediction, Predictions, fit_model, load_model, read_model_manifest, train

__all__ = ["FORMAT", "Model", "Prediction", "Predictions", "fit_model", "load_model", "read_model_manifest", "train"]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.training")

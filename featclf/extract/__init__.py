"""Feature extractors (scikit-learn transformers), their registry and the batch engine."""

from ._base import BaseExtractor
from ._registry import get_extractor_class, list_extractors, make_extractor, register_extractor
from .cnn import CNNEmbedding, list_backbones  # torch is imported lazily, when a network is built
from .colorhist import ColorHistogram
from .hog import HOG
from .pixels import RawPixels

__all__ = [
    "BaseExtractor",
    "CNNEmbedding",
    "ColorHistogram",
    "HOG",
    "RawPixels",
    "get_extractor_class",
    "list_backbones",
    "list_extractors",
    "make_extractor",
    "register_extractor",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.extract")

"""Feature extractors (scikit-learn transformers), their registry and the batch engine."""

from ._base import BaseExtractor
from ._registry import get_extractor_class, list_extractors, make_extractor, register_extractor
from .colorhist import ColorHistogram
from .hog import HOG
from .pixels import RawPixels

__all__ = [
    "BaseExtractor",
    "ColorHistogram",
    "HOG",
    "RawPixels",
    "get_extractor_class",
    "list_extractors",
    "make_extractor",
    "register_extractor",
]

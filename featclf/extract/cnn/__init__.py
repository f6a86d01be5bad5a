"""Frozen CNN embeddings: the CNNEmbedding extractor and its backbone registry.

Nothing here imports torch at import time; torch is loaded when a network is built
(``CNNEmbedding.fit``), so ``import featclf`` works without the ``cnn`` extra.
"""

from ._backbones import (
    BackboneConfig,
    custom_backbone,
    get_backbone,
    list_backbones,
    register_backbone,
)
from ...kernels import fit_to_input
from ._extractor import CNNEmbedding

__all__ = [
    "BackboneConfig",
    "CNNEmbedding",
    "custom_backbone",
    "fit_to_input",
    "get_backbone",
    "list_backbones",
    "register_backbone",
]

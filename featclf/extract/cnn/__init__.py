"""Frozen CNN embeddings: the CNNEmbedding extractor and its backbone registry.

Nothing here imports torch at import time; torch is loaded when a network is built
(``CNNEmbedding.fit``), so ``import featclf`` works without the ``cnn`` extra.
"""

from ...kernels import fit_to_input

from ._backbones import (
    BackboneConfig,
    ModuleBuilder,
    custom_backbone,
    get_backbone,
    list_backbones,
    register_backbone,
    restore_backbone,
)
from ._extractor import CNNEmbedding

__all__ = [
    "BackboneConfig",
    "CNNEmbedding",
    "ModuleBuilder",
    "custom_backbone",
    "fit_to_input",
    "get_backbone",
    "list_backbones",
    "register_backbone",
    "restore_backbone",
]

from ..._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.extract.cnn")

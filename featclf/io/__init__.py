"""Image input layer: one image at a time, one output contract (batches live in :mod:`featclf.engine`)."""

from ._formats import extension_problem, image_extensions
from ._header import image_size
from ._image import (
    DEFAULT_MAX_PIXELS,
    MODES,
    WHITE,
    check_background,
    check_max_pixels,
    check_mode,
    convert_image,
    decode_image,
    describe_source,
    load_image,
    resize_image,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MODES",
    "WHITE",
    "check_background",
    "check_max_pixels",
    "check_mode",
    "convert_image",
    "decode_image",
    "describe_source",
    "extension_problem",
    "image_extensions",
    "image_size",
    "load_image",
    "resize_image",
]

from .._public import set_public_module  # noqa: E402

set_public_module(globals(), __all__, "featclf.io")

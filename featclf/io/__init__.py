"""Image input layer: every featclf component reads images through here."""

from ._image import IMAGE_EXTENSIONS, LoadedImages, describe_source, load_image, load_images, resize_image

__all__ = ["IMAGE_EXTENSIONS", "LoadedImages", "describe_source", "load_image", "load_images", "resize_image"]

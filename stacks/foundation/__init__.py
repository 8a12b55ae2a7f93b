"""The pipeline account's foundation: shared buckets, the tools repository and the image bootstrap."""

from stacks.foundation.bootstrap import ImageBootstrap
from stacks.foundation.images import BUILD_IMAGE, PLACEHOLDER, TOOL_IMAGES, ToolImage

__all__ = ["BUILD_IMAGE", "PLACEHOLDER", "TOOL_IMAGES", "ImageBootstrap", "ToolImage"]

"""The images that must be in the tools repository before the first release, and where they come from.

Every upstream image is pinned by digest and comes from ECR Public's mirror of Docker's official images
(`public.ecr.aws/docker/library`, the same images and digests as on Docker Hub): Docker Hub allows 10
anonymous pulls per hour per address, and CodeBuild's addresses are shared, so a pull from there can
fail at random; ECR Public has no hourly limit. In the tools repository each image has an immutable
tag, so a tag there always names the same bytes. Changing a digest or the build image's Dockerfile gives a
new tag, which the bootstrap project fills at the next deploy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

BUILD_IMAGE_DIR = Path(__file__).parent / "build_image"


@dataclass(frozen=True)
class ToolImage:
    tag: str
    """Immutable tag in the tools repository."""
    source: str | None = None
    """Upstream image, pinned by digest, that the bootstrap copies; None for the image it builds."""
    dockerfile: Path | None = None
    """What the bootstrap builds; None for a copied image."""
    purpose: str = ""


def _dockerfile_tag(prefix: str, dockerfile: Path) -> str:
    return f"{prefix}-{hashlib.sha256(dockerfile.read_bytes()).hexdigest()[:16]}"


BUILD_IMAGE = ToolImage(
    tag=_dockerfile_tag("build", BUILD_IMAGE_DIR / "Dockerfile"),
    dockerfile=BUILD_IMAGE_DIR / "Dockerfile",
    purpose="the build, test and deploy projects' image (docker:27-dind with bash, Python and the AWS CLI; its "
    "daemon keeps images in containerd, so its built-in BuildKit exports the layer cache)",
)
PLACEHOLDER = ToolImage(
    tag="placeholder-python-3.13-alpine",
    source="public.ecr.aws/docker/library/python:3.13-alpine@sha256:540c7d91f98ff6880174c40e99067bf5941eb54d818a7a5e094d188b196a934d",
    purpose="what each service runs before its first release (a 200-on-every-path server given as its command)",
)
TOOL_IMAGES = (BUILD_IMAGE, PLACEHOLDER)

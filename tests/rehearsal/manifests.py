"""What a registry holds, as buildx pushes it: a single-platform image manifest, or by default an OCI
index over it and a provenance attestation. stdlib only: the stand-ins import it too."""

from __future__ import annotations

import json

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def image_manifest(layer_digest: str = "sha256:" + "a" * 64) -> str:
    """A single-platform Docker image manifest, as buildx pushes it with --provenance=false (moto
    derives the image's digest from its layers)."""
    layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": layer_digest}
    config = {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "c" * 64}
    return json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "config": config, "layers": [layer]})


def image_index(manifest_digest: str) -> str:
    """What buildx pushes by default: an OCI index with the image and its provenance attestation."""
    image = {
        "mediaType": OCI_MANIFEST,
        "size": 1,
        "digest": manifest_digest,
        "platform": {"architecture": "amd64", "os": "linux"},
    }
    attestation = {
        "mediaType": OCI_MANIFEST,
        "size": 1,
        "digest": "sha256:" + "d" * 64,
        "platform": {"architecture": "unknown", "os": "unknown"},
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
    }
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [image, attestation]})

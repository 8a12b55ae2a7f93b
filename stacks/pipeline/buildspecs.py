"""Buildspecs of the build, test and deploy projects, kept as data so tests can read them back.

The test and deploy logic lives in real Python files under `runtime/`; each buildspec embeds the
file it runs at synth time (base64 with a SHA-256 check), so a project always runs the reviewed
code of the deployed stack and needs no extra download.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

RUNTIME = Path(__file__).parent / "runtime"
BUILDKIT_IMAGE = "moby/buildkit:v0.16.0"
"""Pinned BuildKit for `docker buildx` (the docker-container driver can export a layer cache)."""
LAYER_CACHE = "/root/.buildx-cache"
PIP_CACHE = "/root/.cache/pip"
DEPLOY_DIR = "deploy"
DEPLOY_FILES = ("taskdef.json", "appspec.json")
"""Templates the application keeps in `deploy/`; the build passes them on to the deploy projects."""
TESTS_DIR = "tests"
JUNIT_REPORT = "reports/junit.xml"
EXPORTED_VARIABLES = ("IMAGE_URI", "IMAGE_TAG")

_CREDENTIAL_VARIABLES = {
    "REGISTRY_SERVER": "registry",
    "REGISTRY_USERNAME": "username",
    "REGISTRY_PASSWORD": "password",
}
"""Build variables filled from the registry credentials secret's JSON keys."""
_ECR_LOGIN = 'aws ecr get-login-password | docker login --username AWS --password-stdin "${%s%%%%/*}"'


def install_script(name: str) -> str:
    """A command that writes runtime/<name> to /tmp/<name> and verifies its hash."""
    data = (RUNTIME / name).read_bytes()
    encoded = base64.b64encode(data).decode()
    digest = hashlib.sha256(data).hexdigest()
    return f"echo {encoded} | base64 -d > /tmp/{name} && echo '{digest}  /tmp/{name}' | sha256sum -c -"


def build_spec(*, credentials_secret_arn: str) -> dict[str, Any]:
    """Build the image with a layer cache, tag it with the commit, push it, hand on the deploy templates.

    Expects COMMIT_ID (from the source action), REPOSITORY_URI and REPOSITORY_NAME.
    """
    credential = {key: f"{credentials_secret_arn}:{field}" for key, field in _CREDENTIAL_VARIABLES.items()}
    return {
        "version": "0.2",
        "env": {"shell": "bash", "secrets-manager": credential, "exported-variables": list(EXPORTED_VARIABLES)},
        "phases": {
            "pre_build": {
                "commands": [
                    # ECR tags allow letters, digits, '_', '.' and '-', up to 128 characters.
                    "IMAGE_TAG=\"$(printf '%s' \"$COMMIT_ID\" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-128)\"",
                    'IMAGE_URI="$REPOSITORY_URI:$IMAGE_TAG"',
                    _ECR_LOGIN % "REPOSITORY_URI",
                    'if [ -n "$REGISTRY_USERNAME" ]; then printf \'%s\' "$REGISTRY_PASSWORD" | docker login '
                    '--username "$REGISTRY_USERNAME" --password-stdin "$REGISTRY_SERVER"; '
                    'else echo "registry credentials not configured yet: pulling base images anonymously"; fi',
                ]
            },
            "build": {
                "commands": [
                    # Tags are immutable: a re-run for the same commit reuses the image it already pushed.
                    'if aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids '
                    'imageTag="$IMAGE_TAG" > /dev/null 2>&1; then echo "$IMAGE_URI exists: reusing it"; else '
                    f"docker buildx create --use --driver docker-container --driver-opt image={BUILDKIT_IMAGE} && "
                    f"docker buildx build --cache-from type=local,src={LAYER_CACHE} "
                    f"--cache-to type=local,dest={LAYER_CACHE}.next,mode=max "
                    '--build-arg APP_VERSION="$IMAGE_TAG" --tag "$IMAGE_URI" --push . && '
                    f"rm -rf {LAYER_CACHE} && mv {LAYER_CACHE}.next {LAYER_CACHE}; fi",
                ]
            },
        },
        "artifacts": {"files": list(DEPLOY_FILES), "base-directory": DEPLOY_DIR},
        "cache": {"paths": [f"{LAYER_CACHE}/**/*"]},
    }


def test_spec(*, report_group_arn: str) -> dict[str, Any]:
    """Run the application's tests inside the built image (JUnit report), then gate on the image scan.

    Test tools are installed next to the image under test at run time, never into it. Expects
    IMAGE_URI, IMAGE_TAG and REPOSITORY_NAME.
    """
    report_dir, report_file = JUNIT_REPORT.rsplit("/", 1)
    inside = (
        "python -m pip install --quiet --target /tmp/test-deps -r /app-tests/requirements.txt && "
        f"PYTHONPATH=/tmp/test-deps python -m pytest -p no:cacheprovider /app-tests --junitxml=/reports/{report_file}"
    )
    return {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            "pre_build": {
                "commands": [
                    _ECR_LOGIN % "IMAGE_URI",
                    'docker pull --quiet "$IMAGE_URI"',
                    f"mkdir -p {report_dir} {PIP_CACHE} && chmod -R a+rwX {report_dir} {PIP_CACHE}",
                ]
            },
            "build": {
                "commands": [
                    f'docker run --rm --entrypoint sh --volume "$CODEBUILD_SRC_DIR/{TESTS_DIR}:/app-tests:ro" '
                    f'--volume "$CODEBUILD_SRC_DIR/{report_dir}:/reports" --volume "{PIP_CACHE}:/pip-cache" '
                    f"--env PIP_CACHE_DIR=/pip-cache --env HOME=/tmp \"$IMAGE_URI\" -c '{inside}'",
                    install_script("image_scan.py"),
                    "python3 /tmp/image_scan.py",
                ]
            },
        },
        "reports": {
            report_group_arn: {"files": [report_file], "base-directory": report_dir, "file-format": "JUNITXML"}
        },
        "cache": {"paths": [f"{PIP_CACHE}/**/*"]},
    }


def deploy_spec() -> dict[str, Any]:
    """Run runtime/deploy.py on the build's deploy templates."""
    return {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            "build": {
                "commands": [
                    install_script("deploy.py"),
                    "python3 /tmp/deploy.py --taskdef taskdef.json --appspec appspec.json",
                ]
            }
        },
    }

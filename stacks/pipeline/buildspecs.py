"""Buildspecs of the build, test and deploy projects, kept as data so tests can read them back.

The test and deploy logic lives in real Python files under `runtime/`; each buildspec embeds the
file it runs at synth time (base64 with a SHA-256 check), so a project always runs the reviewed
code of the deployed stack. The projects run on the tools repository's build image, a custom image
for CodeBuild: privileged mode lets Docker run but does not start it, so the projects that use
Docker start `dockerd` in their install phase and wait until it answers.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from stacks.foundation.images import TOOL_IMAGES, ToolImage

RUNTIME = Path(__file__).parent / "runtime"
PLATFORM = "linux/amd64"
"""The one platform images are built for (Fargate tasks run X86_64): a plain image manifest, which ECR scans."""
BOTO3 = "boto3==1.35.49"
"""What the scripts under runtime/ are tested with (moto), installed at run time from the pip cache."""
PYTHON_DEPS = "/tmp/python-deps"
DOCKERD_WAIT_SECONDS = 60
START_DOCKER = [
    "nohup /usr/local/bin/dockerd --host=unix:///var/run/docker.sock --host=tcp://127.0.0.1:2375 "
    "--storage-driver=overlay2 > /tmp/dockerd.log 2>&1 &",
    f'timeout {DOCKERD_WAIT_SECONDS} sh -c "until docker info > /dev/null 2>&1; do echo waiting for dockerd; '
    'sleep 1; done" || { cat /tmp/dockerd.log; exit 1; }',
]
"""How CodeBuild starts Docker in its own images (their dockerd-entrypoint.sh: dockerd directly, no
`dind` wrapper, waiting up to 60 seconds) and in its "Docker in custom image" sample; the daemon
listens on localhost only."""
LAYER_CACHE = "/root/.buildx-cache"
PIP_CACHE = "/root/.cache/pip"
DEPLOY_DIR = "deploy"
DEPLOY_FILES = ("taskdef.json", "appspec.json")
"""Templates the application keeps in `deploy/`; the build passes them on to the deploy projects."""
TESTS_DIR = "tests"
JUNIT_REPORT = "reports/junit.xml"
EXPORTED_VARIABLES = ("IMAGE_URI", "IMAGE_TAG")
WAIT_HANDLE_VARIABLE = "WAIT_HANDLE_URL"

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


def install_python_deps() -> str:
    """Install the pinned boto3 next to the scripts (the pip cache makes it a local copy after the first build)."""
    return f"python3 -m pip install --quiet --cache-dir {PIP_CACHE} --target {PYTHON_DEPS} {BOTO3}"


def run_script(name: str, arguments: str = "") -> list[str]:
    return [install_script(name), f"PYTHONPATH={PYTHON_DEPS} python3 /tmp/{name} {arguments}".rstrip()]


def in_folder(folder: str, path: str) -> str:
    """`path` of the application, which is at `folder` of its source ("" for the root)."""
    return f"{folder}/{path}" if folder else path


def build_spec(*, credentials_secret: str, folder: str = "") -> dict[str, Any]:
    """Build one platform's image with a layer cache, tag it with the commit, push it, hand on the
    deploy templates. No provenance or SBOM attestations: with them the tag would name an image
    index, which ECR's basic scanning does not scan. The daemon's own BuildKit builds (the build
    image keeps images in containerd, so the default driver exports the cache).

    `folder` is the application's folder in its source (the build context; "" for the root). Expects
    COMMIT_ID (from the source action), REPOSITORY_URI and REPOSITORY_NAME.
    """
    credential = {key: f"{credentials_secret}:{field}" for key, field in _CREDENTIAL_VARIABLES.items()}
    return {
        "version": "0.2",
        "env": {"shell": "bash", "secrets-manager": credential, "exported-variables": list(EXPORTED_VARIABLES)},
        "phases": {
            "install": {"commands": START_DOCKER},
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
                    f"docker buildx build --platform {PLATFORM} --provenance=false --sbom=false "
                    f"--cache-from type=local,src={LAYER_CACHE} --cache-to type=local,dest={LAYER_CACHE}.next,mode=max "
                    f'--build-arg APP_VERSION="$IMAGE_TAG" --tag "$IMAGE_URI" --push "{folder or "."}" && '
                    f"rm -rf {LAYER_CACHE} && mv {LAYER_CACHE}.next {LAYER_CACHE}; fi",
                ]
            },
        },
        "artifacts": {"files": list(DEPLOY_FILES), "base-directory": in_folder(folder, DEPLOY_DIR)},
        "cache": {"paths": [f"{LAYER_CACHE}/**/*"]},
    }


def test_spec(*, report_group_arn: str, folder: str = "") -> dict[str, Any]:
    """Run the application's tests inside the built image (JUnit report), then gate on the image scan.

    Test tools are installed next to the image under test at run time, never into it. Expects
    IMAGE_URI, IMAGE_TAG and REPOSITORY_NAME; the tests are in `folder`/tests of the source.
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
            "install": {"commands": [*START_DOCKER, install_python_deps()]},
            "pre_build": {
                "commands": [
                    _ECR_LOGIN % "IMAGE_URI",
                    'docker pull --quiet "$IMAGE_URI"',
                    f"mkdir -p {report_dir} {PIP_CACHE} && chmod -R a+rwX {report_dir} {PIP_CACHE}",
                ]
            },
            "build": {
                "commands": [
                    "docker run --rm --entrypoint sh "
                    f'--volume "$CODEBUILD_SRC_DIR/{in_folder(folder, TESTS_DIR)}:/app-tests:ro" '
                    f'--volume "$CODEBUILD_SRC_DIR/{report_dir}:/reports" --volume "{PIP_CACHE}:/pip-cache" '
                    f"--env PIP_CACHE_DIR=/pip-cache --env HOME=/tmp \"$IMAGE_URI\" -c '{inside}'",
                    *run_script("image_scan.py"),
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
            "install": {"commands": [install_python_deps()]},
            "build": {"commands": run_script("deploy.py", "--taskdef taskdef.json --appspec appspec.json")},
        },
        "cache": {"paths": [f"{PIP_CACHE}/**/*"]},
    }


def bootstrap_spec(images: tuple[ToolImage, ...] = TOOL_IMAGES) -> dict[str, Any]:
    """Fill the tools repository: copy each pinned upstream image, build the build image; skip every
    tag the repository already holds (tags are immutable). Whatever happens, report to the stack's
    wait condition (WAIT_HANDLE_URL), which holds back everything that needs these images.

    Runs on CodeBuild's managed standard image, which starts Docker itself in privileged mode; expects
    TOOLS_REPOSITORY_URI and TOOLS_REPOSITORY_NAME.
    """
    commands = []
    for image in images:
        target = f'"$TOOLS_REPOSITORY_URI:{image.tag}"'
        if image.dockerfile is not None:
            context = f"/tmp/{image.tag}"
            data = base64.b64encode(image.dockerfile.read_bytes()).decode()
            make = (
                f"mkdir -p {context} && echo {data} | base64 -d > {context}/Dockerfile && "
                f"docker build --platform {PLATFORM} --tag {target} {context}"
            )
        else:
            make = f"docker pull --platform {PLATFORM} {image.source} && docker tag {image.source} {target}"
        commands.append(
            f'if aws ecr describe-images --repository-name "$TOOLS_REPOSITORY_NAME" --image-ids imageTag={image.tag} '
            f"> /dev/null 2>&1; then echo {image.tag}: already in the tools repository; "
            f"else {make} && docker push {target}; fi"
        )
    signal = (
        'if [ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]; then STATUS=SUCCESS; else STATUS=FAILURE; fi; '
        'printf \'{"Status": "%s", "Reason": "image bootstrap %s", "UniqueId": "bootstrap", "Data": "%s"}\' '
        '"$STATUS" "$CODEBUILD_BUILD_ID" "$STATUS" > /tmp/signal.json && '
        f'curl --silent --show-error --fail --request PUT --header "Content-Type:" --data-binary @/tmp/signal.json '
        f'"${WAIT_HANDLE_VARIABLE}"'
    )
    return {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            # Everything that can fail is in `build`: post_build runs after a failed build (not after a
            # failed install or pre_build), so the wait condition always hears the outcome.
            "build": {
                "commands": [
                    'timeout 60 sh -c "until docker info > /dev/null 2>&1; do echo waiting for dockerd; sleep 1; done"',
                    _ECR_LOGIN % "TOOLS_REPOSITORY_URI",
                    *commands,
                ]
            },
            "post_build": {"commands": [signal]},
        },
        "cache": {"paths": [f"{PIP_CACHE}/**/*"]},
    }

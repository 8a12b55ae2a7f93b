"""Stand-ins for the tools a buildspec calls: `docker`, `dockerd`, `aws`, `curl`, `python`/`python3`.
Each refuses what the real tool refuses in the cases the buildspecs meet, records every call
and keeps the state the next command sees (the daemon, logins, local images) in $REHEARSAL_STATE.

Registries are moto's ECR (the server at $AWS_ENDPOINT_URL): a push puts a manifest there, a pull
reads it back. An image's content is the build context it was built from, so `docker run` runs the
command on that context, with the container's paths mapped to the volumes given.

Run as `standins.py TOOL ARGS...` (the sandbox's bin/ holds one wrapper per tool).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from botocore.exceptions import ClientError
from manifests import DOCKER_MANIFEST, OCI_INDEX, image_index, image_manifest  # this script's folder

STATE = Path(os.environ.get("REHEARSAL_STATE", "/nonexistent"))
ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$")
NO_DAEMON = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
TIME_DIR = Path(__file__).parent / "virtual_time"


def load(name: str, default: Any) -> Any:
    path = STATE / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else default


def save(name: str, value: Any) -> None:
    (STATE / f"{name}.json").write_text(json.dumps(value, indent=1))


def refuse(message: str, code: int = 1) -> NoReturn:
    print(message, file=sys.stderr)
    sys.exit(code)


def record(tool: str, args: list[str]) -> None:
    with (STATE / "calls.jsonl").open("a") as calls:
        calls.write(json.dumps({"tool": tool, "args": args}) + "\n")


def options(
    args: list[str], flags: tuple[str, ...] = (), *, interspersed: bool = True
) -> tuple[dict[str, list[str]], list[str]]:
    """`--name value`, `--name=value` and bare `flags` into a dict of lists; the rest positional (all
    that follows the first positional one, unless `interspersed`)."""
    found: dict[str, list[str]] = {}
    rest: list[str] = []
    items = iter(args)
    for item in items:
        if rest and not interspersed:
            rest.append(item)
        elif item.startswith("-") and item != "-":
            name, eq, value = item.partition("=")
            if not eq:
                value = "true" if name in flags else next(items)
            found.setdefault(name, []).append(value)
        else:
            rest.append(item)
    return found, rest


# --- AWS -------------------------------------------------------------------------------------------


def ecr_client(credentials: dict[str, str] | None = None) -> Any:
    return boto3().client("ecr", **(credentials or {}))


def registry_service(account: str) -> Any:
    """ECR as ECR itself acts behind a push (scan on push): the rehearsal's administrator in `account`,
    whose calls are not judged (IAM judges the pusher's PutImage)."""
    sts = boto3().client("sts", aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="")
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/rehearsal-admin", RoleSessionName="ecr")
    issued = credentials["Credentials"]
    return ecr_client(
        {
            "aws_access_key_id": issued["AccessKeyId"],
            "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"],
        }
    )


def boto3() -> Any:
    """Imported only where needed: `docker info` in a wait loop starts fast without it."""
    import boto3 as module

    return module


def split_reference(reference: str) -> tuple[str, str, dict[str, str]]:
    """`host/repository:tag` or `...@sha256:digest` into host, repository and an ECR image ID."""
    host, _, path = reference.partition("/")
    if "." not in host:
        host, path = "docker.io", reference
    if "@" in path:
        repository, _, digest = path.partition("@")
        return host, repository.split(":")[0], {"imageDigest": digest}
    repository, _, tag = path.partition(":")
    return host, repository, {"imageTag": tag or "latest"}


def aws(args: list[str]) -> None:
    """The AWS CLI calls the buildspecs make, through boto3 (which validates every parameter)."""
    if args[:2] == ["ecr", "get-login-password"]:
        token = ecr_client().get_authorization_token()["authorizationData"][0]["authorizationToken"]
        password = base64.b64decode(token).decode().split(":", 1)[1]
        tokens = load("ecr_tokens", {})
        session = boto3().Session().get_credentials()
        tokens[password] = {
            "aws_access_key_id": session.access_key,
            "aws_secret_access_key": session.secret_key,
            "aws_session_token": session.token,
        }
        save("ecr_tokens", tokens)
        print(password)
        return
    if args[:2] == ["ecr", "describe-images"]:
        found, _ = options(args[2:])
        image_ids = [dict([entry.split("=", 1)]) for entry in found.get("--image-ids", [])]
        try:
            print(
                json.dumps(
                    ecr_client().describe_images(repositoryName=found["--repository-name"][0], imageIds=image_ids)[
                        "imageDetails"
                    ],
                    default=str,
                )
            )
        except ClientError as error:
            refuse(
                f"\nAn error occurred ({error.response['Error']['Code']}) when calling the DescribeImages "
                f"operation: {error.response['Error']['Message']}",
                254,
            )
        return
    refuse(f"aws stand-in: `aws {' '.join(args)}` is not rehearsed; add it to tests/rehearsal/standins.py", 252)


# --- Docker ----------------------------------------------------------------------------------------


DOCKERD_START_SECONDS = float(os.environ.get("REHEARSAL_DOCKERD_START_SECONDS", "0"))
"""Real seconds a started daemon takes to answer (a loaded host is slow): never scaled, like the time
the real daemon takes."""


def daemon_answers() -> bool:
    """The daemon answers once started and DOCKERD_START_SECONDS have passed; the first check after its
    start finds it still starting."""
    docker = load("docker", {})
    if docker.get("daemon") == "starting":
        if time.time() < docker.get("started", 0) + DOCKERD_START_SECONDS:
            return False
        docker["daemon"] = "running"
        save("docker", docker)
        return False
    return docker.get("daemon") == "running"


def dockerd(args: list[str]) -> None:
    found, _ = options(args)
    hosts = found.get("--host", [])
    if "unix:///var/run/docker.sock" not in hosts:
        refuse("dockerd stand-in: the buildspec's docker commands expect the daemon on /var/run/docker.sock")
    for host in hosts:
        if host.startswith("tcp://") and not host.startswith("tcp://127.0.0.1:"):
            refuse(f"dockerd: refusing to listen on {host} without TLS")
    docker = load("docker", {})
    docker.update(daemon="starting", started=time.time())
    save("docker", docker)


def registry_credentials(host: str) -> dict[str, str]:
    """The AWS credentials behind this registry's `docker login` (the ECR token's holder)."""
    login = load("docker", {}).get("logins", {}).get(host)
    if login is None:
        refuse(f'Error response from daemon: Head "https://{host}/v2/": no basic auth credentials')
    return load("ecr_tokens", {})[login]


def ecr_image(reference: str) -> dict[str, Any]:
    host, repository, image_id = split_reference(reference)
    try:
        images = ecr_client(registry_credentials(host)).batch_get_image(repositoryName=repository, imageIds=[image_id])
    except ClientError as error:
        refuse(f"Error response from daemon: {error.response['Error']['Message']}")
    if not images["images"]:
        refuse(f"Error response from daemon: manifest for {reference} not found: manifest unknown")
    return images["images"][0]


DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


def fetch(reference: str) -> dict[str, Any]:
    """A pull: ECR images from moto (with their content), others as opaque upstream images. Docker Hub
    allows 10 anonymous pulls per hour per address, and CodeBuild's addresses are shared, so an
    anonymous Docker Hub pull is refused as Docker Hub refuses it once the address used them up; ECR
    Public has no hourly limit."""
    host, _, _ = split_reference(reference)
    if host in DOCKER_HUB and not DOCKER_HUB & load("docker", {}).get("logins", {}).keys():
        refuse(
            f"Error response from daemon: toomanyrequests: You have reached your unauthenticated pull rate "
            f"limit. https://www.docker.com/increase-rate-limit ({reference})"
        )
    if not ECR_HOST.match(host):
        return {"content": None, "digest": "sha256:" + hashlib.sha256(reference.encode()).hexdigest()}
    image = ecr_image(reference)
    digest = image["imageId"]["imageDigest"]
    return {"content": load("registry", {}).get(digest), "digest": digest}


def push(reference: str, image: dict[str, Any], *, index: bool = False) -> str:
    """Put the image's manifest (or, with `index`, an OCI index over it and an attestation) in ECR."""
    host, repository, image_id = split_reference(reference)
    if not ECR_HOST.match(host):
        refuse(f"denied: requested access to the resource is denied ({host} is not rehearsed)")
    ecr = ecr_client(registry_credentials(host))
    manifest = image_manifest("sha256:" + hashlib.sha256(str(image["content"] or image["digest"]).encode()).hexdigest())
    try:
        pushed = ecr.put_image(
            repositoryName=repository,
            imageManifest=manifest,
            imageManifestMediaType=DOCKER_MANIFEST,
            **({} if index else image_id),
        )
        digest = pushed["image"]["imageId"]["imageDigest"]
        if index:
            body = image_index(digest)
            index_digest = ecr.put_image(
                repositoryName=repository, imageManifest=body, imageManifestMediaType=OCI_INDEX, **image_id
            )["image"]["imageId"]["imageDigest"]
        service = registry_service(ECR_HOST.match(host).group(1))
        scanning = service.describe_repositories(repositoryNames=[repository])["repositories"][0][
            "imageScanningConfiguration"
        ]
        scanned = service.describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])
        if scanning["scanOnPush"] and "imageScanStatus" not in scanned["imageDetails"][0]:
            # ECR scans a new image manifest, not an index
            service.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
    except ClientError as error:
        refuse(f"{reference}: {error.response['Error']['Message']}")
    registry = load("registry", {})
    registry[digest] = image["content"]
    if index:  # a pull of the index's tag runs the platform's image
        registry[index_digest] = image["content"]
    save("registry", registry)
    return digest


def require_dockerfile(context: Path) -> None:
    """The Dockerfile must exist, and the daemon pulls every image its FROM lines name."""
    dockerfile = context / "Dockerfile"
    if not dockerfile.is_file():
        refuse(f"ERROR: failed to solve: failed to read dockerfile: open {context}/Dockerfile: no such file")
    stages: set[str] = set()
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words[:1] and words[0].upper() == "FROM":
            image = next(word for word in words[1:] if not word.startswith("--"))
            if image != "scratch" and image not in stages:
                fetch(image)
            if len(words) >= 4 and words[-2].upper() == "AS":
                stages.add(words[-1])


def docker(args: list[str]) -> None:
    command, rest = args[0], args[1:]
    if not daemon_answers():
        refuse(NO_DAEMON)
    state = load("docker", {})
    images = state.setdefault("images", {})
    if command == "info":
        print("Server Version: 27.3.1 (rehearsal)")
    elif command == "login":
        found, positional = options(rest, ("--password-stdin",))
        password = sys.stdin.read().strip()
        if "--password-stdin" not in found or not password:
            refuse("Error: Cannot perform an interactive login from a non TTY device")
        host = positional[0]
        if ECR_HOST.match(host) and password not in load("ecr_tokens", {}):
            refuse(
                f"Error response from daemon: login attempt to https://{host}/v2/ failed with status: 400 Bad Request"
            )
        state.setdefault("logins", {})[host] = password
        print("Login Succeeded")
    elif command == "pull":
        _, positional = options(rest, ("--quiet", "-q"))
        images[positional[0]] = fetch(positional[0])
    elif command == "tag":
        if rest[0] not in images:
            refuse(f"Error response from daemon: No such image: {rest[0]}")
        images[rest[1]] = images[rest[0]]
    elif command == "push":
        if rest[0] not in images:
            refuse(f"An image does not exist locally with the tag: {rest[0]}")
        push(rest[0], images[rest[0]])
    elif command == "build":
        found, positional = options(rest)
        context = Path(positional[0])
        require_dockerfile(context)
        for tag in found.get("--tag", []):
            images[tag] = {"content": str(context.resolve()), "digest": None}
    elif command == "buildx":
        buildx(rest, state)
    elif command == "run":
        save("docker", state)
        run(rest, images)
    else:
        refuse(f"docker stand-in: `docker {command}` is not rehearsed; add it to tests/rehearsal/standins.py", 125)
    save("docker", state)


def buildx(args: list[str], state: dict[str, Any]) -> None:
    command, rest = args[0], args[1:]
    found, positional = options(rest, ("--use", "--push", "--load"))
    if command == "create":
        opts = dict(option.split("=", 1) for option in found.get("--driver-opt", []))
        builder = opts.get("image", "moby/buildkit:buildx-stable-1")
        if found.get("--driver") != ["docker-container"]:
            refuse("docker stand-in: the rehearsed builds use the docker-container driver")
        fetch(builder)  # the daemon pulls BuildKit when the builder starts
        state["builder"] = builder
        print(f"builder from {builder}")
        return
    if command != "build":
        refuse(f"docker stand-in: `docker buildx {command}` is not rehearsed", 125)
    if (
        any(cache.startswith("type=local") for cache in found.get("--cache-to", []))
        and "builder" not in state
        and not state.get("containerd_store")
    ):
        refuse(
            "ERROR: Cache export is not supported for the docker driver.\n"
            "Switch to a different driver, or turn on the containerd image store, and try again."
        )
    platforms = ",".join(found.get("--platform", [])).split(",")
    context = Path(positional[0])
    require_dockerfile(context)
    for cache in found.get("--cache-to", []):
        dest = dict(part.split("=", 1) for part in cache.split(","))["dest"]
        Path(dest).mkdir(parents=True, exist_ok=True)
        (Path(dest) / "index.json").write_text("{}")
    index = (
        len(platforms) > 1
        or found.get("--provenance", ["true"])[-1] != "false"
        or found.get("--sbom", ["false"])[-1] != "false"
    )
    for tag in found.get("--tag", []):
        if "--push" in found:
            push(tag, {"content": str(context.resolve()), "digest": None}, index=index)


def run(args: list[str], images: dict[str, Any]) -> None:
    """`docker run [--rm] [--entrypoint sh] [--volume H:C[:ro]] [--env K=V] IMAGE ARGS` on the image's
    content, the volumes' container paths mapped to their host paths (the container's /tmp is the sandbox's)."""
    found, positional = options(args, ("--rm",), interspersed=False)
    image = positional[0]
    if image not in images:
        images[image] = fetch(image)
    content = images[image]["content"]
    if content is None:
        refuse(f"docker stand-in: {image} has no content to run")
    mounts = {}
    for volume in found.get("--volume", []):
        host, inside = volume.split(":")[:2]
        mounts[inside] = host
    command = [found.get("--entrypoint", ["sh"])[0], *positional[1:]]
    for inside, host in mounts.items():
        command = [re.sub(rf"(?<![\w/.-]){re.escape(inside)}(?![\w.-])", host, part) for part in command]
    env = dict(os.environ)
    for pair in found.get("--env", []):
        key, _, value = pair.partition("=")
        env[key] = mounts.get(value, value)
    sys.exit(subprocess.run(command, cwd=content, env=env, check=False).returncode)


# --- Others ----------------------------------------------------------------------------------------


def curl(args: list[str]) -> None:
    """The wait condition signal: a PUT of CloudFormation's JSON to the pre-signed handle URL."""
    found, positional = options(args, ("--silent", "--show-error", "--fail"))
    url = positional[0] if positional else ""
    if not url.startswith("https://"):
        refuse(f"curl: (3) URL using bad/illegal format or missing URL: {url!r}", 3)
    if "Content-Type:" not in found.get("--header", []):
        refuse(
            "curl: (22) The requested URL returned error: 403 "
            "(SignatureDoesNotMatch: the pre-signed URL was not signed with a Content-Type)",
            22,
        )
    data = found.get("--data-binary", [""])[0]
    body = Path(data[1:]).read_text() if data.startswith("@") else data
    signal = json.loads(body)
    if signal.get("Status") not in ("SUCCESS", "FAILURE") or not {"Reason", "UniqueId", "Data"} <= signal.keys():
        refuse(f"curl: (22) The requested URL returned error: 400 (not a wait condition signal: {body})", 22)
    with (STATE / "signals.jsonl").open("a") as signals:
        signals.write(json.dumps({"method": found.get("--request", ["GET"])[0], "url": url, **signal}) + "\n")


def python(args: list[str]) -> None:
    """pip installs are recorded, not downloaded (the packages are already in this interpreter);
    everything else runs on this interpreter with virtual time (sleeps return at once)."""
    if args[:3] == ["-m", "pip", "install"]:
        found, positional = options(args[3:], ("--quiet", "-q"))
        requirements = list(positional)
        for path in found.get("-r", []):
            requirements += [line for line in Path(path).read_text().splitlines() if line and not line.startswith("#")]
        unpinned = [requirement for requirement in requirements if "==" not in requirement]
        if unpinned:
            refuse(f"pip stand-in: unpinned requirements {unpinned}")
        Path(found["--target"][0]).mkdir(parents=True, exist_ok=True)
        return
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(TIME_DIR), os.environ.get("PYTHONPATH")])))
    os.execve(sys.executable, [sys.executable, *args], env)


def main() -> None:
    tool, args = sys.argv[1], sys.argv[2:]
    record(tool, args)
    {"aws": aws, "docker": docker, "dockerd": dockerd, "curl": curl, "python": python}[tool](args)


if __name__ == "__main__":
    main()

"""CodeBuild, played offline: a project read back from a synthesized template, its buildspec's
commands run with bash in order, against the stand-ins in standins.py and moto's server.

What is played as CodeBuild documents it: every command of version 0.2 runs in one shell (variables
and the working directory carry over); `env.secrets-manager` is read from Secrets Manager before the
install phase and a missing JSON key fails the build; a failed install or pre_build ends the build,
a failed build still runs post_build (with CODEBUILD_BUILD_SUCCEEDING=0); `exported-variables` are
read after the build; the artifacts' and reports' files must exist. A managed image starts Docker in
privileged mode; a custom image does not. The sandbox stands for the build container's file system:
the commands' /tmp, /root and /usr/local/bin are its own directories.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from stacks.foundation.images import BUILD_IMAGE
from tests.rehearsal.aws import REGION

STANDINS = Path(__file__).parent / "standins.py"
TOOLS = ("docker", "dockerd", "aws", "curl", "python", "python3")
TIME_SCALE = 10
"""`sleep` runs this many times faster than asked. `timeout` is not scaled: it guards processes (a daemon's
start) whose time is real, and a loaded machine must not turn a wait into a failure."""
_SCALED = 'exec {tool} $(awk -v s="$1" \'BEGIN {{ print s / ' + str(TIME_SCALE) + ' }}\') "${{@:2}}"'
PHASES = ("install", "pre_build", "build", "post_build")
ENDS_BUILD = {"install", "pre_build"}
"""Phases after whose failure CodeBuild goes straight to FINALIZING (after `build`, post_build still runs)."""
_CONTAINER_PATHS = re.compile(r"(?<=[\s\"'=@>])/(tmp|root|usr/local/bin)/")


@dataclass
class Project:
    name: str
    spec: dict[str, Any]
    environment: dict[str, str]
    custom_image: bool

    @classmethod
    def from_template(cls, properties: dict[str, Any], resolve: Callable[[Any], Any]) -> Project:
        """The project a template's properties describe, its values resolved with `resolve`."""
        properties = {key: resolve(properties[key]) for key in ("Name", "Source", "Environment")}
        environment = properties["Environment"]
        return cls(
            name=properties["Name"],
            spec=json.loads(properties["Source"]["BuildSpec"]),
            environment={item["Name"]: item["Value"] for item in environment.get("EnvironmentVariables", [])},
            custom_image=not environment["Image"].startswith("aws/codebuild/"),
        )


@dataclass
class Build:
    project: str
    phases: dict[str, str] = field(default_factory=dict)
    exported: dict[str, str] = field(default_factory=dict)
    artifacts: Path | None = None
    reports: dict[str, list[Path]] = field(default_factory=dict)
    output: str = ""

    @property
    def succeeded(self) -> bool:
        return bool(self.phases) and all(status == "SUCCEEDED" for status in self.phases.values())


class Sandbox:
    """One build container's file system and tools, and the shared state of the stand-ins."""

    def __init__(self, root: Path, endpoint: str) -> None:
        self.root, self.endpoint = root, endpoint
        self.dockerd_start_seconds = 0.0
        """Real seconds a started daemon takes to answer (a loaded machine)."""
        self.bin, self.state = root / "usr/local/bin", root / "state"
        for directory in (self.bin, self.state, root / "tmp", root / "root"):
            directory.mkdir(parents=True, exist_ok=True)
        for tool in TOOLS:
            wrapper = self.bin / tool
            name = "python" if tool == "python3" else tool
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STANDINS}" {name} "$@"\n')
            wrapper.chmod(0o755)
        for tool in ("sleep",):
            wrapper = self.bin / tool
            wrapper.write_text(f"#!/bin/bash\n{_SCALED.format(tool=shutil.which(tool, path='/usr/bin:/bin'))}\n")
            wrapper.chmod(0o755)

    def container_path(self, command: str) -> str:
        return _CONTAINER_PATHS.sub(lambda match: f"{self.root}/{match.group(1)}/", command)

    def calls(self, tool: str) -> list[list[str]]:
        path = self.state / "calls.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return [entry["args"] for entry in map(json.loads, lines) if entry["tool"] == tool]

    def run(
        self, project: Project, *, source: Path, credentials: Mapping[str, str], variables: Mapping[str, str] = {}
    ) -> Build:
        """Run one build of `project` on a copy of `source` with the action's `variables`."""
        build = Build(project.name)
        work = self.root / "codebuild" / project.name
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(source, work / "src")
        env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "HOME": str(self.root / "root"),
            "REHEARSAL_STATE": str(self.state),
            "REHEARSAL_DOCKERD_START_SECONDS": str(self.dockerd_start_seconds),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "CODEBUILD_SRC_DIR": str(work / "src"),
            "CODEBUILD_BUILD_ID": f"{project.name}:rehearsal",
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            **credentials,
            **project.environment,
            **variables,
        }
        missing = self._secrets(project.spec.get("env", {}).get("secrets-manager", {}), env, credentials)
        if missing:
            build.output, build.phases["DOWNLOAD_SOURCE"] = missing, "FAILED"
            return build
        self._set_docker(running=not project.custom_image)
        shell = _Shell(work, env)
        for phase in PHASES:
            if phase == "post_build" and build.phases.get("build") is None:
                break
            commands = project.spec.get("phases", {}).get(phase, {}).get("commands", [])
            if not commands:
                continue
            build.phases[phase] = "SUCCEEDED"
            for command in commands:
                if shell.run(self.container_path(command)) != 0:
                    build.phases[phase] = "FAILED"
                    shell.set("CODEBUILD_BUILD_SUCCEEDING", "0")
                    break
            if build.phases[phase] == "FAILED" and phase in ENDS_BUILD:
                break
        build.output = shell.output
        if build.succeeded:
            self._collect(project.spec, shell, work, build)
        return build

    def _secrets(self, secrets: Mapping[str, str], env: dict[str, str], credentials: Mapping[str, str]) -> str:
        client = boto3.client("secretsmanager", endpoint_url=self.endpoint, region_name=REGION, **_boto(credentials))
        for name, reference in secrets.items():
            secret_id, _, key = reference.rpartition(":")
            value = json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"])
            if key not in value:
                return f"Secrets Manager key not found: {key} in {secret_id} (for {name})"
            env[name] = value[key]
        return ""

    def _set_docker(self, *, running: bool) -> None:
        """A fresh container: no daemon (custom image) or CodeBuild's (managed image), no logins, no images.
        The custom image's daemon reads the /etc/docker/daemon.json its Dockerfile writes."""
        config = {} if running else daemon_config(BUILD_IMAGE.dockerfile.read_text())
        state = {"daemon": "running" if running else "stopped"}
        state["containerd_store"] = config.get("features", {}).get("containerd-snapshotter", False)
        (self.state / "docker.json").write_text(json.dumps(state))

    def _collect(self, spec: dict[str, Any], shell: _Shell, work: Path, build: Build) -> None:
        build.exported = {name: shell.get(name) for name in spec.get("env", {}).get("exported-variables", [])}
        src = work / "src"
        if "artifacts" in spec:
            base = src / spec["artifacts"].get("base-directory", ".")
            build.artifacts = work / "artifacts"
            for name in spec["artifacts"]["files"]:
                if not (base / name).is_file():
                    build.phases["UPLOAD_ARTIFACTS"] = "FAILED"
                    build.output += f"\nCLIENT_ERROR: no matching artifact paths found: {name}"
                    return
                build.artifacts.mkdir(exist_ok=True)
                shutil.copy(base / name, build.artifacts / name)
        for group, report in spec.get("reports", {}).items():
            base = src / report.get("base-directory", ".")
            build.reports[group] = [base / name for name in report["files"] if (base / name).is_file()]


def daemon_config(dockerfile: str) -> dict[str, Any]:
    """The JSON a Dockerfile writes to /etc/docker/daemon.json (`echo '{...}' > /etc/docker/daemon.json`)."""
    found = re.search(r"echo '([^']*)' > /etc/docker/daemon\.json", dockerfile)
    return json.loads(found.group(1)) if found else {}


def _boto(credentials: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in credentials.items()}


class _Shell:
    """One bash session across commands: after each command its variables and directory are kept."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.env, self.output = env, ""
        self.saved, self.cwd = work / "shell.env", work / "shell.pwd"
        self.saved.write_text("")
        self.cwd.write_text(env["CODEBUILD_SRC_DIR"])

    def run(self, command: str) -> int:
        script = (
            f'source "{self.saved}" 2>/dev/null; cd "$(cat "{self.cwd}")"\n{command}\n'
            f'__rc=$?; declare -p > "{self.saved}"; pwd > "{self.cwd}"; exit $__rc\n'
        )
        result = subprocess.run(["bash", "-c", script], env=self.env, capture_output=True, text=True, check=False)
        self.output += f"$ {command}\n{result.stdout}{result.stderr}"
        return result.returncode

    def get(self, name: str) -> str:
        result = subprocess.run(
            ["bash", "-c", f'source "{self.saved}" 2>/dev/null; printf %s "${{{name}}}"'],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def set(self, name: str, value: str) -> None:
        self.env[name] = value
        with self.saved.open("a") as saved:
            saved.write(f"\nexport {name}={value}\n")

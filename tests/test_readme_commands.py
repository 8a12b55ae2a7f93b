"""Every shell command README.md shows works as written: run with bash in a fresh copy of the repository
(its tracked and new files), `.venv` not activated, no AWS credentials.

The copy links the checkout's installed `.venv`, `node_modules` and `.cache` (CI's `.ci/run` creates them on a
clean clone with `make test`); its files keep their times, so make installs nothing again. Commands
that need AWS credentials must stop with the line the README says they print.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import readme
from tests.support import ROOT
from tests.test_adoption import README_CHECK, README_CHECKOV, README_INSTALL

NO_CREDENTIALS = readme.printed("error: no AWS credentials found: make deploy")


def fresh_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for installed in (".venv", "node_modules", ".cache"):
        (target / installed).symlink_to(ROOT / installed)
    return target


def plain_environment(home: Path) -> dict[str, str]:
    """The user's shell: PATH without any virtual environment, no AWS credentials anywhere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_")) and key not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    env["PATH"] = os.pathsep.join(part for part in env["PATH"].split(os.pathsep) if "/.venv" not in part)
    return {
        **env,
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def stack_names(cdk_out: Path) -> set[str]:
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    return {name for name, artifact in manifest["artifacts"].items() if artifact["type"] == "aws:cloudformation:stack"}


def synthesized(cdk_out: str, stack: str, account: str = "111111111111") -> Callable[[Path, str], None]:
    def check(copy: Path, output: str) -> None:
        assert stack in stack_names(copy / cdk_out), output[-2000:]
        manifest = json.loads((copy / cdk_out / "manifest.json").read_text())
        assert manifest["artifacts"][stack]["environment"] == f"aws://{account}/us-east-1"
        assert (copy / cdk_out / "compliance" / "report.md").is_file()

    return check


def refused_without_credentials(line: str) -> Callable[[Path, str], None]:
    def check(copy: Path, output: str) -> None:
        assert [text for text in output.splitlines() if text.startswith("error:")] == [line]
        assert not (copy / "cdk.out").exists()  # stopped before synthesis

    return check


def bundled(copy: Path, output: str) -> None:
    with zipfile.ZipFile(copy / "dist" / "sample" / "source.zip") as bundle:
        assert {"Dockerfile", "deploy/taskdef.json", "deploy/appspec.json", "tests/requirements.txt"} <= set(
            bundle.namelist()
        )
    assert "dist/sample/source.zip: upload it to s3://<SourceBucketName>/sample/source.zip" in output


RUN_HERE: dict[str, tuple[int, Callable[[Path, str], None]]] = {
    "make synth": (0, synthesized("cdk.out", "cicd-pipeline-sample-dev")),
    'make synth CDK_ARGS="-c environmentSuffix=pr42"': (0, synthesized("cdk.out", "cicd-pipeline-sample-pr42")),
    'make synth CDK_ARGS="-o cdk.out.other -c cicd:prodAccount=444455556666"': (
        0,
        synthesized("cdk.out.other", "cicd-prod-dev", account="444455556666"),
    ),
    "python3 app.py": (0, synthesized("cdk.out", "cicd-foundation-pipeline-dev")),
    "make bootstrap": (
        2,
        refused_without_credentials(
            "error: no AWS credentials found: make bootstrap runs with the credentials of the account it "
            "bootstraps (pipeline 111111111111, dev 111111111111, staging 222222222222, prod 333333333333)"
        ),
    ),
    "make deploy": (2, refused_without_credentials(NO_CREDENTIALS)),
    "make deploy STACKS=cicd-pipeline-sample-dev": (2, refused_without_credentials(NO_CREDENTIALS)),
    "make diff": (2, refused_without_credentials(NO_CREDENTIALS.replace("make deploy", "make diff"))),
    "make destroy": (2, refused_without_credentials(NO_CREDENTIALS.replace("make deploy", "make destroy"))),
    "make source-bundle APP=sample DIR=sample-app": (0, bundled),
}
"""Commands and the exit status make gives (2 when a recipe fails) with what they leave."""
RUN_ELSEWHERE = {
    "make test": ".ci/run",
    README_INSTALL: "tests/test_adoption.py",
    README_CHECK: "tests/test_adoption.py",
    README_CHECKOV: "tests/test_adoption.py",
}


def test_every_readme_command_is_run_by_a_test() -> None:
    shown = readme.commands()
    assert sorted(shown) == sorted([*RUN_HERE, *RUN_ELSEWHERE])
    assert "make test" in (ROOT / ".ci" / "run").read_text().splitlines()


@pytest.mark.parametrize("command", sorted(RUN_HERE))
def test_the_readme_command_works_as_written(tmp_path: Path, command: str) -> None:
    copy = fresh_copy(tmp_path / "clone")
    run = subprocess.run(
        ["bash", "-c", command],
        cwd=copy,
        env=plain_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    status, check = RUN_HERE[command]
    output = run.stdout + run.stderr
    assert run.returncode == status, output[-3000:]
    assert "Traceback" not in output
    check(copy, output)

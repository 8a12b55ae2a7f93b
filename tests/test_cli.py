"""The gate through the real entry points: `python app.py` and the CDK CLI, also with --ignore-errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

VIOLATING_APP = ROOT / "tests" / "fixtures" / "violating_app.py"
ENV = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}


def run(*command: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env={**ENV, **env}, capture_output=True, text=True, check=False)


def assert_refused(result: subprocess.CompletedProcess, outdir: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for expected in (
        "[CMP002] S3 buckets use SSE-S3 encryption only",
        "violating-stack-dev/KmsBucket/Resource",
        "[CMP001] Resources are destroyable: DeletionPolicy is Retain",
        "violating-stack-dev/OverriddenBucket/Resource",
        "logical ID OverriddenBucket",
        "Fix: ",
    ):
        assert expected in output, expected
    report = json.loads((outdir / "compliance" / "report.json").read_text())
    assert report["passed"] is False and report["totals"]["fail"] >= 3


def test_python_app_refuses_a_violation(tmp_path: Path) -> None:
    result = run(sys.executable, str(VIOLATING_APP), CDK_OUTDIR=str(tmp_path))
    assert result.returncode == 1
    assert (
        result.stderr.rstrip().splitlines()[-1].startswith("error: compliance gate refused synthesis: 3 violation(s)")
    )
    assert_refused(result, tmp_path)


@pytest.mark.parametrize("flags", [(), ("--ignore-errors",)])
def test_cdk_synth_refuses_a_violation(tmp_path: Path, flags: tuple[str, ...]) -> None:
    app = f"{sys.executable} {VIOLATING_APP}"
    result = run("npx", "--no-install", "cdk", "synth", "--quiet", "--app", app, "-o", str(tmp_path), *flags)
    assert_refused(result, tmp_path)


def test_make_synth_forwards_cdk_args(tmp_path: Path) -> None:
    """`make synth CDK_ARGS="-o DIR -c environmentSuffix=X"`: another copy of the system, in DIR."""
    outdir = tmp_path / "out"
    result = run("make", "--no-print-directory", "synth", f"CDK_ARGS=-o {outdir} -c environmentSuffix=pr42")
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = {name for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    assert {"cicd-pipeline-sample-pr42", "cicd-foundation-pipeline-pr42", "cicd-monitoring-pipeline-pr42"} <= stacks
    assert {f"cicd-{env}-pr42" for env in ("dev", "staging", "prod")} <= stacks
    assert {f"cicd-{env}-sample-pr42" for env in ("dev", "staging", "prod")} <= stacks
    assert all(name.endswith("-pr42") for name in stacks)
    report = json.loads((outdir / "compliance" / "report.json").read_text())
    assert report["passed"] is True and report["environmentSuffix"] == "pr42"

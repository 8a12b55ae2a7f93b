"""Another team's CDK app (tests/fixtures/web_service, sharing no code with stacks/) under the gate: the
package installed into a fresh virtual environment outside this checkout, adopted in two lines, or
run by the runner on the app as written, then checkov with the gate's checks. Every route gives the
same findings; the install, the runner and checkov run as README.md shows them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests import readme
from tests.support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "web_service"
PACKAGE_FILES = ("pyproject.toml", "README.md", "compliance_gate", "aspects", "policies")
pytestmark = pytest.mark.xdist_group("fresh-venv")
"""One worker builds the virtual environment once for all of them."""

EXPECTED = [
    (
        "CMP002",
        "web-service-dev/Uploads/Resource",
        [
            "BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm "
            "is 'aws:kms', not 'AES256'"
        ],
    ),
    ("CMP001", "web-service-dev/Work/Resource", ["DeletionPolicy is Retain", "UpdateReplacePolicy is Retain"]),
    ("CMP005", "web-service-dev/Worker/Resource", ["RoleName is not set; name it <resource-type>-<environment>-dev"]),
]


README_INSTALL = readme.command("pip install")
README_CHECK = readme.command("python -m compliance_gate check")
README_CHECKOV = readme.command("checkov -d")


def as_in_readme(command: str, python: Path, cwd: Path, **filled: str) -> subprocess.CompletedProcess[str]:
    """A README command run with bash in the virtual environment of `python` (first on PATH, not
    activated otherwise), its placeholders filled."""
    for placeholder, value in filled.items():
        command = command.replace(placeholder, value)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "CDK_OUTDIR", "VIRTUAL_ENV")}
    env["PATH"] = f"{python.parent}:{env['PATH']}"
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the package installed from a copy of its files, by README's
    `pip install "/path/to/this/checkout[checkov]"`."""
    source = tmp_path_factory.mktemp("package")
    for name in PACKAGE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    environment = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(environment)
    interpreter = environment / "bin" / "python"
    installed = as_in_readme(
        README_INSTALL + " --quiet", interpreter, Path(source), **{"/path/to/this/checkout": str(source)}
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return interpreter


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """The fixture app copied outside this checkout."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "web_service"))


def run(command: list, cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "CDK_OUTDIR")}
    return subprocess.run(command, cwd=cwd, env={**env, **environment}, capture_output=True, text=True, timeout=600)


def failures(outdir: Path) -> list[tuple[str, str, list[str]]]:
    results = json.loads((outdir / "compliance" / "report.json").read_text())["results"]
    return [(r["rule_id"], r["path"], r["messages"]) for r in results if r["status"] == "fail"]


def test_the_package_claims_one_top_level_name(python: Path) -> None:
    found = run(
        [
            python,
            "-c",
            "import importlib.util as u; print([m for m in ('compliance_gate', 'aspects', "
            "'policies', 'stacks') if u.find_spec(m)])",
        ],
        Path("/"),
    )
    assert found.stdout.strip() == "['compliance_gate']"


def test_a_foreign_app_adopts_the_gate_in_two_lines(python: Path, app_dir: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    adopted = run([python, "adopting_app.py"], app_dir, CDK_OUTDIR=str(outdir))
    assert adopted.returncode == 1, adopted.stderr[-2000:]
    assert "Traceback" not in adopted.stderr
    assert failures(outdir) == EXPECTED
    assert adopted.stderr.rstrip().endswith(
        "error: compliance gate refused synthesis: 3 violation(s) of CMP001, CMP002, CMP005 listed above; "
        f"full report: {outdir}/compliance/report.md"
    )
    first_screen = (outdir / "compliance" / "report.md").read_text().splitlines()[:9]
    assert first_screen[4:9] == [  # where each construct was created: the fixture app's own lines
        "## What failed (3)",
        "",
        f"- **CMP002** `web-service-dev/Uploads/Resource` (web_service.py:19): {EXPECTED[0][2][0]}",
        "- **CMP001** `web-service-dev/Work/Resource` (web_service.py:29): DeletionPolicy is Retain",
        f"- **CMP005** `web-service-dev/Worker/Resource` (web_service.py:36): {EXPECTED[2][2][0]}",
    ]


def test_the_runner_gives_an_app_it_cannot_edit_the_same_report(python: Path, app_dir: Path, tmp_path: Path) -> None:
    """README's runner command, then its checkov command on the same cloud assembly."""
    checked = as_in_readme(README_CHECK, python, tmp_path, **{"path/to/app": str(app_dir)})
    assert checked.returncode == 1, checked.stderr[-2000:]
    assert "Traceback" not in checked.stderr
    assert failures(tmp_path / "cdk.out") == EXPECTED
    assert "adopting_app" not in (app_dir / "app.py").read_text()  # the app as written, without the gate
    scanned = as_in_readme(README_CHECKOV + " --quiet --compact", python, tmp_path)
    assert scanned.returncode == 1, scanned.stdout[-2000:] + scanned.stderr[-2000:]
    failed = sorted(set(re.findall(r"Check: (CMP\d+):", scanned.stdout)))
    assert failed == sorted({rule for rule, _, _ in EXPECTED})


def test_a_bad_acknowledgement_is_one_line_and_exit_2(python: Path, app_dir: Path, tmp_path: Path) -> None:
    script = (
        (app_dir / "adopting_app.py")
        .read_text()
        .replace(
            "app.synth()",
            "from compliance_gate import acknowledge\n"
            "acknowledge(app.node.find_child('web-service-dev'), 'CMP005', 'too short', owner='web-team')\n"
            "app.synth()",
        )
    )
    (app_dir / "bad_ack.py").write_text(script)
    refused = run([python, "bad_ack.py"], app_dir, CDK_OUTDIR=str(tmp_path / "out"))
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: acknowledgement of 'CMP005' on web-service-dev: reason 'too short' must be at least one sentence "
        "of 6 or more words, ending with a full stop"
    ]


def test_the_runner_refuses_what_is_not_a_python_cdk_app(app_dir: Path) -> None:
    (app_dir / "cdk.json").write_text(json.dumps({"app": "npx ts-node bin/app.ts"}))
    refused = run([sys.executable, "-m", "compliance_gate", "check", str(app_dir)], ROOT)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"error: {app_dir}/cdk.json: app command 'npx ts-node bin/app.ts' is not a Python command (python3 FILE.py)"
    )


def test_the_gate_is_applied_once_per_app(tmp_path: Path) -> None:
    """The runner's gate and the app's own apply_gate on the same App: one gate, the first one."""
    import aws_cdk as cdk

    from compliance_gate.aspects import apply_gate

    app = cdk.App(outdir=str(tmp_path))
    first = apply_gate(app, suffix="dev", region="eu-west-1")
    assert apply_gate(app, suffix="other") is first
    assert (first.suffix, first.region) == ("dev", "eu-west-1")


def test_the_runner_starts_a_module_app_too(python: Path, app_dir: Path, tmp_path: Path) -> None:
    """`"app": "python3 -m app"` runs as `python -m app` would, under the gate."""
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 -m app", "context": {"environmentSuffix": "dev"}}))
    outdir = tmp_path / "module-out"
    checked = run([python, "-m", "compliance_gate", "check", str(app_dir), "--out", str(outdir)], tmp_path)
    assert checked.returncode == 1, checked.stderr[-2000:]
    assert failures(outdir) == EXPECTED

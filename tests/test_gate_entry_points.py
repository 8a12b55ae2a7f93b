"""How each entry point ends, and the reports it leaves: settings no name can meet are refused in one
line, a gate applied too late is refused, a run that stops before judging leaves no earlier report,
and an expired acknowledgement is a violation again (README, "Exit status")."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns

from compliance_gate import acknowledge, apply_gate
from compliance_gate.aspects.report import REPORTS
from compliance_gate.policies.acknowledgement_records import AcknowledgementError
from compliance_gate.policies.model import GateSettingsError
from tests.support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "web_service"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
REASON = "The vendor construct creates this topic and offers no name property."
BAD_ACK = (
    "from compliance_gate import acknowledge\n"
    "acknowledge(app.node.find_child('web-service-dev'), 'CMP005', 'too short', owner='web-team')\n"
    "app.synth()"
)
BAD_ACK_LINE = (
    "error: acknowledgement of 'CMP005' on web-service-dev: reason 'too short' must be at least one sentence "
    "of 6 or more words, ending with a full stop"
)


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("CDK_OUTDIR", "CDK_CONTEXT_JSON")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def fixture_app(tmp_path: Path, script: str = "") -> Path:
    """The web service fixture; `script` (a replacement of adopting_app.py's `app.synth()`) as its app."""
    app_dir = Path(shutil.copytree(FIXTURE, tmp_path / "web_service"))
    if script:
        text = (app_dir / "adopting_app.py").read_text().replace("app.synth()", script)
        (app_dir / "variant.py").write_text(text)
        settings = json.loads((app_dir / "cdk.json").read_text())
        (app_dir / "cdk.json").write_text(json.dumps({**settings, "app": "python3 variant.py"}))
    return app_dir


def run_python(app_dir: Path, *arguments: str, **extra: str) -> subprocess.CompletedProcess:
    """This interpreter on `arguments`, in the app's directory, with the checkout importable."""
    return subprocess.run(
        [sys.executable, *arguments], cwd=app_dir, env=environment(**extra), capture_output=True, text=True, check=False
    )


def lines(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("suffix", ["DEV", "my-suffix", "x y", "", "a" * 25])
def test_apply_gate_refuses_a_suffix_no_name_can_end_with(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(GateSettingsError, match=rf"^suffix {suffix!r}: expected 1 to 24 lowercase letters or digits"):
        apply_gate(cdk.App(outdir=str(tmp_path)), suffix=suffix)


def test_apply_gate_refuses_a_region_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(GateSettingsError, match=r"^region 'US East': expected an AWS region code like us-east-1$"):
        apply_gate(cdk.App(outdir=str(tmp_path)), suffix="dev", region="US East")


def test_the_runner_refuses_a_bad_suffix_in_one_line(tmp_path: Path) -> None:
    app_dir = fixture_app(tmp_path)
    run = run_python(app_dir, "-m", "compliance_gate", "check", str(app_dir), "--suffix", "my-suffix")
    assert (run.returncode, run.stderr.strip().splitlines()) == (
        2,
        [
            "error: suffix 'my-suffix': expected 1 to 24 lowercase letters or digits (it is the last token of "
            "every name: many AWS names refuse capitals and spaces, and a '-' would make it two tokens)"
        ],
    )


def test_a_gate_applied_after_the_stacks_is_refused_in_one_line(tmp_path: Path) -> None:
    """Late: CDK would print every violation twice with the CLI's noise and no summary."""
    app_dir = fixture_app(tmp_path)
    script = (app_dir / "adopting_app.py").read_text()
    late = script.replace('apply_gate(app, suffix="dev", region="us-east-1")\n', "").replace(
        "app.synth()", 'apply_gate(app, suffix="dev", region="us-east-1")\napp.synth()'
    )
    (app_dir / "late.py").write_text(late)
    run = run_python(app_dir, "late.py", CDK_OUTDIR=str(tmp_path / "out"))
    assert (run.returncode, run.stderr.strip().splitlines()) == (
        2,
        [
            "error: apply_gate(app) must come right after cdk.App(), before the first construct "
            "(web-service-dev exists): it sets the context the gate reports with"
        ],
    )


def test_a_run_stopped_by_a_bad_acknowledgement_leaves_no_earlier_report(tmp_path: Path) -> None:
    reports = tmp_path / "compliance"
    reports.mkdir()
    for name in REPORTS:
        (reports / name).write_text("an earlier run's report\n")
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "s-dev")
    with pytest.raises(AcknowledgementError):
        acknowledge(sns.Topic(stack, "Topic"), "CMP005", "too short", owner="web-team")
    assert sorted(path.name for path in reports.iterdir()) == []


def test_applying_the_gate_removes_an_earlier_runs_reports(tmp_path: Path) -> None:
    reports = tmp_path / "compliance"
    reports.mkdir()
    (reports / "report.sarif").write_text("{}\n")
    apply_gate(cdk.App(outdir=str(tmp_path)), suffix="dev")
    assert not (reports / "report.sarif").exists()


def test_an_acknowledgement_past_its_expiry_is_a_violation_naming_its_owner(tmp_path: Path) -> None:
    """Not a bad input: the finding is back in every report, with whom to ask (exit 1, not 2)."""
    app_dir = fixture_app(
        tmp_path,
        "from compliance_gate import acknowledge\n"
        "acknowledge(app.node.find_child('web-service-dev').node.find_child('Worker'), 'CMP005', "
        f"{REASON!r}, owner='web-team', expires='2026-01-31')\n"
        "app.synth()",
    )
    outdir = tmp_path / "out"
    run = run_python(app_dir, "variant.py", CDK_OUTDIR=str(outdir))
    assert run.returncode == 1, run.stderr[-2000:]
    results = json.loads((outdir / "compliance" / "report.json").read_text())["results"]
    (worker,) = [r for r in results if r["rule_id"] == "CMP005" and r["path"] == "web-service-dev/Worker/Resource"]
    assert worker["status"] == "fail" and worker["owner"] == "web-team"
    assert worker["messages"][-1] == f"acknowledgement expired on 2026-01-31: {REASON}"
    assert dt.date.today() > dt.date(2026, 1, 31)


@pytest.mark.parametrize(
    ("entry", "variant", "status", "last"),
    [
        ("python", "", 1, "error: compliance gate refused synthesis: 3 violation(s) of CMP001, CMP002, CMP005"),
        ("python", BAD_ACK, 2, BAD_ACK_LINE),
        ("runner", BAD_ACK, 2, BAD_ACK_LINE),
        ("cdk synth", "", 1, "error: compliance gate refused synthesis: 3 violation(s) of CMP001, CMP002, CMP005"),
        ("cdk synth", BAD_ACK, 1, BAD_ACK_LINE),
    ],
)
def test_each_entry_point_exits_as_the_readme_says(
    tmp_path: Path, entry: str, variant: str, status: int, last: str
) -> None:
    app_dir = fixture_app(tmp_path, variant or "app.synth()")
    outdir = tmp_path / "out"
    command = {
        "python": [sys.executable, "variant.py"],
        "runner": [sys.executable, "-m", "compliance_gate", "check", str(app_dir), "--out", str(outdir)],
        "cdk synth": [str(CDK), "synth", "--quiet", "-o", str(outdir)],
    }[entry]
    env = environment(PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}")
    if entry == "python":
        env["CDK_OUTDIR"] = str(outdir)
    run = subprocess.run(command, cwd=app_dir, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == status, run.stderr[-3000:]
    assert any(line.startswith(last) for line in lines(run)), run.stderr[-3000:]
    if entry == "cdk synth" and variant:
        assert "python3 variant.py: Subprocess exited with error 2" in run.stderr

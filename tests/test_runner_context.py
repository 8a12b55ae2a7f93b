"""The runner synthesizes what `cdk synth` would: with cdk.context.json and `-c` values; and a reviewer
who cannot edit the app accepts its findings with a waiver file, checked as acknowledge() checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "web_service"
REASON = "The platform team names this role through its vending machine."
TOPIC_APP = """
import aws_cdk as cdk
from aws_cdk import aws_sns as sns

app = cdk.App()
stack = cdk.Stack(app, "topics-stack-dev", env=cdk.Environment(account="123456789012", region="us-east-1"))
sns.Topic(stack, "Alerts", topic_name=app.node.try_get_context("topicName") or "alerts")
app.synth()
"""


def check(app_dir: Path, outdir: Path, *options: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("CDK_OUTDIR", "CDK_CONTEXT_JSON")}
    return subprocess.run(
        [sys.executable, "-m", "compliance_gate", "check", str(app_dir), "--out", str(outdir), *options],
        env={**env, "PYTHONPATH": str(ROOT), "HOME": str(outdir.parent)},  # no user ~/.cdk.json
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def statuses(outdir: Path) -> dict[tuple[str, str], str]:
    results = json.loads((outdir / "compliance" / "report.json").read_text())["results"]
    return {(r["rule_id"], r["path"]): r["status"] for r in results if r["status"] in ("fail", "acknowledged")}


@pytest.fixture
def topic_app(tmp_path: Path) -> Path:
    app_dir = tmp_path / "topics"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(TOPIC_APP)
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": {"environmentSuffix": "dev"}}))
    (app_dir / "cdk.context.json").write_text(json.dumps({"topicName": "alerts-topic-dev"}))
    return app_dir


def test_the_context_cdk_saved_is_the_context_judged(topic_app: Path, tmp_path: Path) -> None:
    run = check(topic_app, tmp_path / "out")
    assert run.returncode == 0, run.stderr[-2000:]
    (topic_app / "cdk.context.json").unlink()
    without = check(topic_app, tmp_path / "without")
    assert without.returncode == 1  # the app as cdk synth would not see it: a topic named "alerts"
    assert statuses(tmp_path / "without") == {("CMP005", "topics-stack-dev/Alerts/Resource"): "fail"}


def test_c_values_win_as_they_do_for_cdk_synth(topic_app: Path, tmp_path: Path) -> None:
    run = check(topic_app, tmp_path / "out", "-c", "topicName=Alerts Topic")
    assert run.returncode == 1, run.stderr[-2000:]
    assert statuses(tmp_path / "out") == {("CMP005", "topics-stack-dev/Alerts/Resource"): "fail"}
    malformed = check(topic_app, tmp_path / "bad", "-c", "topicName")
    assert (malformed.returncode, malformed.stderr.strip()) == (2, "error: -c 'topicName': expected KEY=VALUE")


def waivers_file(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "waivers.json"
    path.write_text(json.dumps(list(entries)))
    return path


def test_a_waiver_file_accepts_findings_in_an_app_nobody_edits(tmp_path: Path) -> None:
    app_dir = Path(shutil.copytree(FIXTURE, tmp_path / "web"))
    waivers = waivers_file(
        tmp_path,
        {
            "rule": "CMP005",
            "path": "web-service-dev/Worker",
            "reason": REASON,
            "owner": "platform",
            "expires": "2099-01-31",
        },
    )
    run = check(app_dir, tmp_path / "out", "--waivers", str(waivers))
    assert run.returncode == 1, run.stderr[-2000:]  # the two other findings remain
    found = statuses(tmp_path / "out")
    assert found[("CMP005", "web-service-dev/Worker/Resource")] == "acknowledged"
    assert found[("CMP001", "web-service-dev/Work/Resource")] == "fail"
    report = (tmp_path / "out" / "compliance" / "report.md").read_text()
    assert f"Reason (expires 2099-01-31), owner platform: {REASON}" in report
    assert "adopting_app" not in (app_dir / "app.py").read_text()


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        (
            {"rule": "CMP005", "path": "web-service-dev/Worker", "reason": "too short", "owner": "platform"},
            "reason 'too short' must be at least one sentence",
        ),
        (
            {"rule": "CMP099", "path": "web-service-dev/Worker", "reason": REASON, "owner": "platform"},
            "the rule is not in the catalog",
        ),
        (
            {"rule": "CMP005", "path": "*", "reason": REASON, "owner": "platform"},
            "path '*' must name constructs, not the whole app",
        ),
        (
            {"rule": "CMP005", "path": "web-service-dev/Worker", "reason": REASON},
            "expected an object with rule, path, reason, owner",
        ),
        (
            {"rule": "CMP005", "path": "web-service-dev/Nothing*", "reason": REASON, "owner": "platform"},
            "path 'web-service-dev/Nothing*' matches no construct of the app",
        ),
    ],
)
def test_a_bad_waiver_is_one_line_and_exit_2(tmp_path: Path, entry: dict, complaint: str) -> None:
    app_dir = Path(shutil.copytree(FIXTURE, tmp_path / "web"))
    waivers = waivers_file(tmp_path, entry)
    run = check(app_dir, tmp_path / "out", "--waivers", str(waivers))
    (line,) = [text for text in run.stderr.splitlines() if text.startswith("error:")]
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert line.startswith(f"error: waivers {waivers} entry 0: ") and complaint in line

"""The gate's findings point at the user's Python line that created the violating construct (or its
nearest enclosing construct), in report.sarif (as GitHub code scanning places results), report.md,
report.json and the console line; SARIF passes Microsoft's multitool `Gh;Sarif` validation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance_gate.aspects.report import FINGERPRINT, SECURITY_SEVERITY, VERSION
from tests.support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "web_service"
MULTITOOL = ROOT / ".cache" / "sarif-multitool" / "Sarif.Multitool"
REASON = "The worker role is named by the platform's role vending machine later."
ACKNOWLEDGE = (
    "from compliance_gate import acknowledge\n"
    "acknowledge(app.node.find_child('web-service-dev').node.find_child('Worker'), 'CMP005', "
    f"{REASON!r}, owner='web-team', expires='2099-12-31')\n"
    "app.synth()"
)


def synthesize(repository: Path, outdir: Path, script: str = "adopting_app.py") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("CDK_CONTEXT_JSON",)}
    env.update(PYTHONPATH=str(ROOT), CDK_OUTDIR=str(outdir))
    return subprocess.run(
        [sys.executable, script], cwd=repository, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture app as its own git repository, with one finding acknowledged."""
    root = Path(shutil.copytree(FIXTURE, tmp_path_factory.mktemp("repo") / "web"))
    subprocess.run(["git", "init", "--quiet"], cwd=root, check=True)
    text = (root / "adopting_app.py").read_text().replace("app.synth()", ACKNOWLEDGE)
    (root / "acknowledging_app.py").write_text(text)
    return root


@pytest.fixture(scope="module")
def synthesized(repository: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    outdir = tmp_path_factory.mktemp("out")
    run = synthesize(repository, outdir, "acknowledging_app.py")
    assert run.returncode == 1, run.stderr[-3000:]
    return outdir / "compliance", run.stderr


def sarif_results(reports: Path) -> list[dict]:
    return json.loads((reports / "report.sarif").read_text())["runs"][0]["results"]


def test_every_finding_points_at_the_line_that_created_its_construct(
    repository: Path, synthesized: tuple[Path, str]
) -> None:
    reports, _ = synthesized
    results = sarif_results(reports)
    assert sorted(r["ruleId"] for r in results) == ["CMP001", "CMP002", "CMP005"]
    for result in results:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        source = repository / physical["artifactLocation"]["uri"]
        assert source.is_file() and physical["artifactLocation"]["uri"] == "web_service.py"
        region = physical["region"]
        lines = source.read_text().splitlines()[region["startLine"] - 1 : region["endLine"]]
        construct_id = location["logicalLocations"][0]["fullyQualifiedName"].split("/")[1]
        assert f'"{construct_id}"' in "\n".join(lines), (construct_id, lines)
        assert lines[0][region["startColumn"] - 1 :].split("(")[0].rsplit(".", 1)[-1][:1].isupper()
        assert f"construct {location['logicalLocations'][0]['fullyQualifiedName']}" in result["message"]["text"]


def test_the_same_file_and_line_in_every_report_and_on_the_console(synthesized: tuple[Path, str]) -> None:
    reports, console = synthesized
    for result in sarif_results(reports):
        physical = result["locations"][0]["physicalLocation"]
        where = f"{physical['artifactLocation']['uri']}:{physical['region']['startLine']}"
        path = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        (found,) = [
            r
            for r in json.loads((reports / "report.json").read_text())["results"]
            if r["path"] == path and r["rule_id"] == result["ruleId"]
        ]
        assert found["source"] == where
        assert f"created at `{where}`" in (reports / "report.md").read_text()
        if "suppressions" not in result:
            assert f"created at {where})" in console


def test_fingerprints_stay_when_unrelated_lines_move(repository: Path, tmp_path: Path) -> None:
    moved = Path(shutil.copytree(repository, tmp_path / "moved"))
    source = moved / "web_service.py"
    source.write_text("# a comment\n# and another\n" + source.read_text())
    before, after = (tmp_path / "before", tmp_path / "after")
    synthesize(repository, before)
    synthesize(moved, after)
    first, second = sarif_results(before / "compliance"), sarif_results(after / "compliance")
    assert [r["partialFingerprints"][FINGERPRINT] for r in first] == [
        r["partialFingerprints"][FINGERPRINT] for r in second
    ]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in first]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in second] == [n + 2 for n in lines]


def test_severity_version_and_the_acknowledgements_owner_and_expiry(synthesized: tuple[Path, str]) -> None:
    reports, _ = synthesized
    run = json.loads((reports / "report.sarif").read_text())["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["version"], driver["informationUri"].startswith("file://")) == (VERSION, True)
    assert {rule["properties"]["security-severity"] for rule in driver["rules"]} <= set(SECURITY_SEVERITY.values())
    (acknowledged,) = [r for r in run["results"] if "suppressions" in r]
    (suppression,) = acknowledged["suppressions"]
    assert suppression["justification"] == f"{REASON} (owner web-team, expires 2099-12-31)"
    severity = next(r for r in driver["rules"] if r["id"] == "CMP005")["properties"]["severity"]
    assert acknowledged["properties"]["security-severity"] == SECURITY_SEVERITY[severity]


def test_the_multitool_finds_nothing_github_would_warn_about(synthesized: tuple[Path, str], tmp_path: Path) -> None:
    reports, _ = synthesized
    output = tmp_path / "validation.sarif"
    run = subprocess.run(
        [
            *(str(MULTITOOL), "validate", "--rule-kind", "Gh;Sarif", "--level", "Error;Warning;Note"),
            *("--output", str(output), str(reports / "report.sarif")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    findings = json.loads(output.read_text())["runs"][0].get("results", [])
    serious = [(f["ruleId"], f.get("level", "warning")) for f in findings if f.get("level", "warning") != "note"]
    assert serious == []
    assert {f["ruleId"] for f in findings} >= {"SARIF2012"}  # notes are reported: the tool did judge the file

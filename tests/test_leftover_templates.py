"""Only the stacks of the cloud assembly count: a template an earlier configuration left in cdk.out is
neither listed in the register of exceptions (so `make security-doc` cannot copy it into SECURITY.md)
nor judged by the gate's checkov checks; and each exception is labelled with the tool that owns it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compliance_gate.aspects import register
from tests.support import ROOT, Synthesized
from tests.toolkit.checkov import run_checkov

LEFTOVER = "cicd-old-dev"


@pytest.fixture(scope="module")
def cdk_out(system: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The system's cloud assembly, plus a stack an earlier synthesis left: a retained, acknowledged
    bucket, with a cdk-nag suppression in its metadata file."""
    outdir = Path(shutil.copytree(system.outdir, tmp_path_factory.mktemp("assembly") / "cdk.out"))
    bucket = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "Metadata": {
            "aws:cdk:path": f"{LEFTOVER}/Old/Resource",
            "compliance:acknowledgements": [
                {"rule": "CMP005", "reason": "An old reason from an old configuration.", "scope": LEFTOVER}
            ],
        },
    }
    (outdir / f"{LEFTOVER}.template.json").write_text(json.dumps({"Resources": {"Old": bucket}}))
    nag = {"type": "aws:cdk:acknowledged-rules", "data": {"Annotation::AwsSolutions-S1": "An old suppression."}}
    (outdir / f"{LEFTOVER}.metadata.json").write_text(json.dumps({f"/{LEFTOVER}/Old/Resource": [nag]}))
    return outdir


def test_the_register_lists_only_the_manifests_stacks(cdk_out: Path) -> None:
    found = register.collect(cdk_out)
    assert found and not any(LEFTOVER in stacks for stacks in found.values())
    assert "An old" not in register.markdown(found)


def test_each_exception_is_labelled_with_its_tool(cdk_out: Path) -> None:
    found = register.collect(cdk_out)
    by_tool = {tool: {e.finding for e in found if e.tool == tool} for tool, _ in register.TOOLS}
    assert by_tool["aws-cdk-lib"] == {"CloudFormation-Validate::F3002", "CloudFormation-Validate::F3003"}
    assert not any(finding.startswith("CloudFormation-Validate::") for finding in by_tool["cdk-nag"])
    assert by_tool["cdk-nag"] and all(finding.startswith("AwsSolutions-") for finding in by_tool["cdk-nag"])
    assert "#### aws-cdk-lib's template validation: 2" in register.markdown(found)


def test_the_gates_checkov_checks_judge_no_leftover_template(cdk_out: Path) -> None:
    status, reports = run_checkov(cdk_out, ROOT / "policies" / "checkov")
    judged = {
        check["file_path"]
        for report in reports
        for status in ("passed_checks", "failed_checks")
        for check in report.get("results", {}).get(status, [])
    }
    assert judged and f"/{LEFTOVER}.template.json" not in judged
    assert status == 0, reports

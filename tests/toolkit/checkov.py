"""checkov with the gate's checks over a cloud assembly, as `make scan` runs it, read back as JSON."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from compliance_gate.policies.catalog import RULES

CHECKOV = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "checkov"


def run_checkov(cdk_out: Path, checks: Path) -> tuple[int, list[dict[str, Any]]]:
    """checkov's exit status and its reports (one per framework run) on `cdk_out`, the catalog's rules only.
    Run from `cdk_out`, away from the project's .checkov.yaml, whose `quiet` hides passed checks."""
    run = subprocess.run(
        [
            *(str(CHECKOV), "-d", str(cdk_out), "--framework", "cloudformation", "--skip-download"),
            *("--external-checks-dir", str(checks)),
            *("--check", ",".join(rule.id for rule in RULES), "-o", "json"),
        ],
        env={**os.environ, "CDK_OUT": str(cdk_out)},
        cwd=cdk_out,
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(run.stdout)
    return run.returncode, reports if isinstance(reports, list) else [reports]

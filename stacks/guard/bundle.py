"""The guard function's code, put together at synthesis: its handler, the rule catalog as it is in
`policies/` (never a copy kept in the repository) and the catalog's own dependencies, installed for
the function's platform by the Makefile (`make guard-packages`, a prerequisite of every make target
that synthesizes) into `.cache/guard-packages`. No Docker: the files are only copied."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

ROOT = Path(__file__).resolve().parents[2]
HANDLER = Path(__file__).parent / "runtime" / "handler.py"
PACKAGES = ROOT / ".cache" / "guard-packages"
INSTALLED = PACKAGES / ".installed"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "bin", ".installed", "checkov")


class MissingPackages(RuntimeError):
    """The function's dependencies were never installed for its platform."""

    def __init__(self) -> None:
        super().__init__(
            f"the deploy-time guard's packages are not installed ({PACKAGES.relative_to(ROOT)}): run "
            "`make guard-packages` once (every make target that synthesizes does it first)"
        )


@jsii.implements(cdk.ILocalBundling)
class _Copy:
    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        out = Path(output_dir)
        shutil.copytree(PACKAGES, out, ignore=_IGNORED, dirs_exist_ok=True)
        shutil.copytree(ROOT / "policies", out / "policies", ignore=_IGNORED, dirs_exist_ok=True)
        (out / "compliance_gate").mkdir(exist_ok=True)
        shutil.copy2(ROOT / "compliance_gate" / "__init__.py", out / "compliance_gate" / "__init__.py")
        shutil.copy2(HANDLER, out / "handler.py")
        return True


def guard_code() -> Any:
    """The function's code asset (aws_lambda.Code), bundled on this machine."""
    from aws_cdk import aws_lambda as lambda_

    if not INSTALLED.exists():
        raise MissingPackages()
    bundling = cdk.BundlingOptions(image=cdk.DockerImage.from_registry("unused-local-bundling"), local=_Copy())
    return lambda_.Code.from_asset(str(HANDLER.parent), bundling=bundling)

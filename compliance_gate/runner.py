"""Run any CDK Python app under the gate without editing it:

    python -m compliance_gate check path/to/app [--suffix S] [--region R] [--out DIR]

The app's command comes from its cdk.json (`"app": "python3 app.py"`, or `python3 -m module`) and
runs with this interpreter (install the app's own requirements next to the gate), its cdk.json
context passed as the CDK CLI passes it, and every `cdk.App` it creates put under the gate. The
reports are written to DIR/compliance/ (default: the app's cdk.out). Exit status: 0 passed, 1
refused, 2 bad input (an acknowledgement, a directory without a Python CDK app).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import runpy
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from compliance_gate.policies.model import DEFAULT_REGION, GateSettingsError, check_settings

PYTHONS = {"python", "python3", f"python3.{sys.version_info.minor}"}


class BadApp(ValueError):
    """The directory holds no Python CDK app the runner can start."""


def read_app(app_dir: Path) -> tuple[list[str], dict[str, Any]]:
    """What follows the interpreter in the app's command (`app.py ...` or `-m module ...`), and its
    cdk.json context."""
    cdk_json = app_dir / "cdk.json"
    if not cdk_json.is_file():
        raise BadApp(f"{cdk_json}: no cdk.json (expected a CDK app directory)")
    settings = json.loads(cdk_json.read_text())
    command = shlex.split(settings.get("app", ""))
    if len(command) < 2 or Path(command[0]).name not in PYTHONS:
        raise BadApp(f"{cdk_json}: app command {' '.join(command)!r} is not a Python command (python3 FILE.py)")
    return command[1:], settings.get("context", {})


def check(app_dir: Path, suffix: str | None, region: str, out: Path | None) -> int:
    app_dir = app_dir.resolve()
    arguments, context = read_app(app_dir)
    suffix = suffix or context.get("environmentSuffix")
    if not suffix:
        raise BadApp(f"{app_dir}: no --suffix given and no environmentSuffix in its cdk.json context")
    check_settings(suffix, region)
    out = (out or app_dir / "cdk.out").resolve()
    package_root = str(Path(__file__).resolve().parent.parent)
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (package_root, str(app_dir), os.environ.get("PYTHONPATH")) if p),
        "CDK_OUTDIR": str(out),
        "CDK_CONTEXT_JSON": json.dumps(context),
    }
    command = [sys.executable, "-m", "compliance_gate.runner", "--run", suffix, region, *arguments]
    status = subprocess.run(command, cwd=app_dir, env=environment, check=False).returncode
    report = out / "compliance" / "report.md"
    if report.exists():
        print(f"compliance report: {report} (also report.json and report.sarif)", file=sys.stderr)
    return status


def run_under_gate(suffix: str, region: str, arguments: list[str]) -> None:
    """In the app's process: put every cdk.App under the gate as it is created, then run the app."""
    import aws_cdk as cdk

    from compliance_gate import apply_gate

    created = cdk.App.__init__

    def under_the_gate(self: cdk.App, *args: object, **kwargs: object) -> None:
        created(self, *args, **kwargs)
        apply_gate(self, suffix=suffix, region=region)

    cdk.App.__init__ = under_the_gate
    if arguments[0] == "-m":
        sys.argv = arguments[1:]
        runpy.run_module(arguments[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = arguments
        runpy.run_path(arguments[0], run_name="__main__")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--run"]:  # the app's process, started by `check`
        run_under_gate(argv[1], argv[2], argv[3:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m compliance_gate", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("check", help="synthesize a CDK Python app under the gate")
    run.add_argument("app_dir", type=Path)
    run.add_argument("--suffix", help="the environmentSuffix names must end with (default: the app's context)")
    run.add_argument("--region", default=DEFAULT_REGION, help=f"the one region stacks may use ({DEFAULT_REGION})")
    run.add_argument("--out", type=Path, help="cloud assembly directory (default: APP_DIR/cdk.out)")
    commands.add_parser("checkov-dir", help="print the directory of the checkov checks (--external-checks-dir)")
    args = parser.parse_args(argv)
    if args.command == "checkov-dir":
        (checks,) = importlib.util.find_spec("compliance_gate.policies.checkov").submodule_search_locations
        print(checks)
        return 0
    try:
        return check(args.app_dir, args.suffix, args.region, args.out)
    except (BadApp, GateSettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

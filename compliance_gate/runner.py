"""Run any CDK Python app under the gate without editing it:

    python -m compliance_gate check path/to/app [--suffix S] [--region R] [--out DIR]
        [-c KEY=VALUE ...] [--waivers FILE]

The app's command comes from its cdk.json (`"app": "python3 app.py"`, or `python3 -m module`) and
runs with this interpreter (install the app's own requirements next to the gate), with the context
`cdk synth` would give it (~/.cdk.json, then cdk.json, then cdk.context.json, then each `-c`), and
every `cdk.App` it creates put under the gate; the waivers in FILE (compliance_gate.waivers) are
acknowledged before it synthesizes. The reports are written to DIR/compliance/ (default: the app's
cdk.out). Exit status: 0 passed, 1 refused, 2 bad input (an acknowledgement or waiver, a setting, a
directory without a Python CDK app).
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

from compliance_gate.policies.acknowledgement_records import AcknowledgementError
from compliance_gate.policies.model import DEFAULT_REGION, GateSettingsError, check_settings
from compliance_gate.waivers import load as load_waivers

PYTHONS = {"python", "python3", f"python3.{sys.version_info.minor}"}


class BadApp(ValueError):
    """The directory holds no Python CDK app the runner can start."""


WAIVERS = "COMPLIANCE_GATE_WAIVERS"
"""The checked waivers, handed to the app's process."""


def _json_file(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise BadApp(f"{path}: not JSON ({error.msg} at line {error.lineno} column {error.colno})") from None
    if not isinstance(value, dict):
        raise BadApp(f"{path}: expected a JSON object")
    return value


def cli_context(app_dir: Path, settings: dict[str, Any], pairs: list[str]) -> dict[str, Any]:
    """The context `cdk synth` gives the app: the user's ~/.cdk.json, the project's cdk.json, its
    cdk.context.json (the lookups CDK saved), then each `-c key=value` (text, as the CLI passes it)."""
    context: dict[str, Any] = {}
    user = Path.home() / ".cdk.json"
    if user.is_file():
        context.update(_json_file(user).get("context", {}))
    context.update(settings.get("context", {}))
    saved = app_dir / "cdk.context.json"
    if saved.is_file():
        context.update(_json_file(saved))
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not key or not equals:
            raise BadApp(f"-c {pair!r}: expected KEY=VALUE")
        context[key] = value
    return context


def read_app(app_dir: Path) -> tuple[list[str], dict[str, Any]]:
    """What follows the interpreter in the app's command (`app.py ...` or `-m module ...`), and its
    cdk.json settings."""
    cdk_json = app_dir / "cdk.json"
    if not cdk_json.is_file():
        raise BadApp(f"{cdk_json}: no cdk.json (expected a CDK app directory)")
    settings = _json_file(cdk_json)
    command = shlex.split(settings.get("app", ""))
    if len(command) < 2 or Path(command[0]).name not in PYTHONS:
        raise BadApp(f"{cdk_json}: app command {' '.join(command)!r} is not a Python command (python3 FILE.py)")
    return command[1:], settings


def check(
    app_dir: Path,
    suffix: str | None,
    region: str,
    out: Path | None,
    context_pairs: list[str] = (),
    waivers: Path | None = None,
) -> int:
    app_dir = app_dir.resolve()
    arguments, settings = read_app(app_dir)
    context = cli_context(app_dir, settings, list(context_pairs))
    checked = load_waivers(waivers.resolve()) if waivers else []
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
        WAIVERS: json.dumps({"source": str(waivers or ""), "waivers": checked}),
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

    from compliance_gate import apply_gate, waivers

    given = json.loads(os.environ.get(WAIVERS, '{"source": "", "waivers": []}'))
    created, synthesize = cdk.App.__init__, cdk.App.synth

    def under_the_gate(self: cdk.App, *args: object, **kwargs: object) -> None:
        created(self, *args, **kwargs)
        apply_gate(self, suffix=suffix, region=region)

    def waived(self: cdk.App, *args: object, **kwargs: object) -> object:
        if given["waivers"] and not getattr(self, "_waivers_applied", False):
            self._waivers_applied = True
            waivers.apply(self, given["waivers"], given["source"])
        return synthesize(self, *args, **kwargs)

    cdk.App.__init__, cdk.App.synth = under_the_gate, waived
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
    run.add_argument(
        "-c", "--context", action="append", default=[], metavar="KEY=VALUE", help="context, as `cdk synth -c` takes it"
    )
    run.add_argument("--waivers", type=Path, help="a JSON file of waivers (rule, path, reason, owner, expires)")
    commands.add_parser("checkov-dir", help="print the directory of the checkov checks (--external-checks-dir)")
    args = parser.parse_args(argv)
    if args.command == "checkov-dir":
        (checks,) = importlib.util.find_spec("compliance_gate.policies.checkov").submodule_search_locations
        print(checks)
        return 0
    try:
        return check(args.app_dir, args.suffix, args.region, args.out, args.context, args.waivers)
    except (BadApp, GateSettingsError, AcknowledgementError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

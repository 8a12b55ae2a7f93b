#!/usr/bin/env python3
"""How much the compliance gate adds to `cdk synth`, and, for comparison, what cdk-nag's AwsSolutions pack adds.

Each run is a real `cdk synth` of the full app from cdk.json, through the pinned CLI, in a fresh
output directory, timed on the wall clock as a user sees it. Each round runs the three builds of the
app back to back, in an order that rotates from round to round, so that machine noise hits them
alike; a ratio is the median over rounds of that round's ratio (paired), which a slow spell of the
machine cannot tilt the way it can tilt the ratio of two medians:

- bare: the stacks alone;
- nag: the stacks with cdk-nag and the quota check (the app as shipped, without the gate);
- full: the app as shipped (`make synth`): cdk-nag, the quota check and the gate.

The gate's overhead is full / nag; cdk-nag's is nag / bare. Budget (issue 11): the gate adds at most 5%.

    python benchmarks/gate_overhead.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("bare", "nag", "full")
BUDGET = 1.05


def app(mode: str) -> int:
    """The CDK app for one mode (the CLI runs this as its --app), built exactly as app.py builds it."""
    sys.path.insert(0, str(ROOT))
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    import app as entry
    from stacks.config import load_config
    from stacks.quotas import QuotaPlugin
    from stacks.system import build_system

    if mode == "full":
        return entry.main()
    application = entry.new_app()
    build_system(application, load_config(application.node))
    if mode == "nag":  # the system's other validations: cdk-nag and the quota check
        cdk.Validations.of(application).add_plugins(AwsSolutionsChecks(application), QuotaPlugin())
    application.synth()
    return 0


def cdk_synth(mode: str) -> float:
    outdir = tempfile.mkdtemp(prefix=f"bench-{mode}-")
    command = [
        *("npx", "--no-install", "cdk", "synth", "--quiet", "-o", outdir),
        *("--app", f"{sys.executable} {Path(__file__).resolve()} --app {mode}"),
    ]
    try:
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env=os.environ)
        return time.perf_counter() - start
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def paired(runs: list[float], baseline: list[float]) -> float:
    """The median of each round's ratio."""
    return statistics.median(run / base for run, base in zip(runs, baseline, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--app", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app:
        sys.exit(app(args.app))
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for run in range(args.runs):
        for mode in MODES[run % 3 :] + MODES[: run % 3]:
            times[mode].append(cdk_synth(mode))
        print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{m} {times[m][-1]:.2f}s" for m in MODES), flush=True)
    median = {mode: statistics.median(values) for mode, values in times.items()}
    print("median cdk synth wall time: " + ", ".join(f"{mode} {median[mode]:.2f}s" for mode in MODES))
    gate, nag = paired(times["full"], times["nag"]), paired(times["nag"], times["bare"])
    print(f"cdk-nag AwsSolutions adds: ratio {nag:.3f} ({(nag - 1) * 100:+.1f}%)")
    print(f"compliance gate adds: ratio {gate:.3f} ({(gate - 1) * 100:+.1f}%), budget {(BUDGET - 1) * 100:.0f}%")
    sys.exit(0 if gate <= BUDGET else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How much the compliance gate (and, for comparison, cdk-nag's AwsSolutions pack) adds to synth time.

Each run is a fresh Python process that builds the full app from cdk.json and synthesizes it, as
`python app.py` (and so `cdk synth`) does. The budget applies to that process's wall time; the
build + synth time inside it (interpreter and jsii start-up excluded) is printed too, as the
stricter view. Modes alternate so that machine noise hits them alike; the medians are compared.

    python benchmarks/gate_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("plain", "gate", "nag")
BUDGET = 1.10


def synth_once(mode: str) -> float:
    """Run in the child process: build and synthesize once, return the seconds it took."""
    sys.path.insert(0, str(ROOT))
    import aws_cdk as cdk

    from aspects import GATE_CONTEXT, apply_gate
    from stacks.config import load_config
    from stacks.system import build_system

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    with tempfile.TemporaryDirectory() as outdir:
        start = time.perf_counter()
        app = cdk.App(context=context, post_cli_context=GATE_CONTEXT, outdir=outdir)
        config = load_config(app.node)
        build_system(app, config)
        if mode == "gate":
            apply_gate(app, suffix=config.suffix)
        elif mode == "nag":
            from cdk_nag import AwsSolutionsChecks

            cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        with contextlib.suppress(RuntimeError):  # a refused synthesis has done all the work too
            app.synth()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(synth_once(args.child))
        return
    wall: dict[str, list[float]] = {mode: [] for mode in MODES}
    inner: dict[str, list[float]] = {mode: [] for mode in MODES}
    for run in range(args.runs):
        for mode in MODES:
            start = time.perf_counter()
            child = subprocess.run(
                [sys.executable, __file__, "--child", mode], capture_output=True, text=True, check=True, cwd=ROOT
            )
            wall[mode].append(time.perf_counter() - start)
            inner[mode].append(float(child.stdout.strip().splitlines()[-1]))
        print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{m} {wall[m][-1]:.2f}s" for m in MODES), flush=True)
    ratios = {}
    for label, times in (("process wall time", wall), ("build + synth only", inner)):
        median = {mode: statistics.median(values) for mode, values in times.items()}
        ratios[label] = {mode: median[mode] / median["plain"] for mode in ("gate", "nag")}
        print(f"median {label}: " + ", ".join(f"{mode} {median[mode]:.2f}s" for mode in MODES))
        for mode, name in (("gate", "compliance gate"), ("nag", "cdk-nag AwsSolutions")):
            ratio = ratios[label][mode]
            print(f"  {name} ratio: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
    gate = ratios["process wall time"]["gate"]
    print(f"gate overhead on synth wall time: {(gate - 1) * 100:+.1f}% (budget {(BUDGET - 1) * 100:.0f}%)")
    sys.exit(0 if gate <= BUDGET else 1)


if __name__ == "__main__":
    main()

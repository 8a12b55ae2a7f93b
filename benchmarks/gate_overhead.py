#!/usr/bin/env python3
"""How much the compliance gate (and, for comparison, cdk-nag's AwsSolutions pack) adds to synth time.

Each run is a fresh Python process that builds the full app from cdk.json and synthesizes it,
timing build + synth (interpreter and jsii start-up are excluded, which makes the ratio stricter).
Modes alternate so that machine noise hits them alike; the medians are compared.

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
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for run in range(args.runs):
        for mode in MODES:
            child = subprocess.run(
                [sys.executable, __file__, "--child", mode], capture_output=True, text=True, check=True, cwd=ROOT
            )
            times[mode].append(float(child.stdout.strip().splitlines()[-1]))
        print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{m} {times[m][-1]:.2f}s" for m in MODES), flush=True)
    median = {mode: statistics.median(values) for mode, values in times.items()}
    gate, nag = median["gate"] / median["plain"], median["nag"] / median["plain"]
    print(f"median synth: plain {median['plain']:.2f}s, gate {median['gate']:.2f}s, cdk-nag {median['nag']:.2f}s")
    print(f"gate overhead ratio: {gate:.3f} ({(gate - 1) * 100:+.1f}%), budget {BUDGET:.2f}")
    print(f"cdk-nag AwsSolutions overhead ratio: {nag:.3f} ({(nag - 1) * 100:+.1f}%)")
    sys.exit(0 if gate <= BUDGET else 1)


if __name__ == "__main__":
    main()

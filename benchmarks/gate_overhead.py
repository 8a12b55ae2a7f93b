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

The gate's overhead is full / nag; cdk-nag's is nag / bare. On a machine whose speed wanders by
several percent from one run to the next, a paired ratio of whole runs needs many rounds to resolve
a few percent, so each full run also clocks the gate itself (importing it, its Aspects' visits and
the validation plugin, which is all the gate runs) and its attributed ratio, full / (full - gate
time), is read within one run, where both sides see the same machine. Budget (issue 11): the gate
adds at most 5% by attribution; the paired ratio is printed beside it as the check that attribution
misses nothing (all three builds import app.py, so the paired ratio leaves out the gate's import), and
what attribution cannot clock: the round trip from Node into Python for each construct an Aspect visits.

    python benchmarks/gate_overhead.py [--runs 9]
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODES = ("bare", "nag", "full")
BUDGET = 1.05
GATE_SECONDS = "GATE_SECONDS_FILE"
"""Where a full build writes the seconds it spent in the gate."""


class GateClock:
    """Wall time spent in the gate during one synthesis, written to `file` when the process exits."""

    def __init__(self, file: str) -> None:
        import aws_cdk  # noqa: F401 (the app imports CDK whether or not it has the gate: not the gate's time)

        start = time.perf_counter()
        from compliance_gate.aspects import plugin, rule_aspects

        self.seconds = time.perf_counter() - start
        for owner, name in ((rule_aspects.RuleAspect, "visit"), (plugin.CompliancePlugin, "validate")):
            setattr(owner, name, self._clocked(getattr(owner, name)))
        atexit.register(lambda: Path(file).write_text(f"{self.seconds}\n"))

    def _clocked(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def clocked(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return clocked


def app(mode: str) -> int:
    """The CDK app for one mode (the CLI runs this as its --app), built exactly as app.py builds it."""
    sys.path.insert(0, str(ROOT))
    if mode == "full":
        GateClock(os.environ[GATE_SECONDS])
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


def cdk_synth(mode: str) -> tuple[float, float]:
    """Wall time of one `cdk synth`, and the gate's share of it (0 when the build has no gate)."""
    outdir = Path(tempfile.mkdtemp(prefix=f"bench-{mode}-"))
    clock = outdir.with_suffix(".gate-seconds")
    command = [
        *("npx", "--no-install", "cdk", "synth", "--quiet", "-o", str(outdir)),
        *("--app", f"{sys.executable} {Path(__file__).resolve()} --app {mode}"),
    ]
    try:
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env={**os.environ, GATE_SECONDS: str(clock)})
        return time.perf_counter() - start, float(clock.read_text()) if clock.exists() else 0.0
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
        clock.unlink(missing_ok=True)


def paired(runs: list[float], baseline: list[float]) -> float:
    """The median of each round's ratio."""
    return statistics.median(run / base for run, base in zip(runs, baseline, strict=True))


def adds(what: str, ratio: float, how: str) -> str:
    return f"{what} adds: ratio {ratio:.3f} ({(ratio - 1) * 100:+.1f}%), {how}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--app", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app:
        sys.exit(app(args.app))
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    gate_seconds: list[float] = []
    for run in range(args.runs):
        for mode in MODES[run % 3 :] + MODES[: run % 3]:
            wall, in_gate = cdk_synth(mode)
            times[mode].append(wall)
            gate_seconds += [in_gate] if mode == "full" else []
        print(
            f"run {run + 1}/{args.runs}: " + ", ".join(f"{m} {times[m][-1]:.2f}s" for m in MODES),
            f"(gate {gate_seconds[-1]:.2f}s)",
            flush=True,
        )
    median = {mode: statistics.median(values) for mode, values in times.items()}
    print("median cdk synth wall time: " + ", ".join(f"{mode} {median[mode]:.2f}s" for mode in MODES))
    print(f"median time in the gate: {statistics.median(gate_seconds):.3f}s")
    nag, paired_gate = paired(times["nag"], times["bare"]), paired(times["full"], times["nag"])
    attributed = statistics.median(full / (full - gate) for full, gate in zip(times["full"], gate_seconds, strict=True))
    print(adds("cdk-nag AwsSolutions", nag, "paired"))
    print(adds("compliance gate", paired_gate, "paired"))
    print(adds("compliance gate", attributed, f"by attribution, budget {(BUDGET - 1) * 100:.0f}%"))
    sys.exit(0 if attributed <= BUDGET else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""How synthesis scales with the number of applications: 1, 10, 50 and 100 by default.

Each size is one `python app.py` run (the gate and cdk-nag included, as `make synth` runs it) in a
fresh process and output directory, with `cicd:applications` set to that many copies of cdk.json's
first application under distinct names. Printed per size: wall time, the peak memory of the process
tree (Python and jsii's Node process, sampled every 50 ms), the number of stacks, and per kind of
template the largest resource count and body size, against CloudFormation's quotas.

    python benchmarks/scale.py [--sizes 1 10 50 100]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stacks.quotas import TEMPLATE_BYTES, TEMPLATE_RESOURCES  # noqa: E402

CDK_JSON = json.loads((ROOT / "cdk.json").read_text())["context"]


def applications(count: int) -> list[dict]:
    """`count` copies of cdk.json's first application, named `a1`, `a2`, ..."""
    first = CDK_JSON["cicd:applications"][0]
    return [{**first, "name": f"a{index}"} for index in range(1, count + 1)]


def kind(stack: str, suffix: str) -> str:
    """A stack's kind: its name without the application (`cicd-pipeline-APP`) and the suffix."""
    parts = stack.removesuffix(f"-{suffix}").split("-")
    return "-".join("APP" if part.startswith("a") and part[1:].isdigit() else part for part in parts)


def synthesize(count: int) -> dict:
    outdir = Path(tempfile.mkdtemp(prefix=f"scale-{count}-"))
    context = {**CDK_JSON, "cicd:applications": applications(count)}
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)}
    start = time.perf_counter()
    process = psutil.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{count} applications: synthesis failed\n{process.stderr.read().decode()[-3000:]}")
    largest: dict[str, tuple[int, int]] = {}
    templates = list(outdir.glob("*.template.json"))
    for template in templates:
        resources = len(json.loads(template.read_text())["Resources"])
        name = kind(template.name.removesuffix(".template.json"), CDK_JSON["environmentSuffix"])
        count_before, size_before = largest.get(name, (0, 0))
        largest[name] = (max(count_before, resources), max(size_before, template.stat().st_size))
    return {"seconds": elapsed, "peak_bytes": peak, "stacks": len(templates), "largest": largest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50, 100])
    sizes = parser.parse_args().sizes
    results = {}
    for count in sizes:
        results[count] = synthesize(count)
        r = results[count]
        print(
            f"{count} applications: {r['seconds']:.1f} s, peak {r['peak_bytes'] / 2**30:.2f} GiB, {r['stacks']} stacks",
            flush=True,
        )
    print("\n| applications | wall time | peak memory | stacks |\n|---|---|---|---|")
    for count, r in results.items():
        print(f"| {count} | {r['seconds']:.1f} s | {r['peak_bytes'] / 2**30:.2f} GiB | {r['stacks']} |")
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        marginal = (results[last]["seconds"] - results[first]["seconds"]) / (last - first)
        print(f"\nmarginal cost of an application ({first} -> {last}): {marginal:.2f} s")
    last = results[sizes[-1]]
    print(
        f"\nlargest template of each kind at {sizes[-1]} applications "
        f"(quotas: {TEMPLATE_RESOURCES} resources, {TEMPLATE_BYTES:,} bytes)\n"
    )
    print("| stack | resources | % of quota | bytes | % of quota |\n|---|---|---|---|---|")
    for name, (resources, size) in sorted(last["largest"].items()):
        print(
            f"| `{name}` | {resources} | {100 * resources / TEMPLATE_RESOURCES:.0f}% "
            f"| {size:,} | {100 * size / TEMPLATE_BYTES:.1f}% |"
        )


if __name__ == "__main__":
    main()

"""The pipeline stack synthesized on its own, as app.py would (gate and cdk-nag on), once per variant per session."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from compliance_gate.aspects import GateRun
from stacks.config import AppConfig, load_config
from stacks.foundation_stack import FoundationStack
from stacks.naming import PIPELINE, Names
from stacks.pipeline_stack import PipelineStack
from tests.support import Synthesized
from tests.toolkit.templates import merged, named, of_type

CONNECTION_SOURCE = {"connectionArn": "arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-example"}
"""Shared by the applications with a repository (`cicd:source`); each names its own repository or folder."""
MANY_APPLICATIONS = [
    {
        "name": "sample",
        "containerPort": 8080,
        "healthCheckPath": "/health",
        "source": {"repository": "example-org/sample", "branch": "main"},
    },
    {
        "name": "orders",
        "containerPort": 9000,
        "healthCheckPath": "/ready",
        "cpu": 512,
        "memory": 1024,
        "source": {"repository": "example-org/platform", "branch": "main", "folder": "services/orders"},
    },
    {"name": "web", "source": {"repository": "example-org/platform", "branch": "main", "folder": "services/web"}},
    {"name": "reports"},
]
"""Three applications with their own repositories (two are folders of one), one with the S3 source."""


@dataclass(frozen=True)
class SynthesizedPipeline:
    config: AppConfig
    names: Names
    stack_names: list[str]
    """The foundation stack, then each application's pipeline stack."""
    raw: dict[str, Any]
    """The applications' pipeline stacks read as one (tests.support.merged)."""
    foundation: dict[str, Any]
    """The foundation stack: what the pipelines share and find by name."""
    error: str
    """The synthesis error (the gate's or cdk-nag's report), empty when synthesis passed."""
    gate: GateRun

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.raw["Resources"]

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return of_type(self.raw, cfn_type)

    @property
    def shared(self) -> SynthesizedPipeline:
        """The foundation stack, read like the pipeline stacks."""
        return replace(self, raw=self.foundation)

    def named(self, cfn_type: str, name_property: str, name: str) -> tuple[str, dict[str, Any]]:
        return named(self.raw, cfn_type, name_property, name)


def _synthesize(overrides_json: str) -> SynthesizedPipeline:
    """As app.py does it (the gate and cdk-nag included), with only the pipeline account's foundation
    and pipeline stacks."""
    from app import assemble, new_app

    outdir = Path(tempfile.mkdtemp(prefix="pipeline-cdk-out-"))
    atexit.register(shutil.rmtree, outdir, ignore_errors=True)
    app = new_app(outdir=str(outdir), **json.loads(overrides_json))

    def build(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
        names = Names(config.suffix)
        foundation = FoundationStack(app, config=config, names=names)
        return [foundation] + [
            PipelineStack(app, application=application, config=config, names=names)
            for application in config.applications
        ]

    config, built, gate = assemble(app, build)
    error = ""
    try:
        app.synth()
    except RuntimeError as failure:
        error = str(failure)
    templates = {stack.stack_name: json.loads((outdir / stack.template_file).read_text()) for stack in built}
    foundation, *pipelines = templates
    return SynthesizedPipeline(
        config=config,
        names=Names(config.suffix),
        stack_names=list(templates),
        raw=merged({name: templates[name] for name in pipelines}),
        foundation=templates[foundation],
        error=error,
        gate=gate,
    )


def from_system(system: Synthesized) -> SynthesizedPipeline:
    """The pipeline account's foundation and pipeline stacks of the session's main app (cdk.json's
    defaults: one application, S3 source)."""
    config = load_config(system.app.node)
    names = Names(config.suffix)
    stack_names = [names.stack("cicd-foundation", PIPELINE)] + [
        names.application_stack(app.name, PIPELINE) for app in config.applications
    ]
    return SynthesizedPipeline(
        config=config,
        names=names,
        stack_names=stack_names,
        raw=merged({name: system.raw(name) for name in stack_names[1:]}),
        foundation=system.raw(stack_names[0]),
        error=system.error,
        gate=system.gate,
    )


@functools.cache
def many_application_pipelines() -> SynthesizedPipeline:
    """MANY_APPLICATIONS: three from CodeConnections repositories, one from the S3 source bucket."""
    return _synthesize(json.dumps({"cicd:applications": MANY_APPLICATIONS, "cicd:source": CONNECTION_SOURCE}))

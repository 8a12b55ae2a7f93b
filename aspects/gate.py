"""The public entry point: `apply_gate(app, suffix=...)` puts any CDK App under the compliance gate."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import aws_cdk as cdk
from constructs import IConstruct

from compliance_gate.aspects.construct_paths import ConstructPaths
from compliance_gate.aspects.exit_hook import RUNS, install_exit_hook, is_refusal, print_report
from compliance_gate.aspects.messages import describe
from compliance_gate.aspects.plugin import CompliancePlugin
from compliance_gate.aspects.report import discard_reports, write_reports
from compliance_gate.aspects.rule_aspects import CatalogAspect
from compliance_gate.aspects.sources import CreationSites, Site, record_sites
from compliance_gate.policies.acknowledgement_records import ACCEPTED
from compliance_gate.policies.catalog import RULES
from compliance_gate.policies.evaluation import ACKNOWLEDGED, FAIL, Evaluator, Result
from compliance_gate.policies.model import DEFAULT_REGION, GateSettingsError, Resource, Rule, check_settings

_ANNOTATIONS_IN_REPORT = "@aws-cdk/core:annotationsInValidationReport"
GATE_CONTEXT = {
    # Under the CLI, CDK leaves validation failures to the CLI ("process" mode, which only sets the
    # exit code of jsii's Node process, and `--ignore-errors` skips). In "inmemory" mode synth()
    # raises with the full report, which synth() below prints before exiting non-zero.
    "@aws-cdk/core:appMode": "inmemory",
    "@aws-cdk/core:failSynthOnValidationErrors": True,
    _ANNOTATIONS_IN_REPORT: True,
    "aws:cdk:enable-path-metadata": True,
}
"""Context that must win over the CLI's: pass it as the App's post_cli_context."""
SITES = record_sites()
"""Recording where Python creates constructs starts when the gate is imported, so a gate applied later
(to an app created with GATE_CONTEXT) still knows every construct created after the import."""


@dataclass
class GateRun:
    """One synthesis under the gate: its settings (suffix, output directory, evaluator), what the Aspect
    annotated, the plugin's results and the reports written from them. Wording lives in
    aspects/messages.py, construct paths in aspects/construct_paths.py."""

    suffix: str
    outdir: Path
    evaluator: Evaluator
    annotations_fail_synth: bool
    region: str = DEFAULT_REGION
    """The one region stacks may deploy to and resources reach (CMP007)."""
    annotated: set[tuple[str, str]] = field(default_factory=set)
    annotated_messages: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    """What the Aspect said of each (construct path, rule) it annotated."""
    paths: ConstructPaths = field(default_factory=ConstructPaths)
    sites: CreationSites = field(default_factory=CreationSites)
    """Where the user's code created each construct (aspects/sources.py)."""
    passed: dict[str, tuple[Resource, list[Result]]] = field(default_factory=dict)
    """Resources the Aspects passed, by construct path, with their verdicts (the plugin takes them for a
    resource the synthesized template shows unchanged)."""
    results: list[Result] = field(default_factory=list)
    report_paths: list[Path] = field(default_factory=list)
    completed: bool = False
    """Whether the plugin finished evaluating the templates."""

    def rule(self, rule_id: str) -> Rule:
        return next(rule for rule in self.evaluator.rules if rule.id == rule_id)

    def describe(self, result: Result, *, with_path: bool = True, with_fix: bool = True) -> str:
        return describe(self.rule(result.rule_id), result, with_path=with_path, with_fix=with_fix)

    def annotation(self, result: Result, construct: IConstruct | None = None) -> str:
        """The error text the Aspect attaches to a violating construct (CDK prints the construct's path)."""
        result = located(result, self.sites.site(construct) if construct is not None else None)
        self.annotated.add((result.path, result.rule_id))
        self.annotated_messages[(result.path, result.rule_id)] = result.messages
        return self.describe(result, with_path=False)

    def known(self, resource: Resource) -> list[Result] | None:
        """The Aspects' verdicts on this resource, if they judged it exactly as the template has it."""
        earlier = self.passed.get(resource.path)
        if earlier is None or replace(earlier[0], logical_id=resource.logical_id) != resource:
            return None
        return earlier[1]

    def with_sources(self, results: list[Result]) -> list[Result]:
        """Violations and acknowledged findings with the user's line that created their construct."""
        tree = self.paths.tree
        if tree is None:
            return results
        sites: dict[str, Site | None] = {}
        found = []
        for result in results:
            if result.status in (FAIL, ACKNOWLEDGED):
                where = result.path or result.stack
                if where not in sites:
                    sites[where] = self.sites.at_path(tree, where)
                result = located(result, sites[where])
            found.append(result)
        return found

    def record(self, results: list[Result], templates: list[Path]) -> list[Result]:
        """Keep the plugin's results, write the reports (the register of exceptions from `templates`, the
        stacks this synthesis wrote), return the violations still to be reported."""
        results = self.with_sources(results)
        self.results, self.completed = results, True
        self.report_paths = write_reports(
            self.outdir / "compliance", results, self.evaluator.rules, self.suffix, self.region
        )
        from compliance_gate.aspects import register  # here: `python -m compliance_gate.aspects.register` loads it once

        self.report_paths.append(register.write(self.outdir, templates))
        failures = [result for result in results if result.status == FAIL]
        if not self.annotations_fail_synth:
            return failures
        return [result for result in failures if (result.path, result.rule_id) not in self.annotated]

    @property
    def failures(self) -> list[Result]:
        return [result for result in self.results if result.status == FAIL]

    def failure_summary(self) -> str:
        """Counts the plugin's violations and those only the Aspect saw (in stacks no template of the cloud
        assembly holds: a Service Catalog ProductStack's)."""
        violations = {(result.path, result.rule_id) for result in self.failures} | self.annotated
        report = self.outdir / "compliance" / "report.md"
        if not self.completed:
            return "synthesis refused before the compliance gate finished (see above)"
        if not violations:
            return f"synthesis refused by another validation (listed above); the compliance gate passed: {report}"
        rules = sorted({rule_id for _, rule_id in violations})
        return (
            f"compliance gate refused synthesis: {len(violations)} violation(s) of {', '.join(rules)} "
            f"listed above; full report: {report}"
        )


def located(result: Result, site: Site | None) -> Result:
    """The result with the user's line that created its construct, if known."""
    if site is None:
        return result
    return replace(result, source=str(site), source_region=(site.line, site.end_line, site.column, site.end_column))


def synth(app: cdk.App, run: GateRun) -> int:
    """Synthesize `app` and return the exit code: 1, after printing every violation, when refused."""
    refused = False
    try:
        app.synth()
    except RuntimeError as error:
        if not is_refusal(error):
            raise
        refused = True
        print_report(error)
    if not refused and run.failures:  # an app created without GATE_CONTEXT: CDK printed nothing
        refused = True
        print("\n".join(run.describe(result) for result in run.failures), file=sys.stderr)
    if refused:
        print(f"error: {run.failure_summary()}", file=sys.stderr)
    return 1 if refused else 0


def apply_gate(
    app: cdk.App,
    *,
    suffix: str,
    region: str = DEFAULT_REGION,
    rules: tuple[Rule, ...] = RULES,
    today: dt.date | None = None,
) -> GateRun:
    """Enforce `rules` on every resource of `app`: an Aspect over the construct tree and a validation
    plugin over the synthesized templates. Reports go to <outdir>/compliance/.

    Call it right after `cdk.App()`: it sets the context the gate needs (GATE_CONTEXT) while the app
    has no children yet, and makes a refusal end the program with the gate's report and exit status 1
    (a bad acknowledgement with one line and 2) instead of a traceback, whoever calls `app.synth()`.
    An app already under a gate keeps it (the runner's, when the app adopts the gate too).
    """
    existing = getattr(app, _GATE_ATTRIBUTE, None)
    if existing is not None:
        return existing
    install_exit_hook()
    check_settings(suffix, region)
    discard_reports(Path(app.outdir) / "compliance")
    ACCEPTED.clear()  # another app's accepted findings (tests build many apps in one process)
    _set_context(app)
    run = GateRun(
        sites=SITES,
        suffix=suffix,
        outdir=Path(app.outdir),
        evaluator=Evaluator(rules=rules, today=today or dt.date.today()),
        annotations_fail_synth=bool(app.node.try_get_context(_ANNOTATIONS_IN_REPORT)),
        region=region,
    )
    aspect = CatalogAspect(suffix=suffix, region=region, today=run.evaluator.today, rules=rules, run=run)
    cdk.Aspects.of(app).add(aspect, priority=cdk.AspectPriority.READONLY)
    cdk.Validations.of(app).add_plugins(CompliancePlugin(run))
    RUNS.append(run)
    setattr(app, _GATE_ATTRIBUTE, run)
    return run


_GATE_ATTRIBUTE = "_compliance_gate_run"


def _set_context(app: cdk.App) -> None:
    """GATE_CONTEXT on an app created without it, which CDK allows only before the first child. An app
    that already has children and lacks it is refused: CDK would print each violation twice, without
    the gate's summary (an app created with it as post_cli_context, like app.py's, is fine)."""
    missing = {key: value for key, value in GATE_CONTEXT.items() if app.node.try_get_context(key) != value}
    if not missing:
        return
    if app.node.children:
        first = app.node.children[0].node.path
        raise GateSettingsError(
            f"apply_gate(app) must come right after cdk.App(), before the first construct ({first} exists): "
            "it sets the context the gate reports with"
        )
    for key, value in missing.items():
        app.node.set_context(key, value)

"""Enforcement point 1: a check of the construct tree at synthesis that annotates each construct that
breaks a rule, before any file of the cloud assembly is written."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import aws_cdk as cdk
import aws_cdk.cx_api as cx_api
import constructs
import jsii
from constructs import IConstruct

from compliance_gate.aspects.template_check import judge_template
from compliance_gate.policies.assembly import NestedTemplates, account_and_region, read_json
from compliance_gate.policies.evaluation import FAIL
from compliance_gate.policies.model import STACK_TYPE, StackContext

if TYPE_CHECKING:
    from compliance_gate.aspects.gate import GateRun


class ComplianceAspect:
    """Annotates an error on each construct that breaks a rule, naming the rule and the fix.

    When CDK validates the construct tree (after every Aspect, MUTATING ones included, and after
    CDK's own preparation), each stack renders its template through its synthesizer into a scratch
    directory, and the catalog judges those templates as the validation plugin judges the
    synthesized ones: property overrides, raw CfnResources and CfnInclude as CloudFormation will
    get them. Each violation is annotated on the construct its `aws:cdk:path` names.

    Every read of the construct tree is a call into jsii's Node process, the costly part of the
    gate: rendering costs one call per stack, where reading the L1 model cost calls per resource
    and an IAspect one per construct just to visit it. Stages are left to their own synthesis,
    where the plugin judges them, as it judges a stack whose synthesizer cannot render before
    synthesis (one that is not a StackSynthesizer).
    """

    def __init__(self, run: GateRun) -> None:
        self._run = run

    def watch(self, app: cdk.App) -> None:
        """Judge the app's stacks when the construct tree is validated."""
        app.node.add_validation(_TreeCheck(self, app))

    def check_tree(self, app: cdk.App) -> None:
        self._run.paths.tree = app
        constructs_at = _Constructs(app)
        with tempfile.TemporaryDirectory(prefix="compliance-gate-") as scratch:
            session = _Scratch(Path(scratch))
            stacks = _stacks(app)
            while stacks:
                stack = stacks.pop(0)
                template = session.render(stack)
                if template is not None:
                    nested, within = session.render_nested(stack, template)
                    self.check_stack(stack, template, nested, constructs_at)
                    stacks += within

    def check_stack(self, stack: cdk.Stack, template: Path, nested: NestedTemplates, at: _Constructs) -> None:
        shown_as = self._run.outdir / template.name  # where CDK writes it
        for result in judge_template(self._run, template, _context(stack, self._run), nested, shown_as=shown_as):
            if result.status != FAIL:
                continue
            node = at(result.path) if result.path else stack  # pathless: an asset template's, a macro's output
            if node is not None:  # else the plugin reports it
                cdk.Annotations.of(node).add_error(self._run.annotation(result))


@jsii.implements(constructs.IValidation)
class _TreeCheck:
    """Runs the judgement of every stack when CDK validates the construct tree."""

    def __init__(self, judge: ComplianceAspect, app: cdk.App) -> None:
        self._judge, self._app = judge, app

    def validate(self) -> list[str]:
        self._judge.check_tree(self._app)
        return []  # violations are error annotations, so the report lists them all and synth goes on to write it


@jsii.implements(cdk.ISynthesisSession)
class _Scratch:
    """A synthesis session whose cloud assembly is a scratch directory, where stacks render their
    templates for the Aspect (CDK renders them again into cdk.out when it synthesizes)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._assembly = cx_api.CloudAssemblyBuilder(str(directory))

    @property
    def assembly(self) -> cx_api.CloudAssemblyBuilder:
        return self._assembly

    @property
    def outdir(self) -> str:
        return str(self.directory)

    @property
    def validate_on_synthesis(self) -> bool:
        return False

    def render(self, stack: cdk.Stack) -> Path | None:
        """The stack's template file, rendered in one call; None if its synthesizer cannot render one
        before synthesis or rendering fails (synthesis will then fail the same way, or the plugin judges it)."""
        render = getattr(stack.synthesizer, "_synthesize_template", None)
        if render is None:
            return None
        try:
            render(self)
        except RuntimeError:  # jsii's errors
            return None
        return self.directory / stack.template_file

    def render_nested(self, stack: cdk.Stack, template: Path) -> tuple[NestedTemplates, list[cdk.Stack]]:
        """The templates of the stack's nested stacks, rendered, by parent template and logical ID
        (rendered templates carry no asset metadata when the app is synthesized without it); and the
        other stacks defined inside it, which a Service Catalog product's template hints at (a
        ProductStack: its template is an asset of the stack's, not a stack of the cloud assembly)."""
        files: dict[tuple[Path | None, str], Path | None] = {}
        types = {body.get("Type") for body in (read_json(template).get("Resources") or {}).values()}
        within: list[cdk.Stack] = []
        if types & _HOLDING_STACKS:
            inner = [node for node in stack.node.find_all() if cdk.Stack in type(node).__mro__ and node is not stack]
            nested = [node for node in inner if cdk.NestedStack in type(node).__mro__]
            within = [node for node in inner if node not in nested]
            rendered = {stack: template} | {child: self.render(child) for child in nested}
            for child in nested:
                parent = child.nested_stack_parent
                files[(rendered.get(parent), parent.resolve(child.nested_stack_resource.logical_id))] = rendered[child]
        return (lambda parent, logical_id, body: files.get((parent, logical_id))), within


_HOLDING_STACKS = {STACK_TYPE, "AWS::ServiceCatalog::CloudFormationProduct"}
"""Resource types whose template may be another stack of the construct tree."""


class _Constructs:
    """The constructs of an app by path (as `aws:cdk:path` writes it), found when first asked for."""

    def __init__(self, app: cdk.App) -> None:
        self._found: dict[str, IConstruct | None] = {"": app}

    def __call__(self, path: str) -> IConstruct | None:
        if path not in self._found:
            parent_path, _, child = path.rpartition("/")
            parent = self(parent_path)
            self._found[path] = parent.node.try_find_child(child) if parent is not None else None
        return self._found[path]


def _stacks(scope: IConstruct) -> list[cdk.Stack]:
    """The stacks below `scope` outside Stages (synthesized, and judged, with their Stage), not below
    another stack: nested stacks are judged with their parent, and a stack defined in another's scope
    by the plugin."""
    found = []
    for child in scope.node.children:
        ancestry = type(child).__mro__
        if cdk.Stack in ancestry:
            found.append(child)
        elif cdk.Stage not in ancestry:
            found += _stacks(child)
    return found


def _context(stack: cdk.Stack, run: GateRun) -> StackContext:
    account, region = account_and_region(stack.environment)  # as the cloud assembly's manifest will say
    return StackContext(
        name=stack.stack_name,
        suffix=run.suffix,
        approved_region=run.region,
        account=account,
        region=region,
        termination_protection=bool(stack.termination_protection),
        path=stack.node.path,
    )

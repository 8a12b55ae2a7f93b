"""Enforcement point 1: an Aspect that runs the catalog over every CfnResource at synthesis."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from policies.acknowledgement import METADATA_KEY, read
from policies.evaluation import FAIL
from policies.model import Resource, StackContext

if TYPE_CHECKING:
    from aspects.gate import GateRun


@jsii.implements(cdk.IAspect)
class ComplianceAspect:
    """Annotates an error on each resource that breaks a rule, naming the rule and the fix.

    It reads the L1 model, so it cannot see property overrides, nor stacks inside a Stage:
    the validation plugin re-checks the synthesized templates for those. It visits each
    resource itself (not its stack) so that MUTATING aspects on that resource ran first.
    Every call into the construct tree crosses to jsii's Node process, so a resource is first
    judged on its type, properties and policies alone; its path, logical ID and acknowledgements
    are read only when a rule fails.
    """

    def __init__(self, run: GateRun) -> None:
        self._run = run
        self._contexts: dict[cdk.Stack, StackContext] = {}

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, cdk.CfnResource):
            stack = node.stack
            resource = _read(stack, node)
            if resource is None:
                return
            context = self._context(stack)
            if any(r.status == FAIL for r in self._run.evaluator.resource(resource, context)):
                logical_id, path = stack.resolve(node.logical_id), node.node.path
                resource = replace(resource, logical_id=logical_id, path=path)
                self._report(node, resource, context, read({METADATA_KEY: node.get_metadata(METADATA_KEY)}))
        elif isinstance(node, cdk.Stack) and not node.nested:
            context = self._context(node)
            self._report(node, context.stack_resource(), context, read(node.template_options.metadata))

    def _report(self, node: IConstruct, resource: Resource, context: StackContext, acknowledgements: list) -> None:
        for result in self._run.evaluator.resource(resource, context, acknowledgements):
            if result.status == FAIL:
                cdk.Annotations.of(node).add_error(self._run.annotation(result))

    def _context(self, stack: cdk.Stack) -> StackContext:
        if stack not in self._contexts:
            path = stack.node.path
            self._contexts[stack] = StackContext(
                name=path if stack.nested else stack.stack_name,
                suffix=self._run.suffix,
                account=_known(stack.account),
                region=_known(stack.region),
                termination_protection=bool(stack.termination_protection),
                path=path,
                resources=_StackResources(stack),
            )
        return self._contexts[stack]


def _known(value: str) -> str | None:
    return None if cdk.Token.is_unresolved(value) else value


def _read(stack: cdk.Stack, element: cdk.CfnResource) -> Resource | None:
    """The resource as the template will show it (path and logical ID left out: see the class), or None
    where the L1 model cannot be resolved yet. Five calls into jsii: the costly part of the Aspect."""
    try:
        properties, options = stack.resolve([element._cfn_properties, element.cfn_options])
        properties = element._render_properties(properties)
    except (RuntimeError, TypeError):
        return None  # the validation plugin evaluates the synthesized template instead
    return Resource(
        logical_id="",
        type=_cfn_type(element),
        properties=properties or {},
        deletion_policy=options.get("deletionPolicy"),
        update_replace_policy=options.get("updateReplacePolicy"),
    )


_TYPES: dict[type, str] = {}


def _cfn_type(element: cdk.CfnResource) -> str:
    """An L1 class names its CloudFormation type once for all its instances; a raw CfnResource its own."""
    cls = type(element)
    if cls not in _TYPES:
        name = getattr(cls, "CFN_RESOURCE_TYPE_NAME", None)
        if not isinstance(name, str):
            return element.cfn_resource_type
        _TYPES[cls] = name
    return _TYPES[cls]


class _StackResources(Mapping[str, Mapping[str, Any]]):
    """A stack's resources by logical ID; a resource is resolved only when a rule follows a reference to it."""

    def __init__(self, stack: cdk.Stack) -> None:
        self._stack = stack
        self._elements: dict[str, cdk.CfnResource] | None = None
        self._resolved: dict[str, Mapping[str, Any]] = {}

    def _by_logical_id(self) -> dict[str, cdk.CfnResource]:
        if self._elements is None:
            elements = [e for e in self._stack.node.find_all() if isinstance(e, cdk.CfnResource)]
            elements = [e for e in elements if e.stack is self._stack]
            logical_ids = self._stack.resolve([e.logical_id for e in elements])  # one call for all
            self._elements = dict(zip(logical_ids, elements, strict=True))
        return self._elements

    def __getitem__(self, logical_id: str) -> Mapping[str, Any]:
        if logical_id not in self._resolved:
            resource = _read(self._stack, self._by_logical_id()[logical_id])
            if resource is None:
                raise KeyError(logical_id)
            self._resolved[logical_id] = {"Type": resource.type, "Properties": resource.properties}
        return self._resolved[logical_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_logical_id())

    def __len__(self) -> int:
        return len(self._by_logical_id())

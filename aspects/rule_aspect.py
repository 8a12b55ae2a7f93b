"""Enforcement point 1: an Aspect that runs the catalog over every CfnResource at synthesis."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct

from policies.acknowledgement import METADATA_KEY, read
from policies.evaluation import FAIL
from policies.model import Resource, StackContext

if TYPE_CHECKING:
    from aspects.gate import GateRun

_POLICIES = {
    "DELETE": "Delete",
    "RETAIN": "Retain",
    "RETAIN_EXCEPT_ON_CREATE": "RetainExceptOnCreate",
    "SNAPSHOT": "Snapshot",
}


@jsii.implements(cdk.IAspect)
class ComplianceAspect:
    """Annotates an error on each resource that breaks a rule, naming the rule and the fix.

    It reads the L1 model, so it cannot see property overrides, nor stacks inside a Stage:
    the validation plugin re-checks the synthesized templates for those. It visits each
    resource itself (not its stack) so that MUTATING aspects on that resource ran first.
    """

    def __init__(self, run: GateRun) -> None:
        self._run = run
        self._contexts: dict[str, StackContext] = {}

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, cdk.CfnResource):
            stack = node.stack
            resource = _read(stack, node)
            if resource is not None:
                acknowledgements = read({METADATA_KEY: node.get_metadata(METADATA_KEY)})
                self._report(node, resource, self._context(stack), acknowledgements)
        elif isinstance(node, cdk.Stack) and not node.nested:
            context = self._context(node)
            self._report(node, context.stack_resource(), context, read(node.template_options.metadata))

    def _report(self, node: IConstruct, resource: Resource, context: StackContext, acknowledgements: list) -> None:
        self._run.paths[(context.path, resource.logical_id)] = resource.path
        for result in self._run.evaluator.resource(resource, context, acknowledgements):
            if result.status == FAIL:
                cdk.Annotations.of(node).add_error(self._run.annotation(result))

    def _context(self, stack: cdk.Stack) -> StackContext:
        path = stack.node.path
        if path not in self._contexts:
            self._contexts[path] = StackContext(
                name=path if stack.nested else stack.stack_name,
                suffix=self._run.suffix,
                account=_known(stack.account),
                region=_known(stack.region),
                termination_protection=bool(stack.termination_protection),
                path=path,
                resources=_StackResources(stack),
            )
        return self._contexts[path]


def _known(value: str) -> str | None:
    return None if cdk.Token.is_unresolved(value) else value


def _read(stack: cdk.Stack, element: cdk.CfnResource) -> Resource | None:
    """The resource as the template will show it, or None where the L1 model cannot be resolved yet."""
    try:
        properties = element._render_properties(stack.resolve(element._cfn_properties))
        logical_id = stack.resolve(element.logical_id)
    except (RuntimeError, TypeError):
        return None  # the validation plugin evaluates the synthesized template instead
    options = element.cfn_options
    deletion, replace = options.deletion_policy, options.update_replace_policy
    return Resource(
        logical_id=logical_id,
        type=element.cfn_resource_type,
        properties=properties or {},
        deletion_policy=_POLICIES[deletion.value] if deletion else None,
        update_replace_policy=_POLICIES[replace.value] if replace else None,
        path=element.node.path,
    )


class _StackResources(Mapping[str, Mapping[str, Any]]):
    """A stack's resources by logical ID, resolved only when a rule follows a reference."""

    def __init__(self, stack: cdk.Stack) -> None:
        self._stack = stack
        self._resolved: dict[str, Mapping[str, Any]] | None = None

    def _all(self) -> dict[str, Mapping[str, Any]]:
        if self._resolved is None:
            self._resolved = {}
            for element in self._stack.node.find_all():
                if isinstance(element, cdk.CfnResource) and element.stack is self._stack:
                    resource = _read(self._stack, element)
                    if resource is not None:
                        self._resolved[resource.logical_id] = {"Type": resource.type, "Properties": resource.properties}
        return self._resolved

    def __getitem__(self, logical_id: str) -> Mapping[str, Any]:
        return self._all()[logical_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

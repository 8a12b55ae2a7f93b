"""Construct paths for the resources of synthesized templates: their own `aws:cdk:path` metadata, or,
for apps synthesized without path metadata, the path found in the construct tree."""

from __future__ import annotations

from dataclasses import dataclass, field

import aws_cdk as cdk
from constructs import IConstruct


@dataclass
class ConstructPaths:
    tree: IConstruct | None = None
    """The finalized construct tree, which the plugin receives; read only for templates without path metadata."""
    _paths: dict[tuple[str, str], str] | None = field(default=None, repr=False)

    def with_paths(self, template: dict, stack_path: str) -> dict:
        """The template with each resource's construct path: its own `aws:cdk:path` metadata, or else
        (apps synthesized without path metadata) the path found in the construct tree."""
        resources = {}
        for logical_id, body in (template.get("Resources") or {}).items():
            metadata = body.get("Metadata") or {}
            if "aws:cdk:path" not in metadata:
                path = self._tree_paths().get((stack_path, logical_id), "")
                body = {**body, "Metadata": {**metadata, "aws:cdk:path": path}}
            resources[logical_id] = body
        return {**template, "Resources": resources}

    def _tree_paths(self) -> dict[tuple[str, str], str]:
        """(stack path, logical ID) -> construct path of every CfnResource in the tree (read once)."""
        if self._paths is None:
            self._paths = {}
            for node in self.tree.node.find_all() if self.tree else []:
                if isinstance(node, cdk.CfnResource):
                    stack = node.stack
                    self._paths[(stack.node.path, stack.resolve(node.logical_id))] = node.node.path
        return self._paths

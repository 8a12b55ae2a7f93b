"""Which pipelines a push starts, decided as CodePipeline documents it, from the synthesized pipelines.

CodePipeline User Guide, "Filter triggers on code push or pull requests" and "Working with glob
patterns in syntax": a V2 pipeline with a trigger for its CodeConnections source action starts for a
push when one of the trigger's push filters matches (its branches, then its file paths: any changed
file included and not excluded; excludes win); the action's BranchName is then only the branch of a
manual start. Without a trigger, a source action with DetectChanges starts the pipeline for every push
to its BranchName. Glob patterns: `*` and `?` stay within a path part, `**` crosses parts, `[...]` is a
set (`!` negates), `{a,b}` a group, `\\` escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Push:
    connection: str
    repository: str
    branch: str
    files: tuple[str, ...]


def glob(pattern: str) -> re.Pattern[str]:
    """CodePipeline's glob syntax as a regular expression over a whole path or branch name."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            negated = body.startswith("!")
            body = body[1:] if negated else body
            out.append(f"[{'^' if negated else ''}{body.replace(chr(92), chr(92) * 2)}]")
            i = end
        elif char == "{":
            end = pattern.index("}", i)
            out.append("(" + "|".join(glob(part).pattern[1:-1] for part in pattern[i + 1 : end].split(",")) + ")")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def _criteria_match(criteria: dict[str, Any] | None, values: tuple[str, ...]) -> bool:
    """Any value included (all are, without Includes) and not excluded."""
    if criteria is None:
        return True
    includes = [glob(p) for p in criteria.get("Includes", ["**"])]
    excludes = [glob(p) for p in criteria.get("Excludes", [])]
    return any(any(p.match(value) for p in includes) and not any(p.match(value) for p in excludes) for value in values)


def starts(pipeline: dict[str, Any], push: Push) -> bool:
    """Whether `push` starts the pipeline (a resource's Properties)."""
    for stage in pipeline["Stages"]:
        for action in stage["Actions"]:
            if action["ActionTypeId"]["Provider"] != "CodeStarSourceConnection":
                continue
            configuration = action["Configuration"]
            if (configuration["ConnectionArn"], configuration["FullRepositoryId"]) != (
                push.connection,
                push.repository,
            ):
                continue
            triggers = [
                trigger["GitConfiguration"]
                for trigger in pipeline.get("Triggers", [])
                if trigger["GitConfiguration"]["SourceActionName"] == action["Name"]
            ]
            if not triggers:
                if configuration.get("DetectChanges", True) and configuration["BranchName"] == push.branch:
                    return True
                continue
            for trigger in triggers:
                for push_filter in trigger.get("Push", []):
                    if _criteria_match(push_filter.get("Branches"), (push.branch,)) and _criteria_match(
                        push_filter.get("FilePaths"), push.files
                    ):
                        return True
    return False

"""ECR's lifecycle policy evaluation, for the images of one repository (moto stores the policy but never
applies it). As the ECR User Guide's "How lifecycle policies work" states it:
- rules are evaluated in rulePriority order, lowest first; a rule with tagStatus `any` must come last;
- a rule selects the images its tagStatus and tagPatternList (every pattern matching one of the
  image's tags, `*` a wildcard) or tagPrefixList admit; an image selected by a rule is never
  expired by a rule of lower priority (higher rulePriority), whether or not this rule expires it;
- `imageCountMoreThan` keeps the countNumber most recently pushed selected images and expires the rest.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any


def _matches(pattern: str, tag: str) -> bool:
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), tag) is not None


def _selects(selection: dict[str, Any], tags: list[str]) -> bool:
    status = selection["tagStatus"]
    if status == "untagged":
        return not tags
    if status == "any":
        return True
    if "tagPatternList" in selection:
        return all(any(_matches(pattern, tag) for tag in tags) for pattern in selection["tagPatternList"])
    return any(tag.startswith(prefix) for tag in tags for prefix in selection.get("tagPrefixList", []))


def expired(policy: dict[str, Any], images: list[dict[str, Any]]) -> set[str]:
    """The digests the policy expires among `images` (DescribeImages' imageDetails)."""
    rules = sorted(policy["rules"], key=lambda rule: rule["rulePriority"])
    if any(rule["selection"]["tagStatus"] == "any" for rule in rules[:-1]):
        raise ValueError("ECR refuses the policy: a tagStatus 'any' rule must have the highest rulePriority")
    considered: set[str] = set()
    expiring: set[str] = set()
    for rule in rules:
        selection = rule["selection"]
        if selection["countType"] != "imageCountMoreThan":
            raise NotImplementedError(f"the rehearsal does not evaluate countType {selection['countType']}")
        selected = [
            image
            for image in images
            if image["imageDigest"] not in considered and _selects(selection, image.get("imageTags", []))
        ]
        selected.sort(key=lambda image: _pushed(image), reverse=True)
        if rule["action"]["type"] == "expire":
            expiring |= {image["imageDigest"] for image in selected[selection["countNumber"] :]}
        considered |= {image["imageDigest"] for image in selected}
    return expiring


def _pushed(image: dict[str, Any]) -> float:
    pushed = image["imagePushedAt"]
    return pushed.timestamp() if isinstance(pushed, datetime) else float(pushed)

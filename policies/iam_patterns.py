"""IAM's wildcard patterns (`*` any run of characters, `?` one character), compared as sets of strings:
what IAM's policy evaluation logic matches an action or a resource against."""

from __future__ import annotations

from functools import cache


@cache
def overlaps(first: str, second: str) -> bool:
    """Whether some string matches both patterns (`s3:*` and `*:delete*` share `s3:deletebucket`)."""

    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(first) and j == len(second):
            return True
        if i < len(first) and first[i] == "*":
            return meet(i + 1, j) or (j < len(second) and meet(i, j + 1))
        if j < len(second) and second[j] == "*":
            return meet(i, j + 1) or (i < len(first) and meet(i + 1, j))
        if i == len(first) or j == len(second):
            return False
        return (first[i] == second[j] or "?" in (first[i], second[j])) and meet(i + 1, j + 1)

    return meet(0, 0)


def covers(pattern: str, other: str) -> bool:
    """Whether `pattern` matches every string `other` matches (`s3:*` covers `s3:delete*`,
    `arn:aws:ec2:*:*:*` covers `arn:aws:ec2:*:*:instance/*`): only a `*` of `pattern` can stand for a
    wildcard of `other`. Sound: True only when it covers; `?` in `other` is read as a literal."""

    @cache
    def within(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(other)
        if pattern[i] == "*":
            return within(i + 1, j) or (j < len(other) and within(i, j + 1))
        if j == len(other) or other[j] == "*":
            return False
        return (pattern[i] == "?" or pattern[i] == other[j]) and within(i + 1, j + 1)

    return within(0, 0)


def actions_overlap(first: str, second: str) -> bool:
    """Whether some action matches both action patterns, service prefix and action name compared apart (a
    service prefix holds no `:`, so `s3:get*` and `*:delete*` share none)."""
    (first_service, _, first_name), (second_service, _, second_name) = (
        (pattern, ":", "*") if ":" not in pattern else pattern.partition(":") for pattern in (first, second)
    )
    return overlaps(first_service, second_service) and overlaps(first_name, second_name)

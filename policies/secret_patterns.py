"""detect-secrets' detectors for CMP008, and the text they look for, indexed so that most strings are
cleared without loading the library and without running most of its patterns.

CMP008 asks detect-secrets (the fork checkov's secret scan is built on) about every string a template
writes. Loading it costs about a tenth of a second (it imports requests), and most strings hold
nothing any detector's patterns match: those patterns are kept in secret_patterns.json (`python -m
policies.secret_patterns` regenerates it; tests check it is current) and read from there while the
installed detect-secrets is the version they came from; otherwise from the library itself. Each
pattern is kept with the pieces of text one of which any match contains (read from the pattern's
syntax tree), so a pattern runs only on a text that holds one of them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

DISTRIBUTION = "bc-detect-secrets"
GENERATED = Path(__file__).with_name("secret_patterns.json")
_SHAPELESS = {"KeywordDetector", "AzureStorageKeyDetector"}


@cache
def detectors() -> tuple[Any, ...]:
    """detect-secrets' detectors of known credential formats. Left out with the entropy detectors: digests
    and embedded files (a buildspec's base64 scripts) are high-entropy and no secret, and the Azure key
    detector matches any 88-character base64 run ending in `==`, which every embedded file of more than
    66 bytes holds. Credential names are judged by CMP008's names where a template gives a name."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return tuple(
        detector()
        for detector in get_mapping_from_secret_type_to_class().values()
        if "Entropy" not in detector.__name__ and detector.__name__ not in _SHAPELESS
    )


def generate() -> dict[str, Any]:
    """The installed version and every detector's patterns (a detector without any matches anything),
    each with the text one piece of which every match contains."""
    patterns = [
        pattern for detector in detectors() for pattern in getattr(detector, "denylist", None) or [re.compile("")]
    ]
    return {
        "version": version(DISTRIBUTION),
        "patterns": [[p.pattern, p.flags, _sorted(required_text(p.pattern, p.flags))] for p in patterns],
    }


@cache
def prefilter() -> tuple[tuple[re.Pattern[str], frozenset[str] | None], ...]:
    """Every detector's patterns, `^` and `$` matching at each line as they do when the detectors read line
    by line, with the text one piece of which any match contains (casefolded)."""
    index = json.loads(GENERATED.read_text())
    if index["version"] != version(DISTRIBUTION):
        index = generate()
    return tuple(
        (re.compile(pattern, flags | re.MULTILINE), None if needles is None else frozenset(needles))
        for pattern, flags, needles in index["patterns"]
    )


def may_hold_secret(text: str) -> bool:
    """Whether any detector's pattern matches somewhere in `text`: a pattern runs only on a text that
    holds one of its pieces (a substring search, much faster than the pattern)."""
    folded = text.casefold()
    return any(
        (needles is None or any(needle in folded for needle in needles)) and pattern.search(text)
        for pattern, needles in prefilter()
    )


def required_text(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Strings, casefolded, one of which every match of `pattern` contains, read from its syntax tree
    (runs of literal characters; every branch of an alternation; a group repeated at least once); None
    when there are none or the tree cannot be read (the pattern then runs on every text)."""
    try:
        from re import _constants as sre
        from re import _parser

        return _required(_parser.parse(pattern, flags), sre)
    except Exception:  # a private module of the standard library: whatever changes in it, run the pattern
        return None


def _required(items: Any, sre: Any) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    run = ""
    for op, argument in [*items, (None, None)]:
        if op is sre.LITERAL:
            run += chr(argument)
            continue
        found = [frozenset({run.casefold()})] if run else []
        run = ""
        if op is sre.SUBPATTERN:
            found.append(_required(argument[3], sre))
        elif op is sre.ATOMIC_GROUP:
            found.append(_required(argument, sre))
        elif op is sre.BRANCH:
            branches = [_required(branch, sre) for branch in argument[1]]
            found.append(None if None in branches else frozenset().union(*branches))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and argument[0] >= 1:
            found.append(_required(argument[2], sre))
        for candidate in found:
            if candidate and (best is None or min(map(len, candidate)) > min(map(len, best))):
                best = candidate
    return best


def _sorted(needles: frozenset[str] | None) -> list[str] | None:
    return None if needles is None else sorted(needles)


if __name__ == "__main__":
    GENERATED.write_text(json.dumps(generate(), indent=1) + "\n")
    print(f"wrote {GENERATED}")

"""detect-secrets' detectors for CMP008, and the text they look for, indexed so that most strings are
cleared without loading the library.

CMP008 asks detect-secrets (the fork checkov's secret scan is built on) about every string a template
writes. Loading it costs about a tenth of a second (it imports requests), and most strings hold
nothing any detector's patterns match: those patterns are kept in secret_patterns.json (`python -m
policies.secret_patterns` regenerates it; tests check it is current) and read from there while the
installed detect-secrets is the version they came from; otherwise from the library itself.
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
    """The installed version and every detector's patterns (a detector without any matches anything)."""
    patterns = [
        pattern for detector in detectors() for pattern in getattr(detector, "denylist", None) or [re.compile("")]
    ]
    return {"version": version(DISTRIBUTION), "patterns": [[p.pattern, p.flags] for p in patterns]}


@cache
def prefilter() -> tuple[re.Pattern[str], ...]:
    """Every detector's patterns, `^` and `$` matching at each line as they do when the detectors read line
    by line: a text none of them matches holds nothing any detector finds."""
    index = json.loads(GENERATED.read_text())
    if index["version"] != version(DISTRIBUTION):
        index = generate()
    return tuple(re.compile(pattern, flags | re.MULTILINE) for pattern, flags in index["patterns"])


if __name__ == "__main__":
    GENERATED.write_text(json.dumps(generate(), indent=1) + "\n")
    print(f"wrote {GENERATED}")

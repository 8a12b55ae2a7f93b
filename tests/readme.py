"""README.md's fenced blocks: the shell commands it shows (```sh, one per line, comments and
continuations handled) and the lines it says they print (plain ```)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
_COMMENT = re.compile(r"\s{2,}#.*$")


def blocks(text: str) -> Iterator[tuple[str, str]]:
    """(language, body) of each fenced block, indented ones (in list items) included."""
    language, body = None, []
    for line in text.splitlines():
        fence = line.strip()
        if fence.startswith("```"):
            if language is None:
                language, body = fence[3:], []
            else:
                yield language, "\n".join(body)
                language = None
        elif language is not None:
            body.append(line)


def commands(text: str | None = None) -> list[str]:
    """Every command of the README's sh blocks, as a user would type it."""
    found = []
    for language, body in blocks(README.read_text() if text is None else text):
        if language == "sh":
            for line in re.sub(r"\\\n\s*", "", body).splitlines():
                line = _COMMENT.sub("", line.strip())
                if line and not line.startswith("#"):
                    found.append(line)
    return found


def command(start: str) -> str:
    """The one README command that starts with `start` (a test runs what the README says)."""
    (found,) = [line for line in commands() if line.startswith(start)]
    return found


def printed(start: str) -> str:
    """The one line of a plain block (what the README says a command prints) that starts with `start`."""
    lines = [line for language, body in blocks(README.read_text()) if language == "" for line in body.splitlines()]
    (found,) = [line for line in lines if line.startswith(start)]
    return found

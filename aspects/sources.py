"""Where in the user's Python code each construct was created: the file (relative to the repository
root) and line a finding points at in every report, SARIF included.

Recorded as constructs are created, in the same run (no second pass over the app): every jsii object a
Python call creates passes through jsii's metaclass, and the first frame outside the libraries (the
Python standard library, installed packages, this gate) is the user's line. A construct CDK creates
inside a construct library (a bucket's `Resource`) has no such line; its nearest enclosing construct
that Python created has, up to the stack and the app.
"""

from __future__ import annotations

import itertools
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs import Construct, IConstruct
from jsii._runtime import JSIIMeta

_GATE = str(Path(__file__).resolve().parents[1])
_LIBRARIES = tuple(
    {os.path.realpath(sysconfig.get_paths()[key]) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _library(filename: str) -> bool:
    if filename.startswith("<"):  # <frozen runpy>, <string>
        return True
    real = os.path.realpath(filename)
    return real.startswith(_LIBRARIES) or _in_gate(real)


def _in_gate(real: str) -> bool:
    """This package's own modules (installed, or a checkout's compliance_gate/, aspects/ and policies/)."""
    parts = Path(real).relative_to(_GATE).parts if real.startswith(_GATE + os.sep) else ()
    return bool(parts) and parts[0] in ("compliance_gate", "aspects", "policies")


def repository_root(path: Path) -> Path:
    """The git work tree holding `path`, or the current directory (the app's, under the CDK CLI)."""
    for directory in path.parents:
        if (directory / ".git").exists():
            return directory
    return Path.cwd()


@dataclass(frozen=True)
class Site:
    file: str
    """Relative to the repository root, with forward slashes."""
    line: int
    end_line: int
    column: int
    """1-based, as SARIF counts; end_column is one past the call's last character."""
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    @classmethod
    def parse(cls, text: str) -> Site | None:
        """The `file:line` form results carry (columns unknown)."""
        file, _, line = text.rpartition(":")
        return cls(file, int(line), int(line), 1, 1) if file and line.isdigit() else None


@dataclass
class CreationSites:
    """The user's line that created each construct, by the construct's Python object."""

    lines: dict[int, tuple[Any, str, tuple[int, int, int, int]]] = field(default_factory=dict)
    """id(construct) -> (the construct, kept alive so its id stays its own; file; the call's position)."""

    def created(self, construct: Any, frame: Any) -> None:
        while frame is not None and _library(frame.f_code.co_filename):
            frame = frame.f_back
        if frame is not None:
            self.lines[id(construct)] = (construct, frame.f_code.co_filename, _call_position(frame))

    def site(self, construct: IConstruct | None) -> Site | None:
        """The line that created `construct`, or its nearest enclosing construct Python created."""
        while construct is not None:
            found = self.lines.get(id(construct))
            if found is not None:
                file = Path(found[1]).resolve()
                root = repository_root(file)
                shown = file.relative_to(root) if file.is_relative_to(root) else file
                return Site(shown.as_posix(), *found[2])
            construct = construct.node.scope
        return None

    def at_path(self, root: IConstruct, path: str) -> Site | None:
        """The site of the construct at `path` (or of its deepest existing ancestor)."""
        construct = root
        for part in filter(None, path.split("/")):
            child = construct.node.try_find_child(part)
            if child is None:
                break
            construct = child
        return self.site(construct)


def _call_position(frame: Any) -> tuple[int, int, int, int]:
    """(line, end line, column, end column) of the call the frame is making: the whole constructor call."""
    positions = frame.f_code.co_positions()
    position = next(itertools.islice(positions, frame.f_lasti // 2, None), None)
    if position is None or None in position:
        return frame.f_lineno, frame.f_lineno, 1, 1
    line, end_line, column, end_column = position
    return line, end_line, column + 1, end_column + 1


_ACTIVE: list[CreationSites] = []


def record_sites() -> CreationSites:
    """Start recording (once per process; every gate of the process shares the record)."""
    if _ACTIVE:
        return _ACTIVE[0]
    sites = CreationSites()
    _ACTIVE.append(sites)
    created = JSIIMeta.__call__

    def recording(cls: Any, *args: Any, **kwargs: Any) -> Any:
        instance = created(cls, *args, **kwargs)
        if isinstance(instance, Construct):
            sites.created(instance, sys._getframe(1))
        return instance

    JSIIMeta.__call__ = recording
    return sites

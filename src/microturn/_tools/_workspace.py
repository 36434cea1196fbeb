"""Search and read text files under one workspace directory, and nowhere else.

Every path is resolved (symlinks included) and must stay under the workspace root; ``..`` and
absolute paths are refused outright. Hidden directories (``.git``, ``.venv``) and a few generated
ones are not searched. Binary files are refused, and every answer is bounded. The file system work
runs in a worker thread so a big search never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import msgspec

from microturn._core._tools import ToolError
from microturn._tools._tool import Tool, tool
from microturn.errors import ConfigError

__all__ = ["Workspace", "workspace_tools"]

MAX_LINES = 500
MAX_FILES_SCANNED = 5_000
MAX_MATCHES = 50
MAX_LINE_CHARS = 300
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_OUTPUT_CHARS = 20_000
_SNIFF_BYTES = 8192
_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules"})

Query = Annotated[
    str,
    msgspec.Meta(max_length=200, description="Text to look for (case-insensitive); empty lists the matching files."),
]
Glob = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=200,
        description="Which files, relative to the workspace: '**/*.py', 'docs/*', '**/*' for all.",
    ),
]
RelativePath = Annotated[
    str, msgspec.Meta(min_length=1, max_length=1000, description="A file path relative to the workspace.")
]
StartLine = Annotated[int, msgspec.Meta(ge=1, description="The first line to show (1-based).")]
LineCount = Annotated[int, msgspec.Meta(ge=1, le=MAX_LINES, description="How many lines to show at most.")]


def workspace_tools(root: Path) -> list[Tool[..., Any]]:
    """``search_files`` and ``read_file``, confined to ``root``."""
    workspace = Workspace(root)

    @tool(name="search_files", scopes=("files:read",))
    async def search_files(query: Query, glob: Glob = "**/*") -> str:
        """Search the workspace's text files for a phrase; each hit is given as path:line: text."""
        return await asyncio.to_thread(workspace.search, query, glob)

    @tool(name="read_file", scopes=("files:read",))
    async def read_file(path: RelativePath, start_line: StartLine = 1, max_lines: LineCount = 200) -> str:
        """Read lines of a text file in the workspace, numbered."""
        return await asyncio.to_thread(workspace.read, path, start_line, max_lines)

    return [search_files, read_file]


class Workspace:
    """The file system work of the workspace tools (blocking; call it from a worker thread)."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise ConfigError(f"the workspace {str(root)!r} is not a directory")
        self.root = root.resolve()

    def search(self, query: str, glob: str) -> str:
        pattern = _glob_pattern(_relative(glob, what="glob"))
        needle = query.casefold()
        hits: list[str] = []
        more = False
        for path in self._files(pattern):
            text = _text(path)
            if text is None:
                continue
            name = path.relative_to(self.root).as_posix()
            if not needle:
                hits.append(name)
            else:
                hits.extend(
                    f"{name}:{number}: {_clip(line.strip())}"
                    for number, line in enumerate(text.splitlines(), start=1)
                    if needle in line.casefold()
                )
            if len(hits) > MAX_MATCHES:
                more = True
                break
        if not hits:
            what = "no text files" if not needle else f"no lines containing {query!r} in files"
            return f"{what} matching {glob!r}"
        shown = hits[:MAX_MATCHES]
        if more:
            shown.append(f"[more than {MAX_MATCHES} hits; narrow the query or the glob]")
        return "\n".join(shown)

    def read(self, path: str, start_line: int, max_lines: int) -> str:
        target = self._resolve(path)
        if target.is_dir():
            raise _error(f"{path!r} is a directory; list it with search_files and glob '{path}/*'")
        if target.stat().st_size > MAX_FILE_BYTES:
            raise _error(f"{path!r} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; it is not read")
        try:
            text = _decode(target.read_bytes())
        except OSError as exc:
            raise _error(f"{path!r} cannot be read: {exc.strerror or exc}") from None
        if text is None:
            raise _error(f"{path!r} is a binary file, not text; it is not read")
        lines = text.splitlines()
        if start_line > max(len(lines), 1):
            raise _error(f"{path!r} has only {len(lines)} lines")
        shown: list[str] = []
        size = 0
        for number in range(start_line, min(start_line + max_lines, len(lines) + 1)):
            entry = f"{number}: {_clip(lines[number - 1])}"
            size += len(entry) + 1
            if size > MAX_OUTPUT_CHARS:
                break
            shown.append(entry)
        last = start_line + len(shown) - 1
        header = f"{path} (lines {start_line}-{last} of {len(lines)})"
        return "\n".join([header, *shown])

    def _resolve(self, path: str) -> Path:
        target = (self.root / _relative(path, what="path")).resolve()
        if not target.is_relative_to(self.root):
            raise _error(f"{path!r} leads outside the workspace (through a symbolic link)")
        if not target.exists():
            raise _error(f"there is no file {path!r} in the workspace")
        return target

    def _files(self, pattern: re.Pattern[str]) -> list[Path]:
        """Files matching ``pattern`` in a stable order, without hidden directories, within bounds."""
        found: list[Path] = []
        scanned = 0
        for directory, subdirectories, files in os.walk(self.root):  # never follows linked directories
            subdirectories[:] = sorted(
                name for name in subdirectories if not name.startswith(".") and name not in _SKIPPED_DIRECTORIES
            )
            base = Path(directory)
            for name in sorted(files):
                scanned += 1
                if scanned > MAX_FILES_SCANNED:
                    return found
                path = base / name
                if not pattern.match(path.relative_to(self.root).as_posix()):
                    continue
                real = path.resolve()
                if real.is_relative_to(self.root) and real.is_file():  # a link may point anywhere
                    found.append(path)
        return found


def _relative(path: str, *, what: str) -> PurePosixPath:
    relative = PurePosixPath(path)
    if "\0" in path or relative.is_absolute() or path.startswith("~"):
        raise _error(f"the {what} {path!r} must be relative to the workspace")
    if ".." in relative.parts:
        raise _error(f"the {what} {path!r} may not contain '..'")
    return relative


def _glob_pattern(glob: PurePosixPath) -> re.Pattern[str]:
    """'**/' is any number of directories, '*' anything within a name, '?' one character."""
    source = glob.as_posix()
    parts: list[str] = []
    index = 0
    while index < len(source):
        if source.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif source.startswith("**", index):
            parts.append(".*")
            index += 2
        else:
            character = source[index]
            parts.append({"*": "[^/]*", "?": "[^/]"}.get(character, re.escape(character)))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def _text(path: Path) -> str | None:
    """The file's text, or None if it is binary, too large or unreadable."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return _decode(path.read_bytes())
    except OSError:
        return None


def _decode(data: bytes) -> str | None:
    """UTF-8 text, or None for binary data."""
    if b"\0" in data[:_SNIFF_BYTES]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _clip(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "…"


def _error(message: str) -> ToolError:
    return ToolError(message, transient=False)

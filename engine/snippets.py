"""Snippet files: named sections (`# --8<-- [start:name]` ... `[end:name]`) that pages embed
with `--8<-- "snippets/tensors.py:name"`, read exactly as pymdownx.snippets reads them.

The build (hooks/snippets.py) and the page runner use the same `read_section`, so a page
runs the exact code it shows; a missing file, a missing or duplicate section, an unclosed
one and an empty one each raise an error that names the file, the line and the section.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# An include line, quoted either way, as pymdownx.snippets reads it.
INCLUDE = re.compile(
    r"""^[ \t]*-{1,}8<-{1,}[ \t]+(?P<quote>["'])(?P<spec>(?:(?!(?P=quote)).)+)(?P=quote)[ \t]*$""",
    re.MULTILINE,
)
# pymdownx.snippets' block form (a bare `--8<--` line, then file names): the tests could not
# tell which code it shows, so the build refuses it.
BLOCK_INCLUDE = re.compile(r"^[ \t]*-{1,}8<-{1,}[ \t]*$", re.MULTILINE)
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")  # what MkDocs builds as pages
MARKER = re.compile(r"^[ \t]*# -{1,}8<-{1,} \[(?P<kind>start|end):(?P<name>[a-z][-_0-9a-z]*)\]")


@dataclass(frozen=True)
class Section:
    path: Path
    name: str
    first_line: int  # 1-based line number of the section's first code line in `path`
    code: str

    @property
    def padded(self) -> str:
        """The code preceded by blank lines, so compiling it keeps the file's line numbers."""
        return "\n" * (self.first_line - 1) + self.code


def sections(path: Path) -> dict[str, Section]:
    """Every named section of a snippet file, in file order."""
    found: dict[str, Section] = {}
    open_at: dict[str, int] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        name = match["name"]
        if match["kind"] == "start":
            if name in open_at or name in found:
                first = open_at[name] if name in open_at else found[name].first_line - 2
                raise ValueError(
                    f"{path}:{index + 1}: duplicate section '{name}' (first started at line "
                    f"{first + 1}): each section name is used once in a file"
                )
            open_at[name] = index
        elif name in open_at:
            start = open_at.pop(name)
            body = "\n".join(lines[start + 1 : index]) + "\n"
            if path.suffix == ".py" and not ast.parse(body).body:
                raise ValueError(
                    f"{path}:{start + 1}: section '{name}' has no code: an empty block would "
                    "be shown and counted as run"
                )
            found[name] = Section(path, name, start + 2, body)
        else:
            raise ValueError(f"{path}:{index + 1}: [end:{name}] has no matching [start:{name}]")
    if open_at:
        name, index = next(iter(open_at.items()))
        raise ValueError(f"{path}:{index + 1}: [start:{name}] is never closed by [end:{name}]")
    return found


def read_section(spec: str, root: Path = ROOT) -> Section:
    """Resolve an include spec such as `snippets/tensors.py:photo` (or a whole file).

    Raises LookupError naming the file and section when either is missing.
    """
    file_part, _, name = spec.partition(":")
    path = root / file_part
    if not path.is_file():
        raise LookupError(f"snippet file '{file_part}' does not exist (looked in {root})")
    if not name:  # the whole file, as docs/contributing.md embeds CONTRIBUTING.md
        text = path.read_text(encoding="utf-8")
        return Section(path, "", 1, text)
    available = sections(path)
    if name not in available:
        names = ", ".join(available) or "none"
        raise LookupError(
            f"snippet file '{file_part}' has no section '{name}' (its sections: {names})"
        )
    return available[name]

"""Check every `--8<-- "file:section"` include before pymdownx.snippets expands it.

pymdownx.snippets with `check_paths: true` fails on a missing file, but for a missing
section it names neither the page nor the file. This hook fails the build with all three,
and lists the sections the file does have. The tests reuse `read_section` to run the exact
code a page embeds.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError

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


def on_files(files, config):
    """Only .md pages: the tests read .md files, so a page in another Markdown suffix that
    MkDocs also builds (.markdown, .mdown, .mkdn, .mkd) would go untested."""
    for file in files:
        if Path(file.src_uri).suffix in MARKDOWN_SUFFIXES[1:]:
            raise PluginError(f"docs/{file.src_uri}: name the page .md; only .md pages are tested")
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    root = Path(config.config_file_path).parent
    if block := BLOCK_INCLUDE.search(markdown):
        line = markdown.count("\n", 0, block.start()) + 1
        where = Path(page.file.abs_src_path).relative_to(root)
        raise PluginError(
            f'{where}:{line}: use one include line per block, --8<-- "file.py:section"'
        )
    for match in INCLUDE.finditer(markdown):
        line = markdown.count("\n", 0, match.start()) + 1
        try:
            read_section(match["spec"], root)
        except (LookupError, ValueError) as error:
            where = Path(page.file.abs_src_path).relative_to(root)
            raise PluginError(f"{where}:{line}: {error}") from None
    return markdown

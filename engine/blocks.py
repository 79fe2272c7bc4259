"""The one parser of pages: every fenced code block a reader sees, in reading order.

- fences inside content tabs (`=== "Tab"`, `===+`, `===!`) and admonitions (`!!! note`,
  `!!!note`, `??? note`, `???+ note`) are dedented line for line, tab-indented content
  included, so they are found and keep their page line numbers;
- a snippet include line (`--8<-- "snippets/tensors.py:create"`) becomes one line of Python
  that runs that section of the snippet file, compiled under the snippet's own file name and
  line numbers, so a failure points at the snippet file.

The page runner (engine/pages.py), the fence collector (pytest-markdown-docs, through
`FenceParser`), the census and the copy tests all read pages through `page_blocks`.
"""

from __future__ import annotations

import doctest
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from pytest_markdown_docs.plugin import parse_superfences_block_info

from engine.snippets import INCLUDE, MARKER, read_section

PYTHON = frozenset({"python", "py", "python3"})
# The openers of Material's containers, as pymdownx.tabbed, admonition and pymdownx.details
# read them; their content is indented by 4 more (a tab counts as 4, as in Python-Markdown).
CONTAINER = re.compile(r"^(?P<indent> *)(?:={3}[+!]{0,2} +\"|!{3} ?[\w-]|\?{3}\+? ?[\w\"-])")


def project_root(page: Path) -> Path:
    """The project a page belongs to: the folder above its docs/ (or the page's folder)."""
    return next((p.parent for p in page.resolve().parents if p.name == "docs"), page.parent)


def _snippet_line(match: re.Match[str], root: Path) -> str:
    """One line of Python that runs the snippet section an include line names."""
    try:
        section = read_section(match["spec"], root)
    except (LookupError, ValueError) as error:
        return f"raise LookupError({str(error)!r})"
    return f"exec(compile({section.padded!r}, {str(section.path)!r}, 'exec'))"


def _expand_indent(line: str) -> str:
    body = line.lstrip(" \t")
    return line[: len(line) - len(body)].expandtabs(4) + body


def prepare(text: str, root: Path) -> str:
    """The page as the runner reads it: containers dedented, includes made runnable.

    Line for line with the original, so every line number stays the page's own.
    """
    out: list[str] = []
    depths: list[int] = []  # content indentation of each open container
    for raw in text.split("\n"):
        line = _expand_indent(raw)
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if body:
            while depths and indent < depths[-1]:
                depths.pop()
        depth = depths[-1] if depths else 0
        out.append(line[depth:] if body else "")
        if match := CONTAINER.match(line):
            depths.append(len(match["indent"]) + 4)
    return INCLUDE.sub(lambda m: _snippet_line(m, root), "\n".join(out))


class PageParser(MarkdownIt):
    """CommonMark parser that reads pages through `prepare`."""

    def __init__(self, root: Path | None = None) -> None:
        super().__init__("commonmark")
        self.root = root

    def parse(self, src: str, env=None):
        root = self.root or Path.cwd()
        return super().parse(prepare(src, root), env)


class FenceParser(PageParser):
    """The parser handed to pytest-markdown-docs: each python fence becomes an item whose
    runner reports how the fence fared in the page's one run (engine/plugin.py)."""

    def parse(self, src: str, env=None):
        tokens = super().parse(src, env)
        for token in tokens:
            info = parse_superfences_block_info(token.info) or [""]
            if token.type == "fence" and info[0] in PYTHON:
                token.info = "{" + " ".join([f".{info[0]}", *info[1:], "runner:PageOrder"]) + "}"
        return tokens


@dataclass(frozen=True)
class Block:
    lang: str
    options: frozenset[str]
    line: int  # 1-based page line of the opening fence
    end: int  # 1-based page line of the closing fence
    code: str  # what runs: containers dedented, includes made runnable
    include: str | None  # "file:section" when the block embeds a snippet

    @property
    def runs(self) -> bool:
        return self.lang in PYTHON and "notest" not in self.options


def page_blocks(text: str, root: Path) -> list[Block]:
    """Every fenced code block of a page, in reading order."""
    lines = text.split("\n")
    blocks = []
    for token in PageParser(root).parse(text):
        if token.type != "fence" or not token.map:
            continue
        info = parse_superfences_block_info(token.info) or [""]
        start, stop = token.map
        include = INCLUDE.search("\n".join(lines[start + 1 : stop - 1]))
        blocks.append(
            Block(
                lang=info[0],
                options=frozenset(info[1:]),
                line=start + 1,
                end=stop,
                code=token.content,
                include=include["spec"] if include else None,
            )
        )
    return blocks


def blocks_of(page: Path) -> list[Block]:
    return page_blocks(page.read_text(encoding="utf-8"), project_root(page))


def shown_blocks(page: Path) -> list[tuple[Path, Block]]:
    """The blocks a reader sees on a page, including those of Markdown files it embeds."""
    text = page.read_text(encoding="utf-8")
    root = project_root(page)
    blocks = [(page, block) for block in page_blocks(text, root)]
    for match in INCLUDE.finditer(text):
        embedded = read_section(match["spec"], root).path
        if embedded.suffix == ".md":
            blocks += [(embedded, block) for block in blocks_of(embedded)]
    return blocks


def normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").split("\n"))


def shown_text(block: Block, root: Path) -> str:
    """The code a block shows on the built page."""
    if block.include:
        code = read_section(block.include, root).code
        code = "".join(line for line in code.splitlines(True) if not MARKER.match(line))
    elif block.lang == "pycon":
        code = block.code.replace("<BLANKLINE>", "")
    else:
        code = block.code
    return normal(code)


def pycon_problems(block: Block) -> list[str]:
    """What in a pycon block a reader would see but doctest would not check."""
    problems = []
    lines = block.code.rstrip("\n").split("\n")
    for number, line in enumerate(lines, block.line + 1):
        if not line.strip():
            problems.append(
                f"{number}: a blank line in a pycon block ends the output above it, and "
                "doctest reads what follows as prose, unchecked; write <BLANKLINE> for an "
                "empty output line and start the next example with >>>"
            )
    if lines and not lines[0].startswith(">>>"):
        problems.append(f"{block.line + 1}: a pycon block starts with a >>> prompt")
    examples = doctest.DocTestParser().get_examples(block.code)
    for example in examples[:-1]:
        if example.want.startswith("Traceback (most recent call last):"):
            problems.append(
                f"{block.line + 1 + example.lineno}: an example that shows a traceback ends "
                "its block: pasted as one cell (IPython, Jupyter), a block stops at its first "
                "exception, so what follows it goes in a block of its own"
            )
    for example in examples:
        if example.options:
            problems.append(
                f"{block.line + 1 + example.lineno}: doctest directives are not allowed on "
                "pages (an output shown must be checked as shown): "
                + example.source.strip().split("\n")[0]
            )
    return problems


def page_problems(path: Path) -> list[str]:
    """Every problem of a page that is not about running it, as 'page:line: message'."""
    return [
        f"{path}:{problem}"
        for block in blocks_of(path)
        if block.lang == "pycon"
        for problem in pycon_problems(block)
    ]

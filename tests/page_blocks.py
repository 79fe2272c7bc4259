"""Find and run the code blocks of the site's pages: a pytest plugin and a small CLI.

Every page is read by one parser (`page_blocks`) that sees what a reader sees:

- fences inside content tabs (`=== "Tab"`) and admonitions (`!!! note`, `??? note`) are
  dedented line for line, so they are found and keep their page line numbers;
- a snippet include line (`--8<-- "snippets/tensors.py:create"`) becomes one line of Python
  that runs that section of the snippet file, compiled under the snippet's own file name and
  line numbers, so a failure points at the snippet file.

Two collectors use it:

- pytest-markdown-docs runs each `python` fence (our parser is handed to it through its
  `pytest_markdown_docs_markdown_it` hook);
- `PageFile` runs each page top to bottom in one fresh namespace, as a reader who pastes
  every block would: `python` fences silently, `pycon` blocks with their shown output checked
  by doctest. It is the copy-paste test and the output test in one.

`python -m tests.page_blocks PAGE...` rewrites the output shown in the pages' `pycon` blocks
from a real run (outputs are never typed by hand).
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem, _get_checker, _get_runner
from markdown_it import MarkdownIt
from pytest_markdown_docs.plugin import parse_superfences_block_info

from hooks.snippets import INCLUDE, read_section

ROOT = Path(__file__).resolve().parents[1]
PYTHON = frozenset({"python", "py", "python3"})
CONTAINER = re.compile(r"^(?P<indent>[ \t]*)(?:===|!!!|\?\?\?\+?)[ \t]")
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _snippet_line(match: re.Match[str]) -> str:
    """One line of Python that runs the snippet section an include line names."""
    try:
        section = read_section(match["spec"])
    except (LookupError, ValueError) as error:
        return f"raise LookupError({str(error)!r})"
    return f"exec(compile({section.padded!r}, {str(section.path)!r}, 'exec'))"


def prepare(text: str) -> str:
    """The page as the tests read it: containers dedented, includes made runnable.

    Line for line with the original, so every line number stays the page's own.
    """
    out: list[str] = []
    depths: list[int] = []  # content indentation of each open container
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if body:
            while depths and indent < depths[-1]:
                depths.pop()
        depth = depths[-1] if depths else 0
        out.append(line[depth:] if body else "")
        if match := CONTAINER.match(line):
            depths.append(len(match["indent"]) + 4)
    return INCLUDE.sub(_snippet_line, "\n".join(out))


class PageParser(MarkdownIt):
    """CommonMark parser that reads pages through `prepare`."""

    def __init__(self) -> None:
        super().__init__("commonmark")

    def parse(self, src: str, env=None):
        return super().parse(prepare(src), env)


@dataclass(frozen=True)
class Block:
    lang: str
    options: frozenset[str]
    line: int  # 1-based page line of the opening fence
    end: int  # 1-based page line of the closing fence
    code: str  # what runs: containers dedented, includes made runnable
    source: str  # the lines as written on the page, between the fences
    include: str | None  # "file:section" when the block embeds a snippet

    @property
    def runs(self) -> bool:
        return self.lang in PYTHON and "notest" not in self.options


def page_blocks(text: str) -> list[Block]:
    """Every fenced code block of a page, in reading order."""
    lines = text.split("\n")
    blocks = []
    for token in PageParser().parse(text):
        if token.type != "fence" or not token.map:
            continue
        info = parse_superfences_block_info(token.info) or [""]
        start, stop = token.map
        source = "\n".join(lines[start + 1 : stop - 1])
        include = INCLUDE.search(source)
        blocks.append(
            Block(
                lang=info[0],
                options=frozenset(info[1:]),
                line=start + 1,
                end=stop,
                code=token.content,
                source=source,
                include=include["spec"] if include else None,
            )
        )
    return blocks


def _exec_line(block: Block, filename: str) -> str:
    """The block as one statement (doctest compiles each example as one), page lines kept."""
    padded = "\n" * block.line + block.code
    return f"exec(compile({padded!r}, {filename!r}, 'exec'))\n"


def page_doctest(path: Path) -> doctest.DocTest:
    """The whole page as one doctest: python fences expect no output, pycon blocks theirs."""
    text = path.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    examples: list[doctest.Example] = []
    for block in page_blocks(text):
        if block.runs:
            examples.append(doctest.Example(_exec_line(block, str(path)), "", lineno=block.line))
        elif block.lang == "pycon":
            for example in parser.get_examples(block.code, str(path)):
                example.lineno += block.line
                examples.append(example)
    return doctest.DocTest(examples, {"__name__": "__main__"}, str(path), str(path), 0, text)


class PageFile(pytest.File):
    def collect(self):
        test = page_doctest(self.path)
        if test.examples:
            runner = _get_runner(checker=_get_checker(), optionflags=OPTIONFLAGS)
            yield DoctestItem.from_parent(
                self, name="page-in-reading-order", runner=runner, dtest=test
            )


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md":
        return PageFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_markdown_docs_markdown_it() -> MarkdownIt:
    return PageParser()


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the census line (tests/test_census.py), from whichever worker ran it."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "census" and report.when == "call":
                terminalreporter.write_line(value)


# ---- refreshing the shown outputs -------------------------------------------------------


def _run(example: doctest.Example, globs: dict, filename: str) -> str:
    """What doctest would see: the printed output, or the exception in doctest's form."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            exec(compile(example.source, filename, "single"), globs)
        except Exception as error:  # shown on the page as a traceback
            last = traceback.format_exception_only(error)[-1]
            return buffer.getvalue() + "Traceback (most recent call last):\n  ...\n" + last
    return buffer.getvalue()


def _pycon(example: doctest.Example, want: str) -> list[str]:
    code = example.source.rstrip("\n").split("\n")
    lines = [f">>> {code[0]}"] + [f"... {line}" if line else "..." for line in code[1:]]
    lines += [line if line.strip() else "<BLANKLINE>" for line in want.rstrip("\n").split("\n")]
    return lines if want else lines[: len(code)]


def refresh(path: Path) -> int:
    """Rewrite the output of every pycon block of a page from a real run; return how many
    examples changed. Outputs that still match (an elided `...` included) are kept."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    checker = doctest.OutputChecker()
    parser = doctest.DocTestParser()
    globs: dict = {"__name__": "__main__"}
    changed = 0
    replacements: list[tuple[Block, list[str]]] = []
    for block in page_blocks(text):
        if block.runs:
            exec(_exec_line(block, str(path)), globs)
        elif block.lang == "pycon":
            new: list[str] = []
            for example in parser.get_examples(block.code, str(path)):
                got = _run(example, globs, str(path))
                want = example.want
                if example.exc_msg is not None or got.startswith("Traceback"):
                    same = example.exc_msg is not None and got.endswith(example.exc_msg)
                else:
                    same = checker.check_output(want, got, OPTIONFLAGS)
                if not same:
                    changed += 1
                    want = got
                new += _pycon(example, want)
            replacements.append((block, new))
    for block, new in reversed(replacements):
        first = lines[block.line]  # the first code line carries the container indentation
        indent = first[: len(first) - len(first.lstrip(" "))]
        lines[block.line : block.end - 1] = [indent + line if line else line for line in new]
    path.write_text("\n".join(lines), encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    if not argv or any(arg.startswith("-") or not arg.endswith(".md") for arg in argv):
        print("usage: python -m tests.page_blocks PAGE.md [PAGE.md ...]", file=sys.stderr)
        print(
            "rewrites the output shown in each page's pycon blocks from a real run", file=sys.stderr
        )
        return 2
    for arg in argv:
        path = Path(arg)
        if not path.is_file():
            print(f"no such page: {arg}", file=sys.stderr)
            return 2
        print(f"{arg}: {refresh(path)} output(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

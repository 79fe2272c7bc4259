"""Census: every code block a reader sees is exercised by this test suite.

For each page it reads the code blocks of the Markdown source (tabs, admonitions, embedded
files included) and of the built HTML, and compares them one by one, in order, by language
and content: a block the parser misses, or sees twice, fails with the page and line. HTML
comments are not shown to readers, so blocks inside them do not count. Then it checks that
each block is exercised:

- a `python` fence is collected by pytest-markdown-docs and runs in the page-in-reading-order
  test;
- a `pycon` block has examples that the page-in-reading-order test (doctest) checks, and no
  line that doctest would leave unchecked (`page_blocks.pycon_problems`);
- a shell or text block is checked by `tests/test_shell_and_text_blocks.py` against the
  files it quotes;
- a `notest` fence has its own "Not run here, because ..." sentence, visible on the built
  page between it and the block before it.

Notebook pages: every non-empty code cell of the example shows an execution count in the
built page. The summary line is printed at the end of the test run.
"""

from __future__ import annotations

import html as html_lib
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jupytext
import pytest

from hooks.snippets import INCLUDE, MARKDOWN_SUFFIXES, MARKER, read_section
from tests.page_blocks import PYTHON, Block, page_blocks, pycon_problems

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHECKED_ELSEWHERE = {
    "bash": "tests/test_shell_and_text_blocks.py",
    "text": "tests/test_shell_and_text_blocks.py",
}
NOT_RUN = re.compile(r"Not run here, because ([^.\n]+)")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
HTML_BLOCK = re.compile(
    r'<div\b[^>]*\bclass="language-(?P<lang>[\w-]+)\b[^"]*\bhighlight\b[^"]*"[^>]*>'
    r"<pre\b[^>]*>(?:<span></span>)?<code\b[^>]*>(?P<code>.*?)</code></pre>",
    re.DOTALL,
)
PROMPT = re.compile(r'jp-InputPrompt jp-InputArea-prompt">In\xa0?\s*\[(\d+)\]:')


def shown_blocks(page: Path) -> list[tuple[Path, Block]]:
    """The blocks a reader sees on a page, including those of Markdown files it embeds."""
    text = page.read_text(encoding="utf-8")
    blocks = [(page, block) for block in page_blocks(text)]
    for match in INCLUDE.finditer(text):
        embedded = read_section(match["spec"], page_root(page)).path
        if embedded.suffix == ".md":
            blocks += [(embedded, block) for block in page_blocks(embedded.read_text("utf-8"))]
    return blocks


def page_root(page: Path) -> Path:
    """The project a page belongs to: the folder above its docs/."""
    return next(parent.parent for parent in page.parents if parent.name == "docs")


def page_url(source: Path) -> str:
    """The URL path, relative to the site root, of a page (docs/*.md) or an example."""
    if source.suffix == ".py":
        return f"examples/{source.stem}/"
    docs = page_root(source) / "docs"
    path = source.relative_to(docs).with_suffix("")
    if path.name == "index":
        path = path.parent
    return "" if path == Path(".") else f"{path.as_posix()}/"


def built_page(site: Path, source: Path) -> Path:
    return site / page_url(source) / "index.html"


def built_blocks(html: str) -> list[tuple[str, str, str]]:
    """(language, code text, visible text before it) of each code block a reader sees."""
    html = COMMENT.sub("", html)
    blocks, end = [], 0
    for match in HTML_BLOCK.finditer(html):
        before = html_lib.unescape(re.sub(r"<[^>]+>", " ", html[end : match.start()]))
        code = html_lib.unescape(re.sub(r"<[^>]+>", "", match["code"]))
        blocks.append((match["lang"], code, before))
        end = match.end()
    return blocks


def shown_text(block: Block, root: Path) -> str:
    """The code a block shows on the built page."""
    if block.include:
        code = read_section(block.include, root).code
        code = "".join(line for line in code.splitlines(True) if not MARKER.match(line))
    elif block.lang == "pycon":
        code = block.code.replace("<BLANKLINE>", "")
    else:
        code = block.code
    return _normal(code)


def _normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").split("\n"))


def collect_page_tests(docs: Path, root: Path = ROOT) -> set[str]:
    """The test items pytest collects from a docs/ folder, as node ids."""
    command = [
        sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider",
        "-p", "tests.page_blocks", "--markdown-docs", "--markdown-docs-syntax=superfences",
        "--rootdir", str(root), "-c", str(ROOT / "pyproject.toml"), str(docs),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: nothing to run
    return {line for line in result.stdout.splitlines() if "::" in line}


def _verdict(
    page: Path, source: Path, block: Block, before: str, collected: set[str], root: Path
) -> str:
    """How the suite exercises a block: 'executed', 'checked', 'unchecked output' or
    'not run: <reason>'.

    Raises AssertionError naming the block when nothing exercises it.
    """
    where = f"{source.relative_to(root)}:{block.line}"
    node = f"{source.relative_to(root)}::"
    in_order = f"{node}page-in-reading-order" in collected
    if block.lang in PYTHON or block.lang == "pycon":
        assert source == page, (
            f"{where}: code in an embedded Markdown file is not run by the page tests; "
            "put it on the page itself"
        )
    if block.lang in PYTHON:
        if "notest" in block.options:
            reason = NOT_RUN.search(before)
            assert reason, (
                f"{where}: notest fence without its own visible 'Not run here, because ...' "
                "sentence on the built page between it and the block before it"
            )
            return f"not run: {reason[1]}"
        fence = any(n.startswith(node) and n.endswith(f"[line:{block.line}]") for n in collected)
        assert fence, f"{where}: python fence not collected by pytest-markdown-docs"
        assert in_order, f"{where}: page not collected by the page-in-reading-order test"
        return "executed"
    if block.lang == "pycon":
        assert ">>> " in block.code, f"{where}: pycon block without a >>> example"
        assert in_order, f"{where}: page not collected by the page-in-reading-order test"
        return "unchecked output" if pycon_problems(block) else "executed"
    checker = CHECKED_ELSEWHERE.get(block.lang)
    assert checker, f"{where}: a '{block.lang}' block that no test exercises"
    return "checked"


def compare_blocks(page: Path, html: str, root: Path) -> list[tuple[Path, Block, str]]:
    """Pair the page's blocks with the built page's, failing at the first that differs."""
    source_blocks = shown_blocks(page)
    html_blocks = built_blocks(html)
    for index, (source, block) in enumerate(source_blocks):
        where = f"{source.relative_to(root)}:{block.line}"
        assert index < len(html_blocks), (
            f"{where}: the census parsed this {block.lang} block, the built page does not show it"
        )
        lang, code, _ = html_blocks[index]
        assert (lang, _normal(code)) == (block.lang, shown_text(block, root)), (
            f"{where}: the census parsed a {block.lang} block here, but the built page's block "
            f"#{index + 1} is a {lang} block starting {_normal(code)[:60]!r}: the parser does "
            "not read a block the way Material renders it"
        )
    if len(html_blocks) > len(source_blocks):
        lang, code, _ = html_blocks[len(source_blocks)]
        after = f"after line {source_blocks[-1][1].end}" if source_blocks else "anywhere"
        raise AssertionError(
            f"{page.relative_to(root)}: the built page shows a {lang} block the census "
            f"did not parse ({after}): {_normal(code)[:60]!r}"
        )
    return [(s, b, html_blocks[i][2]) for i, (s, b) in enumerate(source_blocks)]


def census(root: Path, site: Path, collected: set[str]) -> str:
    """Check every block of every page and notebook of a project; return the summary line."""
    verdicts: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    unchecked: list[str] = []
    docs = root / "docs"
    pages = sorted(p for p in docs.rglob("*") if p.suffix in MARKDOWN_SUFFIXES)
    for page in pages:
        assert page.suffix == ".md", f"{page.relative_to(root)}: only .md pages are tested"
        html = built_page(site, page).read_text(encoding="utf-8")
        for source, block, before in compare_blocks(page, html, root):
            verdict = _verdict(page, source, block, before, collected, root)
            verdicts[verdict] += 1
            langs[block.lang] += 1
            if block.lang == "pycon":
                unchecked += [f"{source.relative_to(root)}:{p}" for p in pycon_problems(block)]

    cells = 0
    for program in sorted((root / "examples").glob("*.py")):
        code_cells = [
            c for c in jupytext.read(program).cells if c.cell_type == "code" and c.source.strip()
        ]
        html = built_page(site, program).read_text(encoding="utf-8")
        counts = [int(n) for n in PROMPT.findall(html)]
        assert counts == list(range(1, len(code_cells) + 1)), (
            f"{program.relative_to(root)}: {len(code_cells)} code cells, "
            f"but the built page shows execution counts {counts}"
        )
        cells += len(code_cells)

    assert not unchecked, f"{len(unchecked)} shown output(s) unchecked:\n" + "\n".join(unchecked)
    total = sum(verdicts.values())
    not_run = {k: v for k, v in verdicts.items() if k.startswith("not run")}
    return (
        f"census: {verdicts['executed'] + verdicts['checked']} of {total} page code blocks "
        f"exercised ({verdicts['executed']} executed, {verdicts['checked']} shell/text checked; "
        f"by language: {dict(sorted(langs.items()))}); {len(unchecked)} shown outputs "
        f"unchecked; "
        f"{cells} of {cells} notebook cells executed; {sum(not_run.values())} not runnable here"
        + "".join(f"\n  {count} x {reason}" for reason, count in not_run.items())
    )


@pytest.fixture(scope="module")
def collected() -> set[str]:
    return collect_page_tests(DOCS)


def test_every_block_on_every_page_is_exercised(site, collected, record_property):
    record_property("census", census(ROOT, site.path, collected))

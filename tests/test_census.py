"""Census: every code block a reader sees is exercised by this test suite.

For each page it counts the code blocks in the built HTML and in the Markdown source (tabs,
admonitions and embedded files included) and fails if the two disagree, so no block can hide
from the parser. Then it checks that each block is exercised:

- a `python` fence is collected by pytest-markdown-docs and runs in the page-in-reading-order
  test;
- a `pycon` block has examples that the page-in-reading-order test (doctest) checks;
- a shell or text block is checked by `tests/test_shell_and_text_blocks.py` against the
  files it quotes;
- a `notest` fence has a visible "Not run here, because ..." sentence just above it.

Notebook pages: every code cell of the example must show an execution count in the built page.
The summary line is printed at the end of the test run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jupytext
import pytest

from hooks.snippets import INCLUDE
from tests.page_blocks import PYTHON, Block, page_blocks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHECKED_ELSEWHERE = {
    "bash": "tests/test_shell_and_text_blocks.py",
    "text": "tests/test_shell_and_text_blocks.py",
}
NOT_RUN = re.compile(r"Not run here, because ([^.\n]+)")
HTML_BLOCK = re.compile(r'<div class="language-[\w-]+ highlight"')
PROMPT = re.compile(r'jp-InputPrompt jp-InputArea-prompt">In\xa0?\s*\[(\d+)\]:')


def shown_blocks(page: Path) -> list[tuple[Path, Block]]:
    """The blocks a reader sees on a page, including those of Markdown files it embeds."""
    text = page.read_text(encoding="utf-8")
    blocks = [(page, block) for block in page_blocks(text)]
    for match in INCLUDE.finditer(text):
        embedded = ROOT / match["spec"]
        if embedded.suffix == ".md":
            blocks += [(embedded, block) for block in page_blocks(embedded.read_text("utf-8"))]
    return blocks


def page_url(source: Path) -> str:
    """The URL path, relative to the site root, of a page (docs/*.md) or an example."""
    if source.suffix == ".py":
        return f"examples/{source.stem}/"
    path = source.relative_to(DOCS).with_suffix("").as_posix()
    return "" if path == "index" else f"{path}/"


def built_page(site: Path, source: Path) -> Path:
    return site / page_url(source) / "index.html"


@pytest.fixture(scope="module")
def collected() -> set[str]:
    """The test items pytest collects from docs/, as node ids."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "docs"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return {line for line in result.stdout.splitlines() if "::" in line}


def _verdict(source: Path, block: Block, collected: set[str]) -> str:
    """How the suite exercises a block: 'executed', 'checked' or 'not run: <reason>'.

    Raises AssertionError naming the block when nothing exercises it.
    """
    where = f"{source.relative_to(ROOT)}:{block.line}"
    node = f"{source.relative_to(ROOT)}::"
    in_order = f"{node}page-in-reading-order" in collected
    if block.lang in PYTHON:
        if "notest" in block.options:
            above = "\n".join(source.read_text("utf-8").split("\n")[max(0, block.line - 8) :])
            reason = NOT_RUN.search(above[: above.find(block.source)])
            assert reason, f"{where}: notest fence without a 'Not run here, because ...' note"
            return f"not run: {reason[1]}"
        fence = any(n.startswith(node) and n.endswith(f"[line:{block.line}]") for n in collected)
        assert fence, f"{where}: python fence not collected by pytest-markdown-docs"
        assert in_order, f"{where}: page not collected by the page-in-reading-order test"
        return "executed"
    if block.lang == "pycon":
        assert ">>> " in block.code, f"{where}: pycon block without a >>> example"
        assert in_order, f"{where}: page not collected by the page-in-reading-order test"
        return "executed"
    checker = CHECKED_ELSEWHERE.get(block.lang)
    assert checker, f"{where}: a '{block.lang}' block that no test exercises"
    return "checked"


def test_every_block_on_every_page_is_exercised(site, collected, record_property):
    verdicts: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    for page in sorted(DOCS.rglob("*.md")):
        blocks = shown_blocks(page)
        html = built_page(site.path, page).read_text(encoding="utf-8")
        assert len(HTML_BLOCK.findall(html)) == len(blocks), (
            f"{page.relative_to(ROOT)}: the built page shows {len(HTML_BLOCK.findall(html))} "
            f"code blocks, the census parsed {len(blocks)}"
        )
        for source, block in blocks:
            verdicts[_verdict(source, block, collected)] += 1
            langs[block.lang] += 1

    cells = 0
    for program in sorted((ROOT / "examples").glob("*.py")):
        code_cells = [c for c in jupytext.read(program).cells if c.cell_type == "code"]
        html = built_page(site.path, program).read_text(encoding="utf-8")
        counts = [int(n) for n in PROMPT.findall(html)]
        assert counts == list(range(1, len(code_cells) + 1)), (
            f"{program.relative_to(ROOT)}: {len(code_cells)} code cells, "
            f"but the built page shows execution counts {counts}"
        )
        cells += len(code_cells)

    total = sum(verdicts.values())
    not_run = {k: v for k, v in verdicts.items() if k.startswith("not run")}
    summary = (
        f"census: {verdicts['executed'] + verdicts['checked']} of {total} page code blocks "
        f"exercised ({verdicts['executed']} executed, {verdicts['checked']} shell/text checked; "
        f"by language: {dict(sorted(langs.items()))}); {cells} of {cells} notebook cells "
        f"executed; {sum(not_run.values())} not runnable here"
        + "".join(f"\n  {count} x {reason}" for reason, count in not_run.items())
    )
    record_property("census", summary)

"""Census: every code block a reader sees is exercised.

For a page it reads the code blocks of the Markdown source (tabs, admonitions, embedded
files included) and of the built HTML, and compares them one by one, in order, by language
and content: a block the parser misses, or sees twice, fails with the page and line. HTML
comments are not shown to readers, so blocks inside them do not count. Then it checks that
each block is exercised:

- a `python` fence is collected by pytest-markdown-docs and runs in the page's run;
- a `pycon` block has examples that the page's run checks, and no line that doctest would
  leave unchecked (`blocks.pycon_problems`);
- a shell or text block is checked by `tests/test_shell_and_text_blocks.py` against the
  files it quotes;
- a `notest` fence has its own "Not run here, because ..." sentence, visible on the built
  page between it and the block before it.

For an example: every non-empty code cell shows an execution count on its built page.
Each check returns counts; `summary` adds them up into the line the test run prints.
"""

from __future__ import annotations

import html as html_lib
import re
from collections import Counter
from pathlib import Path

import jupytext

from engine.blocks import (
    PYTHON,
    Block,
    normal,
    project_root,
    pycon_problems,
    shown_blocks,
    shown_text,
)
from engine.site import built_page

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
        assert (lang, normal(code)) == (block.lang, shown_text(block, root)), (
            f"{where}: the census parsed a {block.lang} block here, but the built page's block "
            f"#{index + 1} is a {lang} block starting {normal(code)[:60]!r}: the parser does "
            "not read a block the way Material renders it"
        )
    if len(html_blocks) > len(source_blocks):
        lang, code, _ = html_blocks[len(source_blocks)]
        after = f"after line {source_blocks[-1][1].end}" if source_blocks else "anywhere"
        raise AssertionError(
            f"{page.relative_to(root)}: the built page shows a {lang} block the census "
            f"did not parse ({after}): {normal(code)[:60]!r}"
        )
    return [(s, b, html_blocks[i][2]) for i, (s, b) in enumerate(source_blocks)]


def _verdict(
    page: Path, source: Path, block: Block, before: str, collected: set[str], root: Path
) -> str:
    """How the suite exercises a block: 'executed', 'checked' or 'not run: <reason>'.

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
        problems = pycon_problems(block)
        assert not problems, f"{where}: shown output unchecked: {problems}"
        return "executed"
    checker = CHECKED_ELSEWHERE.get(block.lang)
    assert checker, f"{where}: a '{block.lang}' block that no test exercises"
    return "checked"


def page_census(page: Path, site: Path, collected: set[str]) -> dict:
    """Check every block of a page against its built page; return its counts."""
    root = project_root(page)
    assert page.suffix == ".md", f"{page.relative_to(root)}: only .md pages are tested"
    html = built_page(site, page).read_text(encoding="utf-8")
    verdicts: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    for source, block, before in compare_blocks(page, html, root):
        verdicts[_verdict(page, source, block, before, collected, root)] += 1
        langs[block.lang] += 1
    return {"verdicts": dict(verdicts), "langs": dict(langs), "cells": 0}


def example_census(program: Path, site: Path) -> dict:
    """Every non-empty code cell of an example shows its execution count on its page."""
    root = program.resolve().parents[1]
    code_cells = [
        c for c in jupytext.read(program).cells if c.cell_type == "code" and c.source.strip()
    ]
    html = built_page(site, program).read_text(encoding="utf-8")
    counts = [int(n) for n in PROMPT.findall(html)]
    assert counts == list(range(1, len(code_cells) + 1)), (
        f"{program.resolve().relative_to(root)}: {len(code_cells)} code cells, "
        f"but the built page shows execution counts {counts}"
    )
    return {"verdicts": {}, "langs": {}, "cells": len(code_cells)}


def summary(counts: list[dict]) -> str:
    """The census line, from the counts of every page and example checked."""
    verdicts: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    cells = 0
    for count in counts:
        verdicts.update(count["verdicts"])
        langs.update(count["langs"])
        cells += count["cells"]
    total = sum(verdicts.values())
    not_run = {k: v for k, v in verdicts.items() if k.startswith("not run")}
    return (
        f"census: {verdicts['executed'] + verdicts['checked']} of {total} page code blocks "
        f"exercised ({verdicts['executed']} executed, {verdicts['checked']} shell/text checked; "
        f"by language: {dict(sorted(langs.items()))}); 0 shown outputs unchecked; "
        f"{cells} of {cells} notebook cells executed; {sum(not_run.values())} not runnable here"
        + "".join(f"\n  {count} x {reason}" for reason, count in sorted(not_run.items()))
    )

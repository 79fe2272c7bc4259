"""What a reader pastes: every code block's copy text (engine/paste.py; the browser tests
check that the copy button gives exactly this text) works in each Python a reader uses.

- the classic prompt (`code.InteractiveConsole`'s rules) rejects none of its lines, and
  runs the block's own statements, in order;
- IPython, a Jupyter cell and the Python 3.13 prompt take it as one cell;
- a `.py` file compiles.
"""

from __future__ import annotations

import doctest

import pytest

from engine.paste import (
    PROMPT_LANGUAGES,
    PYTHON_LANGUAGES,
    classic_prompt,
    copy_text,
    one_cell,
    page_copies,
    same_statements,
)
from engine.site import DOCS, ROOT

CHAPTERS = sorted(DOCS.glob("*/*.md"))  # the home and contributing pages hold no Python


def source_code(lang: str, code: str) -> str:
    """The statements a block runs: a >>> block's examples, or the block's code."""
    if lang in PROMPT_LANGUAGES:
        return "".join(e.source for e in doctest.DocTestParser().get_examples(code))
    return code


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_copied_block_pastes_into_the_classic_prompt_ipython_and_a_file(page):
    problems = []
    pasted = 0
    for source, block, text in page_copies(page):
        if block.lang not in PROMPT_LANGUAGES | PYTHON_LANGUAGES:
            continue
        pasted += 1
        where = f"{source.relative_to(ROOT)}:{block.line}"
        prompt = classic_prompt(text)
        for line, error in prompt.rejected:
            rejected = text.split("\n")[line - 1] if line <= text.count("\n") + 1 else ""
            problems.append(
                f"{where}: the classic prompt rejects copy line {line}: {error}\n    {rejected}"
            )
        shown = text if block.include else source_code(block.lang, block.code)
        if not prompt.rejected and not same_statements(prompt.ran, source_code("python", shown)):
            problems.append(f"{where}: pasted, the copy runs other statements than the block")
        if why := one_cell(text):
            problems.append(f"{where}: IPython rejects the copy as one cell: {why}")
        try:
            compile(text, "copied.py", "exec")
        except SyntaxError as error:
            problems.append(f"{where}: the copy is not a valid .py file: {error}")
    assert pasted, f"{page}: a chapter without a Python block"
    assert not problems, "\n".join(problems)


# ---- the rules themselves, on blocks no page has -----------------------------------------

LOOP_THEN_STATEMENT = """\
>>> for i in range(2):
...     print(i)
0
1
>>> with open(__file__) as f: pass
>>> 'done'
'done'
"""

CLASS_WITH_BLANK_LINES = '''\
class Counter:
    """A docstring

    with a blank line, which stays."""

    def __init__(self) -> None:
        self.n = 0

    def add(self) -> int:
        self.n += 1
        return self.n
counter = Counter()
'''


def test_a_prompt_copy_gets_a_blank_line_after_each_compound_statement():
    naive = "".join(e.source for e in doctest.DocTestParser().get_examples(LOOP_THEN_STATEMENT))
    assert [line for line, _ in classic_prompt(naive).rejected] == [3]
    copy = copy_text("pycon", LOOP_THEN_STATEMENT)
    assert copy == "for i in range(2):\n    print(i)\n\nwith open(__file__) as f: pass\n\n'done'"
    prompt = classic_prompt(copy)
    assert prompt.rejected == []
    assert same_statements(prompt.ran, naive)


def test_a_python_copy_drops_blank_lines_inside_bodies_but_not_inside_strings():
    rejected = classic_prompt(CLASS_WITH_BLANK_LINES).rejected
    assert {line for line, _ in rejected} == {6, 7, 9, 10, 11}  # both methods, line by line
    copy = copy_text("python", CLASS_WITH_BLANK_LINES)
    assert '"""A docstring\n\n    with a blank line' in copy
    assert "self.n = 0\n    def add" in copy
    assert copy.endswith("return self.n\n\ncounter = Counter()")
    prompt = classic_prompt(copy)
    assert prompt.rejected == []
    assert same_statements(prompt.ran, CLASS_WITH_BLANK_LINES)


def test_a_copy_leaves_out_annotation_markers_and_ipython_rejects_broken_code():
    assert copy_text("python", "x = 1  # (1)!\ny = 2") == "x = 1\ny = 2"
    assert one_cell("x = 1\ny = 2") is None
    assert one_cell("def f(:\n    pass") is not None

"""What a code block's copy button gives, and what a reader's Python does with it.

A reader pastes a block into one of three Pythons, and the copy must work in each:

- the classic `python` prompt (Python 3.11 and 3.12; `code.InteractiveConsole` keeps its
  rules) reads line by line: a blank line ends a compound statement, so a blank line inside
  a class or function ends it early, and a statement that follows a compound one without a
  blank line between is a syntax error;
- IPython, a Jupyter cell and the Python 3.13 prompt take the paste as one cell: every line
  must run, so a block that raises on purpose raises in its last statement (a page check,
  engine/blocks.py);
- a `.py` file: the copy must be a valid module.

`copy_text` makes the copy from what a block shows: a `>>>` block gives its code without
prompts or output, with a blank line after each compound statement; a `python` block gives
its code with blank lines inside indented bodies left out (outside strings) and a blank line
after each compound statement. The build puts it on the block (`data-copy`, which Material's
copy button copies), and the tests paste it (`classic_prompt`, `one_cell`).
"""

from __future__ import annotations

import ast
import code
import doctest
import io
import re
import tokenize
from pathlib import Path

from engine.blocks import Block, project_root, shown_blocks, shown_text

PROMPT_LANGUAGES = frozenset({"pycon"})
PYTHON_LANGUAGES = frozenset({"python", "py", "python3"})
COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.Match,
)
# A code annotation marker (`# (1)!`): Material shows it as a marker, never as code.
ANNOTATION = re.compile(r"[ \t]*# \(\d+\)!")


def _string_lines(source: str) -> set[int]:
    """Lines (1-based) that begin inside a string: their blank lines belong to the string."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING or token.type == getattr(
                tokenize, "FSTRING_MIDDLE", -1
            ):
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return inside


def pasteable(source: str) -> str:
    """Python code that the classic prompt runs as a module would: blank lines inside
    indented bodies dropped, a blank line after each compound statement. Code that does
    not parse is left as it is (the page's run reports it)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    strings = _string_lines(source)
    inside: set[int] = set()
    ends: set[int] = set()
    for statement in tree.body:
        if isinstance(statement, COMPOUND):
            inside.update(range(statement.lineno + 1, statement.end_lineno + 1))
            ends.add(statement.end_lineno)
    lines = source.split("\n")
    out: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip() and number in inside and number not in strings:
            continue
        out.append(line)
        following = lines[number] if number < len(lines) else ""
        if number in ends and following.strip():
            out.append("")
    return "\n".join(out).rstrip("\n")


def copy_text(lang: str, shown: str) -> str:
    """What the copy button of a block in `lang` that shows `shown` copies."""
    if lang in PROMPT_LANGUAGES:
        return pasteable("".join(e.source for e in doctest.DocTestParser().get_examples(shown)))
    if lang in PYTHON_LANGUAGES:
        return pasteable(ANNOTATION.sub("", shown))
    return shown.rstrip("\n")


# ---- pasting -----------------------------------------------------------------------------


class ClassicPrompt(code.InteractiveConsole):
    """The classic prompt's reading rules, compiling what a paste would run without running
    it: `rejected` holds (line, error) for each line it refuses, `ran` the statements it
    would run, in order."""

    def __init__(self) -> None:
        super().__init__(filename="<stdin>")
        self.line = 0
        self.rejected: list[tuple[int, str]] = []
        self.ran: list[str] = []

    def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
        try:
            compiled = self.compile(source, filename, symbol)
        except (OverflowError, SyntaxError, ValueError) as error:
            self.rejected.append((self.line, f"{type(error).__name__}: {error}"))
            return False
        if compiled is None:
            return True  # more input needed: the `...` prompt
        if source.strip():
            self.ran.append(source)
        return False


def classic_prompt(text: str) -> ClassicPrompt:
    """Paste `text` into the classic prompt, then press Enter once more."""
    prompt = ClassicPrompt()
    for prompt.line, line in enumerate([*text.split("\n"), ""], 1):
        prompt.push(line)
    return prompt


def same_statements(pasted: list[str], source: str) -> bool:
    """Whether the statements a paste ran are the source's statements, in order."""
    ran = [s for chunk in pasted for s in ast.parse(chunk).body]
    return ast.dump(ast.Module(ran, [])) == ast.dump(ast.Module(ast.parse(source).body, []))


def one_cell(text: str) -> str | None:
    """Why IPython (a Jupyter cell, the 3.13 prompt) would reject `text` as one cell, or
    None. IPython's own input transformations run first, as in a cell."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        ast.parse(TransformerManager().transform_cell(text))
    except SyntaxError as error:
        return f"line {error.lineno}: {type(error).__name__}: {error.msg}"
    return None


def page_copies(page: Path) -> list[tuple[Path, Block, str]]:
    """What each block of a page copies, in reading order: (the file that holds the block,
    the block, its copy text). Embedded Markdown files' blocks included."""
    root = project_root(page)
    return [
        (
            source,
            block,
            copy_text(block.lang, shown_text(block, root) if block.include else block.code),
        )
        for source, block in shown_blocks(page)
    ]

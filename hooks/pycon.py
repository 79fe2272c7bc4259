"""Polish Python blocks: what readers see and what the copy button gives.

- Every `python` and `pycon` block carries its copy text (`data-copy`, which Material's copy
  button copies in place of the block's text): code that pastes into the classic prompt,
  IPython, a Jupyter cell or a `.py` file (engine/paste.py says how). It stays out of the
  search index (`data-search-exclude`), as notebook code does: the index holds the prose,
  where each term is taught, and stays within its 500 KB budget.
- `<BLANKLINE>` in an output shows as the empty line Python printed. doctest needs the
  marker in the page source (a blank line would end the expected output).
- Every line that is not code (output, tracebacks) becomes one `.go` span that holds its
  newline, so that selecting a block by hand and copying it (CSS hides prompts and output
  then) does not bring tracebacks or a blank line per output line along.
"""

from __future__ import annotations

import html
import re

from engine.paste import PROMPT_LANGUAGES, PYTHON_LANGUAGES, copy_text

BLANKLINE = '<span class="go">&lt;BLANKLINE&gt;</span>'
PYCON_CODE = re.compile(
    r'(<div class="language-pycon highlight"[^>]*><pre[^>]*><span></span><code>)(.*?)(</code>)',
    re.DOTALL,
)
BLOCK = re.compile(
    r'(?P<open><div class="language-(?P<lang>[\w-]+)(?: [\w-]+)*? highlight(?: [\w-]+)*")'
    r"(?P<pre>><pre[^>]*>.*?<code[^>]*>)(?P<code>.*?)</code>",
    re.DOTALL,
)
TAG = re.compile(r"<[^>]*>")
SINGLE_OUTPUT_SPAN = re.compile(r'<span class="go">([^<]*)</span>')


def _with_copy_text(match: re.Match[str]) -> str:
    lang = match["lang"]
    if lang not in PROMPT_LANGUAGES | PYTHON_LANGUAGES:
        return match[0]
    copy = copy_text(lang, html.unescape(TAG.sub("", match["code"])))
    attribute = html.escape(copy, quote=True).replace("\n", "&#10;")
    return (
        f'{match["open"]} data-copy="{attribute}" data-search-exclude'
        f"{match['pre']}{match['code']}</code>"
    )


def _output_line(line: str) -> str:
    if line.startswith('<span class="gp">') or not line:
        return line + "\n"
    if single := SINGLE_OUTPUT_SPAN.fullmatch(line):
        line = single[1]
    return f'<span class="go">{line}\n</span>'


def _mark_output(match: re.Match[str]) -> str:
    lines = match[2].split("\n")
    body = "".join(_output_line(line) for line in lines[:-1]) + lines[-1]
    return match[1] + body + match[3]


def on_page_content(html_text: str, page, config, files) -> str:
    html_text = BLOCK.sub(_with_copy_text, html_text)
    html_text = html_text.replace(BLANKLINE, '<span class="go"></span>')
    return PYCON_CODE.sub(_mark_output, html_text)

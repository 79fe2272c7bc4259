"""Polish pycon blocks: what readers see and what the copy button gives.

- `<BLANKLINE>` in an output shows as the empty line Python printed. doctest needs the
  marker in the page source (a blank line would end the expected output).
- Every line that is not code (output, tracebacks) becomes one `.go` span that holds its
  newline. The copy button copies the code's text while CSS hides prompts (`.gp`) and output
  (`.go`); Pygments leaves each newline outside its span and marks traceback lines with other
  classes, which would put tracebacks and a blank line per output line into the copy.
"""

from __future__ import annotations

import re

BLANKLINE = '<span class="go">&lt;BLANKLINE&gt;</span>'
PYCON_CODE = re.compile(
    r'(<div class="language-pycon highlight"><pre[^>]*><span></span><code>)(.*?)(</code>)',
    re.DOTALL,
)
SINGLE_OUTPUT_SPAN = re.compile(r'<span class="go">([^<]*)</span>')


def _output_line(line: str) -> str:
    if line.startswith('<span class="gp">') or not line:
        return line + "\n"
    if single := SINGLE_OUTPUT_SPAN.fullmatch(line):
        return f'<span class="go">{single[1]}\n</span>'
    return f'<span class="go">{line}\n</span>'


def _mark_output(match: re.Match[str]) -> str:
    lines = match[2].split("\n")
    body = "".join(_output_line(line) for line in lines[:-1]) + lines[-1]
    return match[1] + body + match[3]


def on_page_content(html: str, page, config, files) -> str:
    html = html.replace(BLANKLINE, '<span class="go"></span>')
    return PYCON_CODE.sub(_mark_output, html)

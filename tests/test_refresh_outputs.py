"""`python -m engine refresh PAGE.md` (make outputs) rewrites shown outputs from a real run,
through the same runner as the page tests."""

from __future__ import annotations

from engine.__main__ import main
from engine.pages import refresh

PAGE = """\
# A page

```python
numbers = [3, 1, 2]
```

=== "Sorted"

    ```pycon
    >>> sorted(numbers)
    [1, 2, 3, 4]
    >>> print("a\\n\\nb")
    >>> list(range(100))
    [0, 1, 2, ...]
    >>> numbers[5]
    Traceback (most recent call last):
      ...
    IndexError: an old message
    ```
"""

EXPECTED = """\
# A page

```python
numbers = [3, 1, 2]
```

=== "Sorted"

    ```pycon
    >>> sorted(numbers)
    [1, 2, 3]
    >>> print("a\\n\\nb")
    a
    <BLANKLINE>
    b
    >>> list(range(100))
    [0, 1, 2, ...]
    >>> numbers[5]
    Traceback (most recent call last):
      ...
    IndexError: list index out of range
    ```
"""


def test_refresh_rewrites_stale_outputs_and_keeps_matching_elided_ones(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    assert refresh(page) == 3  # the wrong list, the missing print, the traceback's message
    assert page.read_text(encoding="utf-8") == EXPECTED
    assert refresh(page) == 0  # a second run finds nothing to change


def test_cli_exits_2_on_usage_errors(tmp_path, capsys):
    assert main([]) == 2
    assert main(["--all"]) == 2
    assert main(["refresh", "notes.txt"]) == 2
    assert main(["refresh", str(tmp_path / "missing.md")]) == 2
    assert main(["check"]) == 2
    assert main(["check", "--report"]) == 2
    assert main(["examples", "notes.md"]) == 2
    assert "usage: python -m engine check [--another-cpu]" in capsys.readouterr().err


def test_cli_reports_what_it_rewrote(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["refresh", str(page)]) == 0
    assert capsys.readouterr().out == f"{page}: 3 output(s) rewritten\n"


def test_refresh_keeps_tab_indented_blocks_in_place_and_writes_whole_exceptions(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "!!! note\n\t```pycon\n\t>>> print('x'); raise ValueError('two\\nlines')\n"
        "\tTraceback (most recent call last):\n\t  ...\n\tValueError: one line\n\t```\n\nAfter.\n",
        encoding="utf-8",
    )
    assert refresh(page) == 1
    assert page.read_text(encoding="utf-8") == (
        "!!! note\n\t```pycon\n\t>>> print('x'); raise ValueError('two\\nlines')\n"
        "\tTraceback (most recent call last):\n\t  ...\n\tValueError: two\n\tlines\n\t```\n\n"
        "After.\n"
    )
    assert refresh(page) == 0  # what it wrote is what the check expects

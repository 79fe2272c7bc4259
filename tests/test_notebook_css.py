"""hooks/notebook_css.py's `used_css`: the notebook stylesheet keeps the rules its pages use."""

from __future__ import annotations

from hooks.notebook_css import used_css

PAGE = """<html><body data-md-color-scheme="default"><div class="jupyter-wrapper">
<div class="jp-Cell jp-CodeCell" id="cell-1"><pre>x</pre></div></div></body></html>"""
CSS = """@charset "UTF-8";
:root { --used: red; --via: var(--used); --unused: blue; }
.jupyter-wrapper .jp-Cell { color: var(--via); }
.jp-Widget, .jp-Cell:hover::before { outline: 0; }
.jp-Widget .jp-Cell { color: green; }
[data-md-color-scheme=slate] .jupyter-wrapper { background: black; }
.jp-Cell:not(.jp-mod-active) { border: 0; }
#cell-1 > pre { margin: 0; }
#cell-2 { margin: 1px; }
table.jp-Cell { margin: 2px; }
.md-typeset__scrollwrap { margin: 0; }
@media print { .jp-Cell { display: none; } .jp-Toolbar { display: none; } }
@media screen { .jp-Toolbar { display: flex; } }
@keyframes spin { from { opacity: 0; } }
@keyframes blink { from { opacity: 0; } }
.jp-Cell pre { animation: spin 1s; }
"""


def test_keeps_the_rules_the_pages_use_and_what_those_rules_need():
    css = used_css(CSS, [PAGE], scripts=['e.classList.add("md-typeset__scrollwrap")'])
    assert ":root{--used:red;--via:var(--used)}" in css  # read through --via
    assert ".jupyter-wrapper .jp-Cell{color:var(--via)}" in css
    assert ".jp-Cell:hover::before{outline:0}" in css  # states and pseudo-elements count
    assert "[data-md-color-scheme=slate] .jupyter-wrapper{background:black}" in css  # palettes
    assert ".jp-Cell:not(.jp-mod-active){border:0}" in css  # what :not() names need not exist
    assert "#cell-1 > pre{margin:0}" in css
    assert ".md-typeset__scrollwrap{margin:0}" in css  # added by Material's JavaScript
    assert "@media print{.jp-Cell{display:none}}" in css
    assert "@keyframes spin" in css


def test_drops_what_no_page_uses():
    css = used_css(CSS, [PAGE])
    for gone in ("--unused", ".jp-Widget", "#cell-2", "table.jp-Cell", "jp-Toolbar", "blink"):
        assert gone not in css, gone
    assert "@media screen" not in css  # empty once its rules are gone
    assert "@charset" not in css
    assert ".md-typeset__scrollwrap" not in css  # no script adds it here

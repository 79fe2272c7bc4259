"""One shared, pruned stylesheet for the notebook pages.

mkdocs-jupyter inlines about 590 KB of JupyterLab CSS into every notebook page. This hook
moves it into one file, `assets/stylesheets/notebook.css`, linked from those pages by
overrides/main.html, and keeps in it only the rules the built notebook pages use
(`used_css`: about a tenth of it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import tinycss2
from mkdocs.exceptions import PluginError

NOTEBOOK_CSS = "assets/stylesheets/notebook.css"
STYLE = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.DOTALL)
MATERIAL_CLASS = re.compile(r"\b(md-[a-z][-_a-z0-9]*)")

_css: dict[str, str] = {}
_css_pages: list[str] = []  # the built notebook pages, whose HTML says which rules they use


def on_config(config):
    _css.clear()
    _css_pages.clear()
    return config


def on_page_content(html: str, page, config, files) -> str:
    if not getattr(page, "nb_url", None):  # mkdocs-jupyter marks the pages it renders
        return html
    css = "\n".join(STYLE.findall(html))
    if not css:
        raise PluginError(f"{page.file.src_uri}: expected mkdocs-jupyter's inline CSS, found none")
    seen = _css.setdefault("css", css)
    if seen != css:
        raise PluginError(
            f"{page.file.src_uri}: its notebook CSS differs from other notebook pages"
        )
    _css_pages.append(page.file.abs_dest_path)
    return STYLE.sub("", html)


class _Names(HTMLParser):
    """The tag, class, id and attribute names a page's HTML uses."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = {"html", "body", "root"}

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        for name, value in attrs:
            self.names.add(f"[{name}]")
            if name == "class" and value:
                self.names.update(f".{c}" for c in value.split())
            elif name == "id" and value:
                self.names.add(f"#{value}")


def _required(selector: list) -> set[str]:
    """The names an element (or one above it) must carry for a selector to match it.

    Like PurgeCSS: what is inside :not(), :is() and the like is not required, nor is a
    pseudo-class or pseudo-element (:hover, ::before), so a selector is kept when in doubt.
    """
    names, previous = set(), None
    for token in selector:
        if token.type == "ident" and previous is not None and previous.type == "literal":
            if previous.value == ".":
                names.add(f".{token.value}")
        elif token.type == "ident" and (
            previous is None
            or previous.type in ("whitespace",)
            or previous.value in (">", "+", "~")
        ):
            names.add(token.value.lower())
        elif token.type == "hash":
            names.add(f"#{token.value}")
        elif token.type == "[] block":
            attribute = next((t for t in token.content if t.type == "ident"), None)
            if attribute is not None:
                names.add(f"[{attribute.value.lower()}]")
        previous = token
    return names


def _selectors(prelude: list) -> list[list]:
    selectors: list[list] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return selectors


def _var_names(tokens: Iterable) -> set[str]:
    """Custom properties a value reads with var(--name), however deeply nested."""
    found = set()
    for token in tokens:
        if token.type == "function":
            if token.lower_name == "var":
                first = next((t for t in token.arguments if t.type == "ident"), None)
                if first is not None:
                    found.add(first.value)
            found |= _var_names(token.arguments)
        elif token.type in ("() block", "[] block", "{} block"):
            found |= _var_names(token.content)
    return found


def _idents(tokens: Iterable) -> set[str]:
    return {t.value for t in tokens if t.type == "ident"}


def used_css(css: str, pages: Iterable[str], scripts: Iterable[str] = ()) -> str:
    """The rules of `css` that can apply to the pages' HTML, and what those rules need:
    the custom properties they read (transitively), the @keyframes they name. @media and
    @supports blocks are filtered the same way; @font-face, @import and @page are kept.
    Material's classes (`md-*`) that the `scripts` name count as used: its JavaScript adds
    them at run time (it wraps each table in `md-typeset__scrollwrap`)."""
    names = _Names()
    for html in pages:
        names.feed(html)
    used = names.names
    for script in scripts:
        used |= {f".{name}" for name in MATERIAL_CLASS.findall(script)}

    def keep_rules(rules: list) -> list:
        kept = []
        for rule in rules:
            if rule.type == "qualified-rule":
                selectors = [s for s in _selectors(rule.prelude) if _required(s) <= used]
                if selectors:
                    declarations = tinycss2.parse_blocks_contents(
                        rule.content, skip_comments=True, skip_whitespace=True
                    )
                    kept.append((selectors, declarations))
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports"):
                inner = tinycss2.parse_rule_list(
                    rule.content or [], skip_comments=True, skip_whitespace=True
                )
                if content := keep_rules(inner):
                    kept.append((rule, content))
            elif rule.type == "at-rule" and rule.lower_at_keyword != "charset":
                kept.append((rule, None))
        return kept

    kept = keep_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))

    def declarations(items: list) -> Iterable:
        for first, second in items:
            if isinstance(first, list):
                yield from (d for d in second if d.type == "declaration")
            elif second is not None:
                yield from declarations(second)

    defined: dict[str, set[str]] = {}
    wanted: set[str] = set()
    animations: set[str] = set()
    for declaration in declarations(kept):
        names_read = _var_names(declaration.value)
        if declaration.name.startswith("--"):
            defined.setdefault(declaration.name, set()).update(names_read)
        else:
            wanted |= names_read
            if "animation" in declaration.lower_name:
                animations |= _idents(declaration.value)
    todo = list(wanted)
    while todo:
        for name in defined.get(todo.pop(), ()):
            if name not in wanted:
                wanted.add(name)
                todo.append(name)

    def write(items: list) -> str:
        out = []
        for first, second in items:
            if isinstance(first, list):
                body = ";".join(
                    f"{d.name}:{tinycss2.serialize(d.value).strip()}"
                    + ("!important" if d.important else "")
                    for d in second
                    if d.type == "declaration" and (not d.name.startswith("--") or d.name in wanted)
                )
                if body:
                    selectors = ",".join(tinycss2.serialize(s).strip() for s in first)
                    out.append(f"{selectors}{{{body}}}")
            elif second is not None:
                if inner := write(second):
                    at = f"@{first.at_keyword} {tinycss2.serialize(first.prelude).strip()}"
                    out.append(f"{at}{{{inner}}}")
            elif "keyframes" not in first.lower_at_keyword or (_idents(first.prelude) & animations):
                out.append(tinycss2.serialize([first]))
        return "\n".join(out)

    return write(kept) + "\n"


def on_post_build(config) -> None:
    if "css" in _css:
        pages = [Path(path).read_text(encoding="utf-8") for path in _css_pages]
        scripts = Path(config.site_dir, "assets", "javascripts").glob("*.js")
        scripts = [script.read_text(encoding="utf-8") for script in scripts]
        target = Path(config.site_dir) / NOTEBOOK_CSS
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(used_css(_css["css"], pages, scripts), encoding="utf-8")

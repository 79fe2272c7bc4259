"""The built site: strict build, page weight, nothing from third-party hosts, working links."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from engine.notebooks import programs
from engine.site import ROOT, built_page

MAX_PAGE_BYTES = 300_000
MAX_SEARCH_INDEX_BYTES = 500_000
# Attributes that make the browser fetch something (as opposed to a link a reader may follow).
FETCHING = {
    ("script", "src"),
    ("img", "src"),
    ("link", "href"),
    ("source", "src"),
    ("iframe", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
}


class Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if value is None:
                continue
            if (tag, name) in FETCHING:
                self.fetched.append(value)
            elif tag == "a" and name == "href":
                self.links.append(value)


@functools.cache
def refs(page: Path) -> Refs:
    """What a built page fetches, links to and names (parsed once: pages link to each other)."""
    parser = Refs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_strict_build_succeeds_without_warnings(site):
    assert not re.search(r"^(WARNING|ERROR)\s+-", site.log, re.MULTILINE), site.log
    assert (site.path / "index.html").is_file()


def test_every_page_is_at_most_300_kb_of_html(site):
    sizes = {p.relative_to(site.path).as_posix(): p.stat().st_size for p in site.html_pages()}
    too_big = {page: size for page, size in sizes.items() if size > MAX_PAGE_BYTES}
    assert not too_big, f"pages over {MAX_PAGE_BYTES} bytes: {too_big}"


def test_search_index_is_at_most_500_kb(site):
    size = (site.path / "search" / "search_index.json").stat().st_size
    assert size <= MAX_SEARCH_INDEX_BYTES, f"search index is {size} bytes"


def test_pages_fetch_nothing_from_other_hosts(site):
    for page in site.html_pages():
        remote = [url for url in refs(page).fetched if urlsplit(url).netloc or url.startswith("//")]
        assert not remote, f"{page.relative_to(site.path)} fetches {remote}"
    for asset in [*site.path.rglob("*.css"), *site.path.rglob("*.html")]:
        text = asset.read_text(encoding="utf-8")
        found = re.findall(r"""(?:@import|url\(|import\()\s*["']?(https?:)?//[^"')\s]+""", text)
        assert not found, f"{asset.relative_to(site.path)} loads from another host: {found}"


def test_internal_links_and_anchors_resolve(site):
    for page in site.html_pages():
        if page.name == "404.html":  # served at any depth, so its links are root-absolute
            continue
        for href in refs(page).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site.path)} links to {href}"
            assert target.is_file(), f"{where}: no such file"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in refs(target).ids, f"{where}: no such anchor"


def test_pycon_prompts_and_output_are_hidden_while_copying(site):
    css = (site.path / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    assert re.search(r"code\[data-md-copying\] \.gp,\s*\n.*code\[data-md-copying\] \.go", css)
    tensors = (site.path / "pytorch" / "tensors" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../stylesheets/extra.css"' in tensors
    assert '<span class="gp">&gt;&gt;&gt; </span>' in tensors
    assert "&lt;BLANKLINE&gt;" not in tensors


def test_notebook_css_is_shared_not_inlined_and_only_what_the_pages_use(site):
    shared = site.path / "assets" / "stylesheets" / "notebook.css"
    css = shared.read_text(encoding="utf-8")
    # JupyterLab's ~590 KB of styles, cut to the rules the notebook pages use (used_css).
    assert 5_000 < len(css) < 60_000, f"notebook.css is {len(css)} bytes"
    assert ".jupyter-wrapper .jp-OutputArea-output pre{" in css
    assert "[data-md-color-scheme=slate] .jupyter-wrapper" in css  # the dark palette's rules
    for program in programs(ROOT):
        page = built_page(site.path, program)
        html = page.read_text(encoding="utf-8")
        where = page.relative_to(site.path)
        assert "<style" not in html, f"{where} inlines CSS"
        assert 'href="../../assets/stylesheets/notebook.css"' in html, f"{where}: no notebook.css"
    other = (site.path / "pytorch" / "tensors" / "index.html").read_text(encoding="utf-8")
    assert "notebook.css" not in other


def test_external_links_are_well_formed_https_urls(site):
    """Lists every link that leaves the site; checks its form (no network needed)."""
    external = {
        href
        for page in site.html_pages()
        for href in refs(page).links
        if urlsplit(href).scheme or href.startswith("//")
    }
    assert external, "expected at least the theme's credit link"
    for href in sorted(external):
        parts = urlsplit(href)
        assert parts.scheme == "https", f"not https: {href}"
        assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", parts.hostname or ""), f"bad host: {href}"
        assert " " not in href, f"unescaped space: {href}"

"""Check every `--8<-- "file:section"` include before pymdownx.snippets expands it.

pymdownx.snippets with `check_paths: true` fails on a missing file, but for a missing
section it names neither the page nor the file. This hook fails the build with all three,
and lists the sections the file does have (engine/snippets.py reads them, for the build and
the page runner alike).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError

from engine.snippets import BLOCK_INCLUDE, INCLUDE, MARKDOWN_SUFFIXES, read_section


def on_files(files, config):
    """Only .md pages: the tests read .md files, so a page in another Markdown suffix that
    MkDocs also builds (.markdown, .mdown, .mkdn, .mkd) would go untested."""
    for file in files:
        if Path(file.src_uri).suffix in MARKDOWN_SUFFIXES[1:]:
            raise PluginError(f"docs/{file.src_uri}: name the page .md; only .md pages are tested")
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    root = Path(config.config_file_path).parent
    if block := BLOCK_INCLUDE.search(markdown):
        line = markdown.count("\n", 0, block.start()) + 1
        where = Path(page.file.abs_src_path).relative_to(root)
        raise PluginError(
            f'{where}:{line}: use one include line per block, --8<-- "file.py:section"'
        )
    for match in INCLUDE.finditer(markdown):
        line = markdown.count("\n", 0, match.start()) + 1
        try:
            read_section(match["spec"], root)
        except (LookupError, ValueError) as error:
            where = Path(page.file.abs_src_path).relative_to(root)
            raise PluginError(f"{where}:{line}: {error}") from None
    return markdown

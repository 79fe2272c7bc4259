"""The engine that runs the site's code: one parser, one runner, one execution per content key.

    snippets.py   named sections of snippet files, as pages embed them
    blocks.py     the parser: every code block a reader sees, in reading order
    sandbox.py    the one environment pages and examples run in (state, network, time, files)
    pages.py      the page runner (doctest's), for the tests, the other-CPU run and refresh
    notebooks.py  examples: executed once per content key, side by side, then read
    cache.py      content keys and the store of results (.cache/engine/)
    site.py       where pages land in the built site; the build command
    census.py     every block a reader sees is exercised
    plugin.py     the pytest plugin: page items, site and notebook fixtures, summary line
    __main__.py   `python -m engine check | refresh | examples`

The build hooks (hooks/) and the tests (tests/) use it; nothing in it imports them.
"""

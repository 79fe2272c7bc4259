"""Loads the page-block plugin for every path pytest collects (docs/ included)."""

pytest_plugins = ["tests.page_blocks"]

"""Loads the engine's pytest plugin for every path pytest collects (docs/ included)."""

pytest_plugins = ["engine.plugin"]

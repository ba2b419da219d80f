"""Errors the CLI turns into one line on stderr."""

from __future__ import annotations


class SeedUsageError(ValueError):
    """A bad argument (unknown id, value out of range); nothing was written. CLI exit code 2."""


class SeedRuntimeError(RuntimeError):
    """The database is not in a state the command can work with. CLI exit code 1."""

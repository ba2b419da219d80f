"""Argument checks shared by the Python API and the CLI (which maps them to exit code 2)."""

from __future__ import annotations

import datetime as dt
import math
import secrets

from seed_generator.errors import SeedUsageError


def check_count(name: str, value: int) -> None:
    if value < 0:
        raise SeedUsageError(f"--{name} must not be negative (got {value})")


def check_rate(name: str, value: float) -> None:
    """A probability: a CTR, CVR or ratio within 0..1."""
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise SeedUsageError(f"--{name} must be between 0 and 1 (got {value})")


def resolve_seed(seed: int | None) -> int:
    """The seed to use: the given one, or a fresh random one (report it to reproduce a run)."""
    if seed is None:
        return secrets.randbits(32)
    if seed < 0:
        raise SeedUsageError(f"--seed must not be negative (got {seed})")
    return seed


def resolve_today(today: dt.date | None) -> dt.date:
    """The reference date: given, or the current UTC date (the only wall-clock input)."""
    return today if today is not None else dt.datetime.now(dt.UTC).date()

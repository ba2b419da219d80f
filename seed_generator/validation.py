"""Argument checks shared by the Python API and the CLI (which maps them to exit code 2)."""

from __future__ import annotations

import datetime as dt
import math
import secrets

from seed_generator.errors import SeedUsageError

# Flights reach up to --days (and a few months) either side of --today; these bounds keep
# every date the generator computes valid, and "now" at or after the Unix epoch.
MAX_DAYS = 3650
FIRST_TODAY = dt.date(1970, 1, 1)
LAST_TODAY = dt.date(2999, 12, 31)
# Memory stays bounded for any count (events are generated and copied in chunks), but time
# and disk do not: 10^9 events take about 1.5 h at 190k rows/s and ~150 GB in PostgreSQL.
# Entities are built in memory, a few hundred bytes each.
MAX_EVENTS = 1_000_000_000
MAX_ENTITIES = 1_000_000


def check_count(name: str, value: int, maximum: int = MAX_EVENTS) -> None:
    if value < 0:
        raise SeedUsageError(f"--{name} must not be negative (got {value})")
    if value > maximum:
        raise SeedUsageError(
            f"--{name} {value} is above the limit of {maximum:,} per command; "
            "run the command several times for more"
        )


def check_days(value: int) -> None:
    if not 1 <= value <= MAX_DAYS:
        raise SeedUsageError(f"--days must be between 1 and {MAX_DAYS} (got {value})")


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
    """The reference date: given (within FIRST_TODAY..LAST_TODAY), or the current UTC date."""
    if today is None:
        return dt.datetime.now(dt.UTC).date()
    if not FIRST_TODAY <= today <= LAST_TODAY:
        raise SeedUsageError(
            f"--today must be between {FIRST_TODAY} and {LAST_TODAY} (got {today})"
        )
    return today

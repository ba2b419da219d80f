"""When impressions happen: flights, weekly and daily rhythm, in time-ordered chunks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from seed_generator import catalog

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
_EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    return (day - _EPOCH).days


def midnight_us(day: dt.date) -> int:
    """Microseconds since the Unix epoch at 00:00 UTC of ``day``."""
    return day_number(day) * DAY_US


def day_weights(
    rng: np.random.Generator,
    volume: np.ndarray,
    weekly: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
    day0: int,
    ndays: int,
    noise: float = 0.15,
) -> np.ndarray:
    """Expected share of impressions per (delivery line, day), days counted from ``day0``.

    Zero outside each line's delivery window; elsewhere the line's daily volume shaped by its
    channel's weekly pattern, with some day-to-day noise so no two days look alike.
    """
    days = day0 + np.arange(ndays)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    inside = (days[None, :] >= first_day[:, None]) & (days[None, :] <= last_day[:, None])
    weights = volume[:, None] * weekly[:, weekday] * inside
    return weights * rng.lognormal(0.0, noise, size=weights.shape)


def served_times(
    rng: np.random.Generator,
    weights: np.ndarray,
    day0: int,
    total: int,
    chunk_rows: int,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (line index, served_at in µs) for ``total`` impressions, time-ordered, in chunks.

    The counts per day, hour and line follow ``weights`` (a multinomial draw, split day by
    day and hour by hour, and an hour busier than a chunk into equal slices), so memory holds
    about two chunks whatever ``total`` is, and ids assigned in yield order grow with
    served_at. Every chunk has ``chunk_rows`` rows but the last.
    """
    if total == 0:
        return
    per_day = weights.sum(axis=0)
    if per_day.sum() <= 0:
        raise ValueError("no delivery line has a day to serve impressions on")
    day_counts = rng.multinomial(total, per_day / per_day.sum())
    diurnal = np.asarray(catalog.DIURNAL) / sum(catalog.DIURNAL)
    pending_lines: list[np.ndarray] = []
    pending_times: list[np.ndarray] = []
    pending = 0
    for offset in np.flatnonzero(day_counts):
        p_line = weights[:, offset] / per_day[offset]
        start = int(day0 + offset) * DAY_US
        hour_counts = rng.multinomial(day_counts[offset], diurnal)
        for hour, slice_start, slice_us, n in _slices(rng, hour_counts, chunk_rows):
            pending_lines.append(rng.choice(len(p_line), size=n, p=p_line))
            pending_times.append(
                start
                + int(hour) * HOUR_US
                + slice_start
                + np.sort(rng.integers(0, slice_us, size=n))
            )
            pending += n
            if pending >= chunk_rows:
                lines = np.concatenate(pending_lines)
                times = np.concatenate(pending_times)
                cut = (pending // chunk_rows) * chunk_rows
                for at in range(0, cut, chunk_rows):
                    yield lines[at : at + chunk_rows], times[at : at + chunk_rows]
                pending_lines, pending_times = [lines[cut:]], [times[cut:]]
                pending -= cut
    if pending:
        yield np.concatenate(pending_lines), np.concatenate(pending_times)


def _slices(
    rng: np.random.Generator, hour_counts: np.ndarray, chunk_rows: int
) -> Iterator[tuple[int, int, int, int]]:
    """(hour, slice start µs, slice length µs, impressions) covering each busy hour.

    An hour with at most ``chunk_rows`` impressions is one slice (the draws are the same as
    without slicing); a busier one is cut into equal slices, its impressions spread over them
    by a multinomial draw, so no array grows with the hour's count.
    """
    for hour in np.flatnonzero(hour_counts):
        n = int(hour_counts[hour])
        if n <= chunk_rows:
            yield int(hour), 0, HOUR_US, n
            continue
        slices = -(-n // chunk_rows)
        width = HOUR_US // slices
        for i, count in enumerate(rng.multinomial(n, np.full(slices, 1 / slices))):
            if count:
                last = i == slices - 1
                yield int(hour), i * width, HOUR_US - i * width if last else width, int(count)


def uniform_times(
    rng: np.random.Generator, weights: np.ndarray, start_us: int, end_us: int, total: int
) -> tuple[np.ndarray, np.ndarray]:
    """(line index, served_at) for ``total`` impressions spread evenly over [start, end)."""
    lines = rng.choice(len(weights), size=total, p=weights / weights.sum())
    times = np.sort(rng.integers(start_us, max(end_us, start_us + 1), size=total))
    return lines, times

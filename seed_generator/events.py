"""The event model: impressions, clicks and conversions for a set of delivery lines.

A delivery line is one (campaign, channel) pair. Everything here is vectorised over numpy
arrays so a chunk of a hundred thousand impressions costs milliseconds to simulate.
Money is integer: impression and click costs in micros (numeric(12, 6)), revenue in cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg

from seed_generator import catalog, entities, storage
from seed_generator.schedule import DAY_US, HOUR_US

SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
# Conversions attributed to a click must happen within this window.
ATTRIBUTION_WINDOW_US = 30 * DAY_US

_OBJECTIVE_CODES = {o.name: i for i, o in enumerate(catalog.OBJECTIVES)}
# Cumulative conversion-type probabilities per objective, columns in CONVERSION_TYPES order.
_TYPE_CDF = np.cumsum(
    [
        [o.conversion_types.get(t, 0.0) for t in catalog.CONVERSION_TYPES]
        for o in catalog.OBJECTIVES
    ],
    axis=1,
)
# dtype and per-line shape of each Lines field
_LINE_FIELDS: dict[str, tuple[type, tuple[int, ...]]] = {
    "campaign_id": (np.int64, ()),
    "channel_id": (np.int64, ()),
    "cpm": (bool, ()),
    "bid_micros": (np.int64, ()),
    "base_ctr": (float, ()),
    "base_cvr": (float, ()),
    "objective": (np.int64, ()),
    "order_value": (float, ()),
    "audiences": (np.int64, (3,)),
    "volume": (float, ()),
    "weekly": (float, (7,)),
    "campaign_index": (np.int64, ()),
}
_TYPE_VALUE = np.array([catalog.CONVERSION_VALUE[t] for t in catalog.CONVERSION_TYPES])


@dataclass(frozen=True)
class Lines:
    """Per delivery line: who pays what, and how well the line clicks and converts."""

    campaign_id: np.ndarray
    channel_id: np.ndarray
    cpm: np.ndarray  # bool: pays per impression (else per click)
    bid_micros: np.ndarray
    base_ctr: np.ndarray
    base_cvr: np.ndarray
    objective: np.ndarray
    order_value: np.ndarray  # the advertiser's typical purchase value
    audiences: np.ndarray  # (lines, 3) audience ids the campaign targets
    volume: np.ndarray  # relative impressions per day
    weekly: np.ndarray  # (lines, 7)
    campaign_index: np.ndarray  # position of the line's campaign in the input list

    def __len__(self) -> int:
        return len(self.campaign_id)

    @classmethod
    def build(cls, campaigns: Sequence[entities.Campaign], audience_ids: list[int]) -> Lines:
        """One line per live channel of each campaign, in campaign order."""
        columns: dict[str, list[object]] = {name: [] for name in _LINE_FIELDS}
        for position, campaign in enumerate(campaigns):
            objective = catalog.OBJECTIVES_BY_NAME[campaign.objective]
            industry = catalog.INDUSTRIES_BY_NAME.get(campaign.industry, catalog.INDUSTRIES[0])
            ctr_mult, cvr_mult = entities.campaign_multipliers(campaign.id)
            value = industry.order_value * entities.advertiser_value_multiplier(
                campaign.advertiser_id
            )
            # clicks and conversions do not need audiences: 0 stands in when there are none
            audiences = entities.campaign_audiences(campaign.id, audience_ids) or [0]
            for channel_id, channel_name in campaign.channels:
                profile = catalog.CHANNELS_BY_NAME.get(channel_name, catalog.DEFAULT_CHANNEL)
                line = {
                    "campaign_id": campaign.id,
                    "channel_id": channel_id,
                    "cpm": campaign.bid_strategy == "cpm",
                    "bid_micros": campaign.bid_units * 100,
                    "base_ctr": profile.ctr * objective.ctr_factor * ctr_mult,
                    "base_cvr": profile.cvr * objective.cvr_factor * cvr_mult,
                    "objective": _OBJECTIVE_CODES[objective.name],
                    "order_value": value,
                    "audiences": [audiences[i % len(audiences)] for i in range(3)],
                    "volume": campaign.size * profile.volume,
                    "weekly": profile.weekly,
                    "campaign_index": position,
                }
                for name, item in line.items():
                    columns[name].append(item)
        arrays = {
            name: np.array(columns[name], dtype=dtype).reshape((-1, *shape))
            for name, (dtype, shape) in _LINE_FIELDS.items()
        }
        return cls(**arrays)

    def expected_cost_micros(self, ctr: np.ndarray) -> np.ndarray:
        """Average spend per impression: the CPM clearing price or a share of a CPC."""
        per_impression = self.bid_micros / 1000 * 0.925
        per_click = self.bid_micros * 0.9 * ctr
        return np.where(self.cpm, per_impression, per_click)


# Believable per-line rates; calibration keeps lines inside them when the target allows.
CTR_RANGE = (0.005, 0.08)
CVR_RANGE = (0.005, 0.30)


def calibrate(
    base: np.ndarray, weights: np.ndarray, target: float, bounds: tuple[float, float] = (0, 1)
) -> np.ndarray:
    """Scale per-line rates so their ``weights``-weighted mean is ``target``.

    Keeps the channel and campaign differences (ratios) while hitting the requested
    average. Rates are clipped to ``bounds`` (a believable range) when the target lies
    inside it, else to 0..1; the scale is found by bisection because clipping makes the
    mean non-linear in it.
    """
    total = float(weights.sum())
    if target <= 0 or len(base) == 0:
        return np.zeros_like(base)
    if total <= 0:
        return np.full_like(base, target)
    low, high = bounds if bounds[0] <= target <= bounds[1] else (0.0, 1.0)

    def mean(scale: float) -> float:
        return float((np.clip(base * scale, low, high) * weights).sum()) / total

    below, above = 0.0, 1.0
    while mean(above) < target and above < 1e12:
        above *= 2
    for _ in range(60):
        middle = (below + above) / 2
        below, above = (middle, above) if mean(middle) < target else (below, middle)
    return np.clip(base * above, low, high)


class UserPool:
    """Pseudonymous viewers with a heavy-tailed appetite for ads.

    A viewer's rank r = floor(size * u**3) makes low ranks very frequent (the top 1% of
    viewers see about a fifth of all impressions), so reach is well below impressions.
    Ranks are scrambled into 40-bit ids by an odd multiplier, a bijection modulo 2**40.
    """

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
    _MASK = np.uint64((1 << 40) - 1)

    def __init__(self, size: int) -> None:
        self.size = max(int(size), 100)

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(user ids, ranks) for ``n`` impressions."""
        ranks = (self.size * rng.random(n) ** 3).astype(np.int64)
        ids = (ranks.astype(np.uint64) * self._MULTIPLIER) & self._MASK
        return ids.astype(np.int64) + 1, ranks

    @classmethod
    def for_volume(cls, impressions: int) -> UserPool:
        return cls(max(1_000, impressions // 3))


@dataclass(frozen=True)
class Funnel:
    """Calibrated click and conversion probabilities per line."""

    lines: Lines
    ctr: np.ndarray
    cvr: np.ndarray
    users: UserPool

    @classmethod
    def calibrated(
        cls, lines: Lines, weights: np.ndarray, ctr: float, cvr: float, users: UserPool
    ) -> Funnel:
        """``weights``: expected impressions per line (the mix the averages refer to)."""
        line_ctr = calibrate(lines.base_ctr, weights, ctr, CTR_RANGE)
        line_cvr = calibrate(lines.base_cvr, weights * np.maximum(line_ctr, 1e-12), cvr, CVR_RANGE)
        return cls(lines, line_ctr, line_cvr, users)


@dataclass
class Events:
    """One block of events; clicks and conversions point into the arrays before them."""

    line: np.ndarray
    served_at: np.ndarray
    user_id: np.ndarray
    audience_id: np.ndarray
    impression_cost: np.ndarray
    click_of: np.ndarray  # index into the impressions, ordered by clicked_at
    clicked_at: np.ndarray
    click_cost: np.ndarray
    conversion_of: np.ndarray  # index into the clicks, ordered by converted_at
    converted_at: np.ndarray
    conversion_type: np.ndarray  # codes into catalog.CONVERSION_TYPES
    revenue: np.ndarray


def after(
    rng: np.random.Generator, start: np.ndarray, delay: np.ndarray, horizon_us: int
) -> np.ndarray:
    """``start + delay``, but never past ``horizon_us`` (the present of the simulation).

    Events whose natural delay would land in the future are squeezed into the time left,
    which keeps the requested rates instead of silently losing recent conversions.
    """
    room = np.maximum(horizon_us - start, 0)
    late = delay > room
    squeezed = (room * rng.random(len(start))).astype(np.int64)
    return start + np.where(late, squeezed, delay)


def click_delays(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds to a couple of minutes after the ad was shown; rarely longer."""
    seconds = rng.lognormal(np.log(6.0), 1.1, size=n)
    return (np.clip(seconds, 1.0, 7_200.0) * SECOND_US).astype(np.int64)


def conversion_delays(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mostly within the hour or day of the click, with a tail up to the 30-day window."""
    quick = rng.lognormal(np.log(20 * MINUTE_US), 1.3, size=n)
    quick = np.clip(quick, 30 * SECOND_US, 48 * HOUR_US)
    slow = HOUR_US + rng.exponential(4 * DAY_US, size=n)
    delays = np.where(rng.random(n) < 0.75, quick, slow)
    return np.minimum(delays, ATTRIBUTION_WINDOW_US).astype(np.int64)


def impression_costs(rng: np.random.Generator, lines: Lines, line: np.ndarray) -> np.ndarray:
    """CPM lines pay a clearing price a little under bid/1000; CPC lines pay nothing here."""
    price = lines.bid_micros[line] / 1000 * rng.uniform(0.85, 1.0, size=len(line))
    return np.where(lines.cpm[line], np.rint(price), 0).astype(np.int64)


def click_costs(rng: np.random.Generator, lines: Lines, line: np.ndarray) -> np.ndarray:
    """CPC lines pay about their bid per click (second-price discount); CPM lines nothing."""
    price = lines.bid_micros[line] * rng.uniform(0.8, 1.0, size=len(line))
    return np.where(lines.cpm[line], 0, np.rint(price)).astype(np.int64)


def conversion_values(
    rng: np.random.Generator, lines: Lines, line: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(type codes, revenue in cents): type by objective, value by advertiser and type."""
    cdf = _TYPE_CDF[lines.objective[line]]
    types = (rng.random(len(line))[:, None] > cdf).sum(axis=1)
    types = np.minimum(types, len(catalog.CONVERSION_TYPES) - 1)
    value = lines.order_value[line] * _TYPE_VALUE[types] * rng.lognormal(0, 0.5, len(line))
    return types, np.rint(value * 100).astype(np.int64)


def simulate(
    rng: np.random.Generator,
    funnel: Funnel,
    line: np.ndarray,
    served_at: np.ndarray,
    horizon_us: int,
    *,
    clicks: bool = True,
) -> Events:
    """Impressions for (line, served_at), then their clicks and conversions, if asked."""
    lines = funnel.lines
    n = len(line)
    user_id, rank = funnel.users.draw(rng, n)
    # a viewer falls in one of the campaign's target audiences, the same one every time
    audience_id = lines.audiences[line, rank % lines.audiences.shape[1]]
    impression_cost = impression_costs(rng, lines, line)

    clicked = np.flatnonzero(rng.random(n) < funnel.ctr[line]) if clicks else np.zeros(0, int)
    clicked_at = after(rng, served_at[clicked], click_delays(rng, len(clicked)), horizon_us)
    order = np.argsort(clicked_at, kind="stable")
    clicked, clicked_at = clicked[order], clicked_at[order]
    click_line = line[clicked]
    click_cost = click_costs(rng, lines, click_line)

    converted = np.flatnonzero(rng.random(len(clicked)) < funnel.cvr[click_line])
    converted_at = after(
        rng, clicked_at[converted], conversion_delays(rng, len(converted)), horizon_us
    )
    order = np.argsort(converted_at, kind="stable")
    converted, converted_at = converted[order], converted_at[order]
    types, revenue = conversion_values(rng, lines, click_line[converted])
    return Events(
        line=line,
        served_at=served_at,
        user_id=user_id,
        audience_id=audience_id,
        impression_cost=impression_cost,
        click_of=clicked,
        clicked_at=clicked_at,
        click_cost=click_cost,
        conversion_of=converted,
        converted_at=converted_at,
        conversion_type=types,
        revenue=revenue,
    )


def encode_impressions(lines: Lines, events: Events, first_id: int) -> bytes:
    return storage.encode_impressions(
        first_id + np.arange(len(events.line)),
        lines.campaign_id[events.line],
        lines.channel_id[events.line],
        events.audience_id,
        events.user_id,
        events.served_at,
        events.impression_cost,
    )


def write_followups(
    conn: psycopg.Connection, events: Events, impression_ids: np.ndarray
) -> dict[str, int]:
    """COPY the clicks and conversions of a block whose impressions are already stored."""
    n_clicks = len(events.click_of)
    click_ids = storage.reserve_ids(conn, "clicks", n_clicks) + np.arange(n_clicks)
    storage.copy_clicks(
        conn,
        click_ids,
        impression_ids[events.click_of],
        events.served_at[events.click_of],
        events.clicked_at,
        events.click_cost,
    )
    n_conversions = len(events.conversion_of)
    storage.copy_conversions(
        conn,
        storage.reserve_ids(conn, "conversions", n_conversions) + np.arange(n_conversions),
        click_ids[events.conversion_of],
        events.clicked_at[events.conversion_of],
        events.converted_at,
        events.conversion_type,
        events.revenue,
    )
    return {"clicks": n_clicks, "conversions": n_conversions}


def write(conn: psycopg.Connection, lines: Lines, events: Events) -> dict[str, int]:
    """Store a whole block: reserve ids, COPY impressions, then clicks and conversions."""
    n = len(events.line)
    first = storage.reserve_ids(conn, "impressions", n)
    storage.copy_encoded(
        conn, "impressions", storage.IMPRESSION_COLUMNS, encode_impressions(lines, events, first), n
    )
    return {"impressions": n, **write_followups(conn, events, first + np.arange(n))}

"""The fake platforms' numbers: an ad hierarchy and daily stats, all derived from a seed.

Every (platform, ad, day) draws its stats from its own ``random.Random`` seeded with the
seed, the ids and the day's revision, so a row does not depend on which rows were asked for
before it, and the expected totals of any range are known exactly (:meth:`FakeData.totals`).
Amounts are exact decimals in each platform's precision: cents for Meta and TikTok, micros
for Google, 1/10,000 for LinkedIn (it reports costs with more than two decimals). Google's
fractional conversions are multiples of 1/4, exact in binary floating point.

In baseline mode (``make demo-platforms``) a platform reports around given first-party
numbers per day instead, split over its ads and skewed the way platforms differ from a
first-party count (BIASES), so the reconciliation shows believable differences.

:meth:`FakeData.restate` bumps a day's revision: every stat of that day is drawn again, as
when a platform's attribution window rewrites a past day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

PLATFORMS = ("meta_ads", "google_ads", "tiktok_ads", "linkedin_ads")
SPEND_SCALE = {"meta_ads": 2, "google_ads": 6, "tiktok_ads": 2, "linkedin_ads": 4}
# Meta action types: counted as conversions by the loader's default conversion_action_types
META_PURCHASE = "offsite_conversion.fb_pixel_purchase"
META_LEAD = "onsite_conversion.lead_grouped"
# and one it must not count
META_ADD_TO_CART = "offsite_conversion.fb_pixel_add_to_cart"
# share of ad-days without delivery: the platforms leave those rows out
NO_DELIVERY = 0.08


@dataclass(frozen=True)
class Ad:
    account_id: str
    account_name: str
    campaign_id: str
    campaign_name: str
    ad_group_id: str
    ad_group_name: str
    ad_id: str
    ad_name: str


@dataclass(frozen=True)
class Stats:
    """One ad's day, in the unified report's terms plus the parts the loader must combine."""

    impressions: int
    clicks: int  # unified clicks: Meta's inline link clicks
    all_clicks: int  # Meta's `clicks` (every click), >= clicks
    spend: Decimal
    # conversions in two parts: Meta's purchase + lead actions, LinkedIn's website
    # conversions + one-click leads; the other platforms report one number (in `primary`)
    primary_conversions: Decimal
    secondary_conversions: int
    conversions_value: Decimal
    uncounted_conversions: int  # Meta add-to-cart actions: not conversions
    uncounted_value: Decimal

    @property
    def conversions(self) -> Decimal:
        return self.primary_conversions + self.secondary_conversions


@dataclass(frozen=True)
class Row:
    ad: Ad
    day: dt.date
    stats: Stats


@dataclass(frozen=True)
class Totals:
    rows: int = 0
    impressions: int = 0
    clicks: int = 0
    spend: Decimal = Decimal(0)
    conversions: Decimal = Decimal(0)
    conversions_value: Decimal = Decimal(0)

    def __add__(self, row: Row) -> Totals:
        s = row.stats
        return Totals(
            self.rows + 1,
            self.impressions + s.impressions,
            self.clicks + s.clicks,
            self.spend + s.spend,
            self.conversions + s.conversions,
            self.conversions_value + s.conversions_value,
        )


@dataclass(frozen=True)
class Baseline:
    """A day of first-party numbers on a platform's channel, for a fake to report around."""

    impressions: int
    clicks: int
    spend: Decimal
    conversions: int
    revenue: Decimal


# baseline mode: how each platform's numbers differ from first-party ones (its own click
# filtering, view-through and modelled conversions): multipliers on impressions, clicks,
# spend and conversions (and their value), with +-3 % noise per day
BIASES = {
    "meta_ads": (1.0, 1.04, 1.0, 1.12),
    "google_ads": (1.0, 0.97, 1.0, 1.06),
    "tiktok_ads": (1.02, 1.06, 1.0, 1.25),
    "linkedin_ads": (0.99, 1.0, 1.0, 0.94),
}


def split(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` in whole parts proportional to ``weights`` (largest remainder): sums exactly."""
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: parts[i] - exact[i])
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _cents(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(round(rng.uniform(low, high) * 100)) / 100


@dataclass
class FakeData:
    platform: str
    seed: int
    account_ids: Sequence[str]
    first_day: dt.date
    last_day: dt.date
    empty_days: frozenset[dt.date] = frozenset()
    campaigns: int = 2
    ad_groups: int = 2
    ads: int = 2
    mean_impressions: int = 2000
    # baseline mode: report around these first-party numbers per day (make demo-platforms)
    baseline: Mapping[dt.date, Baseline] | None = None
    revisions: dict[dt.date, int] = field(default_factory=dict)
    _share_cache: dict[tuple[dt.date, int], dict[str, tuple]] = field(
        default_factory=dict, repr=False
    )

    def ads_of(self, account_id: str) -> list[Ad]:
        ads = []
        for c in range(1, self.campaigns + 1):
            campaign_id = f"{account_id}{c:02d}"
            for g in range(1, self.ad_groups + 1):
                ad_group_id = f"{campaign_id}{g:02d}"
                for a in range(1, self.ads + 1):
                    ad_id = f"{ad_group_id}{a:02d}"
                    ads.append(
                        Ad(
                            account_id=account_id,
                            account_name=f"{self.platform} account {account_id}",
                            campaign_id=campaign_id,
                            campaign_name=f"Campaign {c} of {account_id}",
                            ad_group_id=ad_group_id,
                            ad_group_name=f"Ad group {c}.{g}",
                            ad_id=ad_id,
                            ad_name=f"Ad {c}.{g}.{a}",
                        )
                    )
        return ads

    def days(self, since: dt.date, until: dt.date) -> Iterator[dt.date]:
        day = max(since, self.first_day)
        while day <= min(until, self.last_day):
            yield day
            day += dt.timedelta(days=1)

    def restate(self, day: dt.date) -> None:
        """Draw every stat of ``day`` again, as a platform's attribution window does."""
        self.revisions[day] = self.revisions.get(day, 0) + 1

    def stats(self, ad: Ad, day: dt.date) -> Stats | None:
        """The ad's stats that day, or None when it did not deliver (no row is reported)."""
        if day in self.empty_days:
            return None
        revision = self.revisions.get(day, 0)
        rng = random.Random(f"{self.seed}/{self.platform}/{ad.ad_id}/{day}/{revision}")
        if self.baseline is not None:
            drawn = self._shares(day, revision).get(ad.ad_id)
            if drawn is None:
                return None
            impressions, clicks, spend, conversions, value = drawn
        else:
            if rng.random() < NO_DELIVERY:
                return None
            impressions = rng.randint(1, 2 * self.mean_impressions)
            clicks = round(impressions * rng.uniform(0.002, 0.03))
            unit = self._spend_unit()
            spend = Decimal(round(impressions * rng.uniform(0.002, 0.012) / float(unit))) * unit
            count = round(clicks * rng.uniform(0.0, 0.15))
            # Google's data-driven attribution: quarters of a conversion
            quarters = rng.randint(0, 4 * count) if self.platform == "google_ads" else 4 * count
            conversions = Decimal(quarters) / 4
            value = _cents(rng, 5, 60) * conversions if conversions else Decimal(0)
        return self._stats(rng, impressions, clicks, spend, conversions, value)

    def _spend_unit(self) -> Decimal:
        return Decimal(1).scaleb(-SPEND_SCALE[self.platform])

    def _stats(
        self,
        rng: random.Random,
        impressions: int,
        clicks: int,
        spend: Decimal,
        conversions: Decimal,
        value: Decimal,
    ) -> Stats:
        """The platform's view of an ad-day: how it splits and what it adds to the numbers."""
        secondary = 0
        if self.platform in {"meta_ads", "linkedin_ads"}:
            secondary = rng.randint(0, int(conversions))
        uncounted = rng.randint(0, 3) if self.platform == "meta_ads" else 0
        return Stats(
            impressions=impressions,
            clicks=clicks,
            all_clicks=clicks + rng.randint(0, 5),
            spend=spend,
            primary_conversions=conversions - secondary,
            secondary_conversions=secondary,
            conversions_value=value.quantize(Decimal("0.01")),
            uncounted_conversions=uncounted,
            uncounted_value=_cents(rng, 1, 20) * uncounted,
        )

    def _shares(self, day: dt.date, revision: int) -> dict[str, tuple]:
        """Baseline mode: the day's first-party numbers, biased, split over the ads."""
        key = (day, revision)
        if key not in self._share_cache:
            self._share_cache[key] = self._split_baseline(day, revision)
        return self._share_cache[key]

    def _split_baseline(self, day: dt.date, revision: int) -> dict[str, tuple]:
        assert self.baseline is not None
        base = self.baseline.get(day)
        if base is None:
            return {}
        rng = random.Random(f"{self.seed}/{self.platform}/{day}/{revision}/baseline")
        ads = [ad for account in self.account_ids for ad in self.ads_of(account)]
        weights = [rng.uniform(0.5, 1.5) for _ in ads]

        def scaled(amount: float, bias: float) -> float:
            return amount * bias * rng.uniform(0.97, 1.03)

        b_impressions, b_clicks, b_spend, b_conversions = BIASES[self.platform]
        unit = self._spend_unit()
        quarters_per = 4 if self.platform == "google_ads" else 1
        impressions = split(round(scaled(base.impressions, b_impressions)), weights)
        clicks = split(round(scaled(base.clicks, b_clicks)), weights)
        spend = split(round(scaled(float(base.spend / unit), b_spend)), weights)
        conversions = split(round(scaled(base.conversions * quarters_per, b_conversions)), weights)
        value = split(round(scaled(float(base.revenue * 100), b_conversions)), weights)
        shares = {}
        for i, ad in enumerate(ads):
            if impressions[i]:
                shares[ad.ad_id] = (
                    impressions[i],
                    min(clicks[i], impressions[i]),
                    spend[i] * unit,
                    Decimal(conversions[i]) / quarters_per,
                    Decimal(value[i]) / 100,
                )
        return shares

    def rows(self, account_id: str, since: dt.date, until: dt.date) -> list[Row]:
        """The account's rows in [since, until], by day then ad, as the platforms order them."""
        if account_id not in self.account_ids:
            return []
        ads = self.ads_of(account_id)
        rows = []
        for day in self.days(since, until):
            for ad in ads:
                stats = self.stats(ad, day)
                if stats is not None:
                    rows.append(Row(ad, day, stats))
        return rows

    def totals(self, since: dt.date | None = None, until: dt.date | None = None) -> Totals:
        """What the unified report must show for this platform over [since, until]."""
        total = Totals()
        for account_id in self.account_ids:
            for row in self.rows(account_id, since or self.first_day, until or self.last_day):
                total = total + row
        return total

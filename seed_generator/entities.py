"""Advertisers, channels, audiences, campaigns and their channels: generated and stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np
import psycopg
from faker import Faker
from psycopg import sql

from seed_generator import catalog, storage
from seed_generator.errors import SeedUsageError


@dataclass(frozen=True)
class Advertiser:
    id: int
    name: str
    industry: str
    country: str

    @property
    def currency(self) -> str:
        return catalog.COUNTRIES.get(self.country, (0.0, "USD"))[1]


@dataclass(frozen=True)
class Campaign:
    """A campaign row plus what the event generator needs to know about it."""

    id: int
    advertiser_id: int
    industry: str
    name: str
    description: str
    objective: str
    status: str
    start_date: dt.date
    end_date: dt.date
    total_budget_cents: int
    daily_budget_cents: int
    bid_strategy: str
    bid_units: int  # bid_amount in 1/10000 of the currency unit, as numeric(10, 4) stores it
    currency: str
    channels: tuple[tuple[int, str], ...]  # (channel id, channel name)
    # Last day that delivered; before end_date for paused campaigns (not stored).
    last_delivery: dt.date | None = None
    size: float = 1.0  # relative delivery volume (not stored)
    deleted: bool = field(default=False, compare=False)

    def delivery_days(self, today: dt.date, days: int | None = None) -> tuple[dt.date, dt.date]:
        """First and last day with impressions: within the flight and before ``today``."""
        first = self.start_date
        if days is not None:
            first = max(first, today - dt.timedelta(days=days))
        last = min(self.end_date, self.last_delivery or self.end_date, today - dt.timedelta(1))
        return first, last


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def trait_rng(kind: int, entity_id: int) -> np.random.Generator:
    """A generator fixed by an entity's id: its latent traits stay the same in every command."""
    return np.random.default_rng([0x5EED, kind, entity_id])


def campaign_multipliers(campaign_id: int) -> tuple[float, float]:
    """How much better or worse than its channel this campaign's creative clicks and converts."""
    rng = trait_rng(1, campaign_id)
    return float(rng.lognormal(0.0, 0.3)), float(rng.lognormal(0.0, 0.3))


def advertiser_value_multiplier(advertiser_id: int) -> float:
    """Premium and budget brands within one industry: spreads revenue per conversion."""
    return float(trait_rng(2, advertiser_id).lognormal(0.0, 0.45))


def campaign_audiences(campaign_id: int, audience_ids: list[int], count: int = 3) -> list[int]:
    """The audiences a campaign targets, drawn from the live ones."""
    pool = sorted(audience_ids)
    picked = trait_rng(3, campaign_id).choice(len(pool), size=min(count, len(pool)), replace=False)
    return [pool[i] for i in sorted(picked)]


# --- generation -------------------------------------------------------------------------


def make_faker(seed: int) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def new_advertisers(
    fake: Faker, rng: np.random.Generator, first_id: int, count: int
) -> list[Advertiser]:
    industries = catalog.INDUSTRIES
    industry_p = np.array([i.weight for i in industries])
    countries = list(catalog.COUNTRIES)
    country_p = np.array([catalog.COUNTRIES[c][0] for c in countries])
    picked_industries = rng.choice(len(industries), size=count, p=industry_p / industry_p.sum())
    picked_countries = rng.choice(len(countries), size=count, p=country_p / country_p.sum())
    return [
        Advertiser(
            id=first_id + i,
            name=fake.company(),
            industry=industries[picked_industries[i]].name,
            country=countries[picked_countries[i]],
        )
        for i in range(count)
    ]


def _flight(
    rng: np.random.Generator, status: str, today: dt.date, days: int
) -> tuple[dt.date, dt.date, dt.date | None]:
    """(start, end, last delivery day) consistent with ``status`` as of ``today``."""
    day = dt.timedelta(days=1)
    start = today - day * int(rng.integers(1, days + 1))
    if status == "planned":
        start = today + day * int(rng.integers(1, max(2, days // 2) + 1))
        return start, start + day * int(rng.integers(7, 61)), None
    if status == "completed":
        end = min(start + day * int(rng.integers(6, 46)), today - day)
        return start, end, end
    end = today + day * int(rng.integers(0, days + 1))
    if status == "paused":
        # paused some day after it started; delivered until the day before
        paused = start + day * int(rng.integers(1, (today - start).days + 1))
        return start, end, paused - day
    return start, end, None


def new_campaigns(
    fake: Faker,
    rng: np.random.Generator,
    first_id: int,
    advertisers: list[Advertiser],
    advertiser_index: np.ndarray,
    channels: dict[str, int],
    today: dt.date,
    days: int,
) -> list[Campaign]:
    """Campaigns for ``advertisers[advertiser_index[i]]``, with realistic default budgets."""
    if not channels:
        raise SeedUsageError("there are no live channels to run campaigns on")
    objectives = catalog.OBJECTIVES
    objective_p = np.array([o.weight for o in objectives])
    statuses = list(catalog.STATUSES)
    status_p = np.array(list(catalog.STATUSES.values()))
    names = sorted(channels)
    profiles = [catalog.CHANNELS_BY_NAME.get(n, catalog.DEFAULT_CHANNEL) for n in names]
    campaigns = []
    for i, advertiser_at in enumerate(advertiser_index):
        advertiser = advertisers[int(advertiser_at)]
        industry = catalog.INDUSTRIES_BY_NAME.get(advertiser.industry, catalog.INDUSTRIES[0])
        objective = objectives[rng.choice(len(objectives), p=objective_p / objective_p.sum())]
        status = statuses[rng.choice(len(statuses), p=status_p / status_p.sum())]
        start, end, last_delivery = _flight(rng, status, today, days)

        # channels: industries lean on a few platforms; big platforms are everywhere
        affinity = np.array(
            [
                p.volume * (4.0 if n in industry.channels else 1.0)
                for n, p in zip(names, profiles, strict=True)
            ]
        )
        n_channels = min(len(names), int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.25, 0.1])))
        picked = sorted(
            rng.choice(len(names), n_channels, replace=False, p=affinity / affinity.sum())
        )
        channel_profiles = [profiles[j] for j in picked]

        bid_strategy = "cpc" if rng.random() < objective.cpc_share else "cpm"
        typical = np.mean([p.cpc if bid_strategy == "cpc" else p.cpm for p in channel_profiles])
        bid_cents = max(5, round(typical * rng.lognormal(0.0, 0.2) * 100))
        flight_days = (end - start).days + 1
        daily = int(np.clip(rng.lognormal(np.log(150.0), 0.9), 10, 20_000)) * 100
        total = max(daily, round(daily * flight_days * rng.uniform(0.6, 1.0), -2))
        theme = str(rng.choice(catalog.CAMPAIGN_THEMES)).format(quarter=(start.month - 1) // 3 + 1)
        campaigns.append(
            Campaign(
                id=first_id + i,
                advertiser_id=advertiser.id,
                industry=advertiser.industry,
                name=f"{advertiser.name.split(',')[0]} · {theme} {start.year}",
                description=fake.catch_phrase(),
                objective=objective.name,
                status=status,
                start_date=start,
                end_date=end,
                total_budget_cents=int(total),
                daily_budget_cents=daily,
                bid_strategy=bid_strategy,
                bid_units=bid_cents * 100,
                currency=advertiser.currency,
                channels=tuple((channels[names[j]], names[j]) for j in picked),
                last_delivery=last_delivery,
                size=float(rng.lognormal(0.0, 0.9)),
            )
        )
    return campaigns


def ensure_deliverable(campaigns: list[Campaign], today: dt.date) -> list[Campaign]:
    """A batch asked to serve impressions needs one campaign that ran before ``today``."""
    if any(c.status != "planned" for c in campaigns) or not campaigns:
        return campaigns
    first = campaigns[0]
    start = today - dt.timedelta(days=1)
    fixed = replace(first, status="active", start_date=start, end_date=max(first.end_date, today))
    return [fixed, *campaigns[1:]]


def new_audiences(
    rng: np.random.Generator, first_id: int, count: int, taken: set[str]
) -> list[tuple[int, str, int, int, str, str]]:
    """Audience rows (id, name, age_min, age_max, gender, interest) with names not in ``taken``."""
    combos = [
        (interest, band, gender)
        for interest in catalog.INTERESTS
        for band in catalog.AGE_BANDS
        for gender in catalog.GENDERS
    ]
    rows: list[tuple[int, str, int, int, str, str]] = []
    for position in rng.permutation(len(combos)):
        if len(rows) == count:
            break
        interest, (age_min, age_max), gender = combos[position]
        who = {"all": "Adults", "female": "Women", "male": "Men"}[gender]
        name = f"{interest} · {who} {age_min}-{age_max}"
        if name not in taken:
            taken.add(name)
            rows.append((first_id + len(rows), name, age_min, age_max, gender, interest))
    serial = 2
    while len(rows) < count:  # more audiences asked for than combinations: number them
        interest, (age_min, age_max), gender = combos[len(rows) % len(combos)]
        name = f"{interest} · {gender} {age_min}-{age_max} #{serial}"
        serial += 1
        if name not in taken:
            taken.add(name)
            rows.append((first_id + len(rows), name, age_min, age_max, gender, interest))
    return rows


# --- storage ----------------------------------------------------------------------------


def ensure_channels(conn: psycopg.Connection) -> tuple[dict[str, int], int]:
    """Insert the catalog's missing channels; returns (live channels by name, rows inserted)."""
    inserted = conn.execute(
        "insert into channels (name) select unnest(%s::text[]) on conflict (name) do nothing",
        ([c.name for c in catalog.CHANNELS],),
    ).rowcount
    rows = conn.execute(
        "select name, id from channels where deleted_at is null order by id"
    ).fetchall()
    return {name: int(channel_id) for name, channel_id in rows}, inserted


def insert_advertisers(conn: psycopg.Connection, advertisers: list[Advertiser]) -> int:
    return storage.copy_records(
        conn,
        "advertisers",
        ("id", "name", "industry", "country"),
        [(a.id, a.name, a.industry, a.country) for a in advertisers],
    )


def insert_campaigns(conn: psycopg.Connection, campaigns: list[Campaign]) -> tuple[int, int]:
    """Campaign rows and their campaign_channels; returns how many of each."""
    storage.copy_records(
        conn,
        "campaigns",
        (
            "id",
            "advertiser_id",
            "name",
            "description",
            "objective",
            "status",
            "start_date",
            "end_date",
            "total_budget",
            "daily_budget",
            "bid_strategy",
            "bid_amount",
            "currency",
        ),
        [
            (
                c.id,
                c.advertiser_id,
                c.name,
                c.description,
                c.objective,
                c.status,
                c.start_date,
                c.end_date,
                _money(c.total_budget_cents),
                _money(c.daily_budget_cents),
                c.bid_strategy,
                Decimal(c.bid_units).scaleb(-4),
                c.currency,
            )
            for c in campaigns
        ],
    )
    pairs = [(c.id, channel_id) for c in campaigns for channel_id, _ in c.channels]
    first = storage.reserve_ids(conn, "campaign_channels", len(pairs))
    storage.copy_records(
        conn,
        "campaign_channels",
        ("id", "campaign_id", "channel_id"),
        [(first + i, campaign_id, channel_id) for i, (campaign_id, channel_id) in enumerate(pairs)],
    )
    return len(campaigns), len(pairs)


# Held until commit by whoever creates audiences: a concurrent command picking names would
# otherwise collide with (or deadlock on) names this transaction has not committed yet.
_AUDIENCE_LOCK_KEY = 0x5EED_0003


def insert_audiences(conn: psycopg.Connection, rng: np.random.Generator, count: int) -> list[int]:
    if count <= 0:
        return []
    conn.execute("select pg_advisory_xact_lock(%s)", (_AUDIENCE_LOCK_KEY,))
    taken = {name for (name,) in conn.execute("select name from audiences").fetchall()}
    first = storage.reserve_ids(conn, "audiences", count)
    rows = new_audiences(rng, first, count, taken)
    storage.copy_records(
        conn, "audiences", ("id", "name", "age_min", "age_max", "gender", "interest"), rows
    )
    return [row[0] for row in rows]


def live_audience_ids(conn: psycopg.Connection) -> list[int]:
    rows = conn.execute("select id from audiences where deleted_at is null order by id")
    return [int(audience_id) for (audience_id,) in rows.fetchall()]


def load_advertiser(conn: psycopg.Connection, advertiser_id: int) -> Advertiser:
    row = conn.execute(
        "select id, name, industry, country, deleted_at from advertisers where id = %s",
        (advertiser_id,),
    ).fetchone()
    if row is None:
        raise SeedUsageError(f"advertiser {advertiser_id} does not exist")
    if row[4] is not None:
        raise SeedUsageError(f"advertiser {advertiser_id} is deleted")
    return Advertiser(int(row[0]), row[1], row[2], row[3].strip())


_CAMPAIGN_QUERY = """
select c.id, c.advertiser_id, a.industry, c.name, coalesce(c.description, ''), c.objective,
       c.status, c.start_date, c.end_date, (c.total_budget * 100)::bigint,
       (c.daily_budget * 100)::bigint, c.bid_strategy, (c.bid_amount * 10000)::bigint,
       c.currency, c.deleted_at is not null,
       coalesce(array_agg(cc.channel_id order by cc.channel_id)
                filter (where cc.id is not null), array[]::bigint[]),
       coalesce(array_agg(ch.name order by cc.channel_id) filter (where cc.id is not null),
                array[]::text[])
from campaigns c
join advertisers a on a.id = c.advertiser_id
left join campaign_channels cc on cc.campaign_id = c.id and cc.deleted_at is null
left join channels ch on ch.id = cc.channel_id
where {where}
group by c.id, a.industry
order by c.id
"""


def load_campaigns(
    conn: psycopg.Connection, where: str = "true", params: tuple[object, ...] = ()
) -> list[Campaign]:
    """Campaigns matching ``where`` (trusted SQL over alias c) with their live channels."""
    query = sql.SQL(_CAMPAIGN_QUERY).format(where=sql.SQL(where))  # type: ignore[arg-type]
    rows = conn.execute(query, params).fetchall()
    return [
        Campaign(
            id=int(r[0]),
            advertiser_id=int(r[1]),
            industry=r[2],
            name=r[3],
            description=r[4],
            objective=r[5],
            status=r[6],
            start_date=r[7],
            end_date=r[8],
            total_budget_cents=int(r[9]),
            daily_budget_cents=int(r[10]),
            bid_strategy=r[11],
            bid_units=int(r[12]),
            currency=r[13].strip(),
            deleted=bool(r[14]),
            channels=tuple((int(i), n) for i, n in zip(r[15], r[16], strict=True)),
        )
        for r in rows
    ]


def load_campaign(conn: psycopg.Connection, campaign_id: int) -> Campaign:
    found = load_campaigns(conn, "c.id = %s", (campaign_id,))
    if not found:
        raise SeedUsageError(f"campaign {campaign_id} does not exist")
    return found[0]

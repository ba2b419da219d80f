"""Reference data and the market assumptions behind the generated numbers.

Rates are rough public industry benchmarks (2023-2024 ballpark), only meant to make channels
and industries differ in believable ways; they are rescaled to the requested CTR/CVR targets.
"""

from __future__ import annotations

from dataclasses import dataclass

# Weekly shapes, Monday first: consumer apps peak at the weekend, B2B during office days.
WEEKLY_CONSUMER = (0.95, 0.94, 0.96, 0.99, 1.04, 1.08, 1.04)
WEEKLY_SOCIAL = (0.9, 0.9, 0.92, 0.96, 1.06, 1.16, 1.1)
WEEKLY_B2B = (1.15, 1.18, 1.17, 1.14, 1.02, 0.6, 0.55)

# Share of traffic per UTC hour: quiet at night, a lunch bump, evening peak.
DIURNAL = (
    0.30,
    0.22,
    0.17,
    0.15,
    0.16,
    0.22,
    0.38,
    0.60,
    0.78,
    0.88,
    0.93,
    0.97,
    1.00,
    0.97,
    0.93,
    0.92,
    0.95,
    1.02,
    1.12,
    1.22,
    1.26,
    1.18,
    0.92,
    0.58,
)


@dataclass(frozen=True)
class ChannelProfile:
    name: str
    ctr: float  # clicks per impression
    cvr: float  # conversions per click
    cpm: float  # typical price of 1000 impressions, USD
    cpc: float  # typical price of a click, USD
    volume: float  # relative inventory: how many impressions a campaign gets here
    weekly: tuple[float, ...]


CHANNELS: tuple[ChannelProfile, ...] = (
    ChannelProfile("Meta", 0.0090, 0.090, 8.5, 0.95, 1.00, WEEKLY_SOCIAL),
    ChannelProfile("Google", 0.0320, 0.055, 6.0, 1.60, 1.00, WEEKLY_CONSUMER),
    ChannelProfile("TikTok", 0.0100, 0.015, 6.5, 0.80, 0.70, WEEKLY_SOCIAL),
    ChannelProfile("LinkedIn", 0.0060, 0.060, 30.0, 5.50, 0.25, WEEKLY_B2B),
    ChannelProfile("Snapchat", 0.0070, 0.010, 3.0, 0.60, 0.35, WEEKLY_SOCIAL),
    ChannelProfile("Pinterest", 0.0055, 0.025, 4.0, 1.00, 0.30, WEEKLY_CONSUMER),
    ChannelProfile("X", 0.0080, 0.012, 6.5, 0.70, 0.30, WEEKLY_CONSUMER),
    ChannelProfile("Reddit", 0.0065, 0.018, 3.5, 0.75, 0.25, WEEKLY_CONSUMER),
    ChannelProfile("YouTube", 0.0065, 0.010, 9.0, 0.50, 0.60, WEEKLY_SOCIAL),
    ChannelProfile("Microsoft Ads", 0.0280, 0.040, 5.0, 1.30, 0.35, WEEKLY_B2B),
)
CHANNELS_BY_NAME = {channel.name: channel for channel in CHANNELS}
# Used for a channel someone added to the table by hand.
DEFAULT_CHANNEL = ChannelProfile("other", 0.008, 0.02, 6.0, 1.0, 0.3, WEEKLY_CONSUMER)


@dataclass(frozen=True)
class Industry:
    name: str
    weight: float  # share of advertisers
    order_value: float  # typical revenue of a purchase, USD
    channels: tuple[str, ...]  # channels this industry leans on


INDUSTRIES: tuple[Industry, ...] = (
    Industry("retail", 0.16, 65.0, ("Meta", "Google", "Pinterest", "TikTok")),
    Industry("fashion", 0.10, 85.0, ("Meta", "TikTok", "Pinterest", "Snapchat")),
    Industry("travel", 0.08, 420.0, ("Google", "Meta", "Microsoft Ads", "YouTube")),
    Industry("finance", 0.08, 180.0, ("Google", "LinkedIn", "Microsoft Ads", "Meta")),
    Industry("saas", 0.10, 240.0, ("LinkedIn", "Google", "Microsoft Ads", "Reddit")),
    Industry("gaming", 0.08, 18.0, ("TikTok", "YouTube", "Reddit", "Snapchat", "X")),
    Industry("automotive", 0.06, 650.0, ("Google", "YouTube", "Meta", "Microsoft Ads")),
    Industry("healthcare", 0.06, 120.0, ("Google", "Meta", "Microsoft Ads")),
    Industry("education", 0.07, 150.0, ("Google", "Meta", "LinkedIn", "YouTube")),
    Industry("food_beverage", 0.08, 35.0, ("Meta", "TikTok", "Google", "Snapchat")),
    Industry("telecom", 0.05, 90.0, ("Google", "Meta", "YouTube", "X")),
    Industry("real_estate", 0.04, 900.0, ("Google", "Meta", "LinkedIn")),
    Industry("media", 0.04, 12.0, ("Meta", "X", "Reddit", "Google")),
)
INDUSTRIES_BY_NAME = {industry.name: industry for industry in INDUSTRIES}

# ISO 3166-1 alpha-2 country -> (share of advertisers, campaign currency).
COUNTRIES: dict[str, tuple[float, str]] = {
    "US": (0.38, "USD"),
    "GB": (0.10, "GBP"),
    "DE": (0.09, "EUR"),
    "FR": (0.07, "EUR"),
    "NL": (0.04, "EUR"),
    "ES": (0.04, "EUR"),
    "IT": (0.04, "EUR"),
    "IE": (0.02, "EUR"),
    "CA": (0.06, "USD"),
    "AU": (0.05, "USD"),
    "BR": (0.04, "USD"),
    "MX": (0.03, "USD"),
    "SE": (0.02, "EUR"),
    "PL": (0.02, "EUR"),
}


@dataclass(frozen=True)
class Objective:
    name: str
    weight: float
    ctr_factor: float  # traffic campaigns are optimised for clicks, awareness ones are not
    cvr_factor: float
    cpc_share: float  # how often advertisers bid per click for this objective
    conversion_types: dict[str, float]


OBJECTIVES: tuple[Objective, ...] = (
    Objective("awareness", 0.15, 0.6, 0.6, 0.1, {"signup": 0.6, "purchase": 0.4}),
    Objective("traffic", 0.2, 1.35, 0.8, 0.8, {"purchase": 0.5, "signup": 0.5}),
    Objective("engagement", 0.12, 1.15, 0.7, 0.5, {"signup": 0.7, "purchase": 0.3}),
    Objective("leads", 0.18, 1.0, 1.2, 0.75, {"lead": 0.85, "signup": 0.15}),
    Objective("sales", 0.25, 1.0, 1.25, 0.7, {"purchase": 0.9, "signup": 0.1}),
    Objective("app_installs", 0.10, 1.1, 1.1, 0.55, {"install": 0.85, "purchase": 0.15}),
)
OBJECTIVES_BY_NAME = {objective.name: objective for objective in OBJECTIVES}

CONVERSION_TYPES = ("purchase", "signup", "lead", "install")
# Value of a conversion relative to the advertiser's typical order value.
CONVERSION_VALUE = {"purchase": 1.0, "lead": 0.35, "signup": 0.08, "install": 0.04}

STATUSES = {"active": 0.55, "completed": 0.22, "paused": 0.11, "planned": 0.12}

INTERESTS = (
    "Fitness",
    "Travel",
    "Gaming",
    "Personal Finance",
    "Fashion",
    "Technology",
    "Parenting",
    "Food & Dining",
    "Automotive",
    "Home & Garden",
    "Beauty",
    "Sports",
    "Music",
    "Pets",
    "Education",
    "B2B Decision Makers",
    "Movies & TV",
    "Outdoor",
)
AGE_BANDS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 65), (18, 34), (25, 54), (35, 99))
GENDERS = ("all", "female", "male")

CAMPAIGN_THEMES = (
    "Spring Sale",
    "Summer Launch",
    "Back to School",
    "Black Friday",
    "Holiday Push",
    "Brand Lift",
    "Retargeting",
    "Prospecting",
    "New Collection",
    "Always On",
    "Lookalikes",
    "Clearance",
    "Webinar Series",
    "Free Trial",
    "Loyalty",
    "Q{quarter} Growth",
)

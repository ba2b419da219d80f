"""The words a question is made of: metric synonyms, platforms, grains, intents, filler.

Phrases are regular expressions over the normalized text (lower case, single spaces, word
boundaries added by the grammar); each table is tried longest phrase first, so "cost per
click" is CPC before "cost" is spend. Metric names are the catalog's (dbt's semantic layer);
a synonym for a metric the catalog lacks is never used.
"""

from __future__ import annotations

# metric -> phrases that mean it (the metric's own name and label are added from the catalog)
METRIC_PHRASES: dict[str, tuple[str, ...]] = {
    "impressions": (
        r"impressions?",
        r"impr",
        r"imps",
        r"views",
        r"ad views",
        r"times (?:my |our |the )?ads? (?:was |were |got )?(?:shown|served|displayed|seen)",
        r"how many times (?:were |was )?(?:my |our |the )?ads? (?:shown|served|displayed|seen)",
        r"how often (?:were |was )?(?:my |our |the )?ads? (?:shown|served|displayed)",
        r"served",
    ),
    "clicks": (r"clicks?", r"clicked", r"click volume", r"how many (?:people |users )?clicked"),
    "conversions": (
        r"conversions?",
        r"converted",
        r"purchases",
        r"orders",
        r"signups",
        r"sign ups",
        r"leads",
        r"acquisitions",
        r"how many sales",
        r"number of sales",
    ),
    "spend": (
        r"spend",
        r"spent",
        r"spending",
        r"ad spend",
        r"costs?",
        r"total cost",
        r"paid",
        r"pay",
        r"expenses?",
        r"budget spent",
        r"money (?:spent|went)",
        r"how much (?:money )?(?:did |have |has )?(?:i |we |you )?(?:spend|spent|pay|paid)",
    ),
    "revenue": (
        r"revenue",
        r"income",
        r"earnings",
        r"earned",
        r"sales revenue",
        r"sales value",
        r"total sales",
        r"turnover",
        r"how much (?:money )?did (?:i |we )?(?:make|earn|bring in|generate)",
        r"how much (?:money )?(?:i |we )?(?:made|earned)",
    ),
    "reach": (
        r"reach",
        r"reached",
        r"unique (?:users|people|viewers|visitors)",
        r"(?:people|users) reached",
        r"how many (?:people|users|unique users) (?:saw|seen|did (?:my |our )?ads? reach)",
        r"how many (?:people|users) (?:did )?(?:my |our |the )?ads? reach",
    ),
    "ctr": (
        r"ctr",
        r"click[ -]?through[ -]?rate",
        r"click[ -]?thru[ -]?rate",
        r"click[ -]?through",
        r"click rate",
        r"clickthrough",
        r"(?:percentage|share|rate|%) of (?:impressions|views) (?:that )?(?:got |were )?clicked",
    ),
    "cvr": (
        r"cvr",
        r"conversion rate",
        r"conv rate",
        r"convert rate",
        r"rate of conversion",
        r"(?:percentage|share|rate|%) of clicks (?:that )?converted",
    ),
    "cpc": (
        r"cpc",
        r"cost per click",
        r"cost a click",
        r"cost of a click",
        r"price per click",
        r"spend per click",
        r"(?:what|how much) (?:did |does )?(?:each|a|one|every) click cost",
    ),
    "cpm": (
        r"cpm",
        r"cost per (?:mille|mil|thousand(?: impressions| views)?|1000 impressions|1k)",
        r"cost per 1000",
        r"price per thousand(?: impressions)?",
        r"(?:pay|paid|spend|spent) per (?:thousand|1000|mille)(?: impressions| views)?",
    ),
    "cpa": (
        r"cpa",
        r"cost per (?:acquisition|conversion|sale|purchase|order|lead|signup|sign up|action)",
        r"cost of (?:an |a )?(?:acquisition|conversion|sale|purchase)",
        r"(?:what|how much) (?:did |does )?(?:each|a|one|every) (?:conversion|sale|purchase) cost",
        r"acquisition cost",
    ),
    "roas": (
        r"roas",
        r"return on ad spend",
        r"return on (?:my |our )?(?:ad |advertising )?spend",
        r"return on ads?",
        r"revenue per (?:dollar|euro|unit) (?:of )?(?:spend|spent)",
        r"revenue (?:to|over|per|divided by) spend",
    ),
    "frequency": (
        r"frequency",
        r"(?:average )?impressions per (?:user|person|people|viewer)",
        r"how (?:many times|often) (?:did )?(?:each |a |the average )?(?:user|person|people)"
        r" (?:see|saw)",
    ),
}

# Words for a metric the catalog does not have, or for several: always asked back.
UNKNOWN_METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    r"roi|return on investment|profits?|profitability|profitable|margins?": (
        "ROI and profit are not in the metric catalog; the closest are ROAS (revenue / spend)"
        " and revenue. Which one?",
        ("roas", "revenue"),
    ),
    r"sales": (
        "By sales, do you mean revenue or the number of conversions?",
        ("revenue", "conversions"),
    ),
    r"engagements?|engaged|likes|shares|comments": (
        "Engagement is not in the catalog; clicks or CTR?",
        ("clicks", "ctr"),
    ),
    r"average order value|aov": (
        "Revenue per conversion (average order value) is not in the catalog; revenue and"
        " conversions are. Which one?",
        ("revenue", "conversions"),
    ),
    r"traffic|visits|sessions|visitors": (
        "Site traffic is not in the catalog; clicks or impressions?",
        ("clicks", "impressions"),
    ),
}
# Words that ask for "how it went" without naming a metric: asked back when no metric is named.
GENERIC_METRIC_WORDS = (
    r"\b(?:performance|perform|performing|performed|doing|results|stats|statistics|kpis?"
    r"|metrics|numbers|how did .* do|how are .* going|going)\b"
)
METRIC_OPTIONS = ("spend", "impressions", "clicks", "ctr", "conversions", "cpa", "roas")

# Platform names people use -> the channel name (dim_channels.channel_name). The tenant's own
# platforms come from its campaigns; these only help recognize a word as a platform.
PLATFORM_ALIASES: dict[str, str] = {
    "meta": "Meta",
    "facebook": "Meta",
    "fb": "Meta",
    "instagram": "Meta",
    "insta": "Meta",
    "ig": "Meta",
    "meta ads": "Meta",
    "google": "Google",
    "google ads": "Google",
    "adwords": "Google",
    "google search": "Google",
    "tiktok": "TikTok",
    "tik tok": "TikTok",
    "linkedin": "LinkedIn",
    "linked in": "LinkedIn",
    "snapchat": "Snapchat",
    "snap": "Snapchat",
    "pinterest": "Pinterest",
    "twitter": "X",
    "reddit": "Reddit",
    "youtube": "YouTube",
    "you tube": "YouTube",
    "microsoft ads": "Microsoft Ads",
    "microsoft advertising": "Microsoft Ads",
    "bing": "Microsoft Ads",
    "bing ads": "Microsoft Ads",
}
# "x" is a letter too: the platform only when it reads like one ("on x", "x ads")
PLATFORM_X = r"(?:(?<=on )|(?<=for )|(?<=from )|(?<=via ))x\b|\bx(?= ads?\b| campaigns?\b)"

# group-by words -> dimension (grains are handled with the time words)
DIMENSION_WORDS: dict[str, str] = {
    "campaign": "campaign",
    "campaigns": "campaign",
    "platform": "platform",
    "platforms": "platform",
    "channel": "platform",
    "channels": "platform",
    "network": "platform",
    "networks": "platform",
    "objective": "objective",
    "objectives": "objective",
    "goal": "objective",
    "status": "campaign_status",
    "statuses": "campaign_status",
}
GRAIN_WORDS: dict[str, str] = {
    "day": "day",
    "days": "day",
    "daily": "day",
    "week": "week",
    "weeks": "week",
    "weekly": "week",
    "month": "month",
    "months": "month",
    "monthly": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "quarterly": "quarter",
}

CAMPAIGN_STATUSES = ("active", "paused", "completed", "planned")

# Questions about the future, about other accounts, or about changing things: not answerable
# from the published marts; the reply says what can be asked.
FORECAST = (
    r"\b(?:will|gonna|going to|forecast|forecasts|predict|prediction|projected|projection"
    r"|expect|expected|estimate|next)\b"
)
WHY = r"\bwhy\b|\bexplain\b|\breason\b"
CHANGES = (
    r"\b(?:pause|unpause|resume|stop|delete|remove|disable|enable|raise|grant|truncate"
    r"|insert into|drop (?:table|database)|alter table|update \w+ set)\b"
    r"|\b(?:create|launch|start|duplicate) (?:a|an|the|my|new|another)\b"
    r"|\bset (?:my|the|a|our) budget\b"
)
OTHER_TENANTS = (
    r"\b(?:advertisers?|tenants?|competitors?|competition|everyone|everybody|other accounts?"
    r"|other compan(?:y|ies)|another (?:company|account|brand)|other brands?|all accounts"
    r"|whole platform|industry average|benchmark)\b"
)

# words that carry no slot: asked-for phrasing, articles, pronouns of the caller
_FILLER_WORDS = """
    a an the of for on in at to by from with and or vs versus per each every all any across
    my our me i we us you your mine ours what whats what's which who how much many is are
    was were be been being has have had do does did done show tell give get got list display
    report see find pull fetch know want need please could can would should may might let
    lets let's just also overall total totals sum summary breakdown broken down split
    grouped group over time trend trends trending series evolution history historical change
    changed changes compare compared comparison than previous period prior before ads ad
    advertising campaign campaigns platform platforms channel channels running ran run so
    far it its it's that this those these there their them they here then now current
    currently latest newest recent most least highest lowest best worst top bottom biggest
    largest smallest fewest max min maximum minimum greatest cheapest priciest number count
    rate value level amount figure figures results data numbers look like looks looking hey
    hi hello thanks thank okay ok about roughly approximately exactly up quick quickly
    details detail bring brought generate generated make made earn break still yours during
    drive drove driven deliver delivered produce produced higher lower better worse more less
    increased decreased grew dropped fell rose getting average avg mean users people terms
"""
FILLER = frozenset(_FILLER_WORDS.split())

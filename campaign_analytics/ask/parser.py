"""A question -> a MetricQuery, or a question back: a deterministic grammar, no guessing.

The order: normalize; take out the caller's campaign names said verbatim; refuse what the
marts cannot answer (the future, other accounts, changes); periods; "latest campaign";
metrics; platforms; top-N, ranking, group-by, trend and compare words; filler. Whatever words
are left must be a misspelt platform, metric or campaign of the caller's; if not, the
question is sent back naming them. A missing metric, two campaigns that fit, a platform the
caller has no campaign on: a clarification, never a number.

The tenant is never read from the text: the query carries no advertiser filter or group-by,
and is scoped to the verified token's advertiser when it is compiled.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from campaign_analytics.ask import vocabulary as vocab
from campaign_analytics.ask.entities import WORD_CUTOFF, CampaignMatch, CampaignNames, Platforms
from campaign_analytics.ask.models import Clarification, ClarificationKind
from campaign_analytics.ask.normalize import MAX_QUESTION_CHARS, normalize, words
from campaign_analytics.ask.periods import NUMBER_WORDS, Found, Period, PeriodError, find_periods
from campaign_analytics.metrics.campaigns import CampaignInfo
from campaign_analytics.metrics.catalog import Catalog
from campaign_analytics.metrics.query import Filter, MetricQuery, TimeRange

EXAMPLES = (
    "What's the ROAS for my latest Google campaign?",
    "Show me CTR trends for last week's Meta campaigns",
    "How much did I spend on LinkedIn ads this quarter?",
    "Top 5 campaigns by conversions last month",
    "Spend this month vs last month",
)
COST_METRICS = {"cpc", "cpm", "cpa"}  # lower is better
DEFAULT_TOP = 5
METRIC_WORD_CUTOFF = 88  # a misspelt one-word metric ("impresions")
STRUCTURAL_CUTOFF = 85  # a misspelt "campaign"
# words that carry no slot of their own once the rules have run
_EXPLAINED = vocab.FILLER | set(vocab.DIMENSION_WORDS) | set(vocab.GRAIN_WORDS)


@dataclass
class Parsed:
    """What the question asked for, resolved against the caller's campaigns."""

    text: str  # normalized
    today: dt.date
    query: MetricQuery | None = None
    clarification: Clarification | None = None
    intent: str = "total"  # total, trend, top, breakdown, compare
    metrics: list[str] = field(default_factory=list)
    period: Period | None = None
    compared: tuple[Period, Period] | None = None  # (earlier, later)
    platforms: list[str] = field(default_factory=list)
    campaigns: list[CampaignInfo] = field(default_factory=list)
    latest: str | None = None  # how "latest campaign" was resolved, for the answer
    status: str | None = None
    descending: bool = True


class _AskBackError(Exception):
    """Stop parsing: answer with this clarification."""

    def __init__(self, kind: ClarificationKind, question: str, options: Sequence[str] = ()) -> None:
        super().__init__(question)
        self.clarification = Clarification(kind=kind, question=question, options=list(options))


class _Text:
    """The normalized question; rules blank out what they explain."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.rest = text

    def take(self, pattern: str) -> list[re.Match[str]]:
        matches = list(re.finditer(pattern, self.rest))
        for m in matches:
            self.blank(m.span())
        return matches

    def blank(self, span: tuple[int, int]) -> None:
        start, end = span
        self.rest = self.rest[:start] + " " * (end - start) + self.rest[end:]

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.rest) is not None

    def said(self, span: tuple[int, int]) -> list[str]:
        """The words at ``span`` as the question said them."""
        return self.text[span[0] : span[1]].split()


def _metric_patterns(catalog: Catalog) -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for name, metric in catalog.metrics.items():
        phrases = {re.escape(name), re.escape(metric.label.lower())}
        phrases |= set(vocab.METRIC_PHRASES.get(name, ()))
        patterns += [(re.compile(rf"(?<![\w-]){p}(?![\w-])"), name) for p in phrases]
    return patterns


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


_NUMBER = r"\d{1,3}|" + "|".join(w for w in NUMBER_WORDS if w != "a")
_DIMENSION = "|".join(sorted(vocab.DIMENSION_WORDS, key=len, reverse=True))
_GRAIN = "|".join(sorted(vocab.GRAIN_WORDS, key=len, reverse=True))
_UP = r"top|best|highest|most|biggest|largest|greatest|max|maximum|leading|strongest"
_DOWN = r"bottom|worst|lowest|least|fewest|smallest|min|minimum|cheapest|weakest"
_TREND = (
    r"\btrends?\b|\btrending\b|\bover time\b|\bday by day\b|\bweek by week\b|\bevolution\b"
    r"|\bevolved\b|\b(?:time|daily|weekly) series\b"
    r"|\bhow (?:has|have|did) .*\b(?:change|changed|develop|developed)\b"
    r"|\b(?:has|have) (?:changed|developed|evolved)\b|\bchart\b|\bplot\b|\bgraph\b"
)
_OVER = r"\b(?P<g>day|week|month|quarter) over (?P=g)\b|\b(?P<short>dod|wow|mom|qoq)\b"
_COMPARE = (
    r"\bcompared? (?:to|with)\b|\bcompare[sd]?\b|\bcomparison\b|\bvs\b|\bversus\b|\bagainst\b"
    r"|\bthan\b|\b(?:the )?(?:previous|prior|preceding) period\b"
    r"|\b(?:the )?(?:week|month|quarter|year|day) before\b|\bside by side\b"
)
_LATEST = r"\b(?:latest|newest|most recent|last|recent|current|(?P<first>first|earliest|oldest))\b"


def parse(
    question: str,
    *,
    today: dt.date,
    campaigns: Sequence[CampaignInfo],
    catalog: Catalog,
    tenant: int,
) -> Parsed:
    """Read ``question`` for advertiser ``tenant``; ``campaigns`` may list anyone's: only the
    tenant's are ever matched."""
    own = [c for c in campaigns if c.advertiser_id == tenant]
    parsed = Parsed(text=normalize(question), today=today)
    try:
        _parse(parsed, question, today, own, catalog)
    except _AskBackError as ask:
        parsed.query = None
        parsed.clarification = ask.clarification
    return parsed


@dataclass
class _Said:
    """What the grammar found, before it is resolved into a query."""

    named: list[CampaignMatch]
    found: list[Found]
    latest: list[re.Match[str]]
    metrics: list[str]
    platforms: list[str]
    top: list[re.Match[str]]
    rank_words: list[re.Match[str]]
    which: list[re.Match[str]]
    entity_word: str | None
    dims: list[str]
    grains: list[str]
    is_trend: bool
    is_compare: bool
    baseline_said: bool

    @property
    def direction_words(self) -> list[str]:
        return [m["dir"] or m["dir2"] for m in self.top] + [m[0] for m in self.rank_words]


def _parse(
    parsed: Parsed,
    question: str,
    today: dt.date,
    own: list[CampaignInfo],
    catalog: Catalog,
) -> None:
    if not parsed.text:
        raise _AskBackError("missing", "Ask about your campaigns' numbers, for example:", EXAMPLES)
    if len(question) > MAX_QUESTION_CHARS:
        raise _AskBackError(
            "unsupported",
            f"That is {len(question)} characters; ask one question in at most "
            f"{MAX_QUESTION_CHARS}, for example:",
            EXAMPLES,
        )
    names = CampaignNames(own)
    platforms = Platforms.of(own)
    said = _read(parsed, today, names, platforms, catalog)
    if not said.metrics:
        raise _AskBackError("missing", "Which metric?", vocab.METRIC_OPTIONS)
    parsed.metrics = said.metrics
    parsed.platforms = _own_platforms(said.platforms, platforms)
    parsed.campaigns = _campaigns(said.named)
    if said.latest and not parsed.campaigns:
        parsed.campaigns = [_latest(parsed, own, today, first=bool(said.latest[0]["first"]))]
    parsed.descending = _descending(said.direction_words, said.metrics[0])
    _periods_and_intent(parsed, said.found, said.is_trend, said.is_compare, said.baseline_said)
    group_by, order_by, limit = _shape(parsed, said)

    filters = []
    if parsed.platforms:
        filters.append(_filter("platform", parsed.platforms))
    if parsed.campaigns:
        filters.append(_filter("campaign", [c.campaign_id for c in parsed.campaigns]))
    if parsed.status:
        filters.append(Filter(dimension="campaign_status", value=parsed.status))
    period = parsed.period
    parsed.query = MetricQuery(
        metrics=said.metrics,
        group_by=group_by,
        time=TimeRange(start=period.start, end=period.end) if period else TimeRange(),
        filters=filters,
        order_by=order_by,
        **({"limit": limit} if limit else {}),
    ).normalized()


def _read(
    parsed: Parsed, today: dt.date, names: CampaignNames, platforms: Platforms, catalog: Catalog
) -> _Said:
    """The grammar, in order; each rule blanks what it explained."""
    text = _Text(parsed.text)
    named: list[CampaignMatch] = []
    for span, match in names.find_verbatim(text.rest):
        text.blank(span)
        named.append(match)

    _refuse_unanswerable(text)
    found = _periods(text, today)
    latest = text.take(_LATEST + r"(?=(?: [\w'-]+){0,3}? campaign\b)")
    ranked_by = text.take(
        r"\b(?P<w>campaigns|platforms|channels|objectives) (?:ranked |sorted |ordered )?by\b"
    )
    before_metrics = text.rest
    metrics = _metrics(text, catalog)
    _refuse_undefined_ratio(before_metrics, text, catalog)
    unknown = next((v for k, v in vocab.UNKNOWN_METRICS.items() if text.has(rf"\b(?:{k})\b")), None)
    if unknown:
        raise _AskBackError("ambiguous", *unknown)
    said_platforms = _platforms(text, platforms)
    status = text.take(
        rf"\b(?P<s>{'|'.join(vocab.CAMPAIGN_STATUSES)})(?= campaigns?\b)"
        r"|(?<=campaigns )(?:that are |which are )?(?P<s2>"
        + "|".join(vocab.CAMPAIGN_STATUSES)
        + r")\b"
    )
    parsed.status = (status[0]["s"] or status[0]["s2"]) if status else None

    # intent: top N, ranking words, group-by, trend, compare
    top = text.take(
        rf"\b(?P<dir>{_UP}|{_DOWN}) (?P<n>{_NUMBER})\b"
        rf"|\b(?P<n2>{_NUMBER}) (?P<dir2>{_UP}|{_DOWN})\b"
    )
    rank_words = text.take(rf"\b(?:{_UP}|{_DOWN})\b")
    which = text.take(
        rf"\b(?:which|what|whose)(?= (?:(?:\w+ ){{0,2}})?(?P<w>{_DIMENSION}|{_GRAIN})\b)"
    )
    entity = re.search(rf"\b(?P<w>{_DIMENSION}|{_GRAIN})\b", text.rest)
    grouped = text.take(
        rf"\b(?:by|per|each|every|for each|for every|across|broken down by|split by|grouped by"
        rf"|break(?:down)? by|breakdown by)(?: the)? (?P<w>{_DIMENSION}|{_GRAIN})\b"
    )
    grain_words = text.take(r"\b(?P<w>daily|weekly|monthly|quarterly)\b")
    over = text.take(_OVER)
    is_trend = bool(text.take(_TREND)) or bool(over)
    compare_words = text.take(_COMPARE)
    generic = text.take(vocab.GENERIC_METRIC_WORDS)

    found = _explain_leftover(
        text, names, platforms, catalog, named, said_platforms, metrics, found
    )
    if not metrics and generic:
        raise _AskBackError("missing", "Which metric?", vocab.METRIC_OPTIONS)

    dims: list[str] = []
    grains: list[str] = []
    for word in [m["w"] for m in grouped + ranked_by + grain_words]:
        if word in vocab.GRAIN_WORDS:
            grains.append(vocab.GRAIN_WORDS[word])
        else:
            dims.append(vocab.DIMENSION_WORDS[word])
    short = {"dod": "day", "wow": "week", "mom": "month", "qoq": "quarter"}
    grains += [m["g"] or short[m["short"]] for m in over]
    return _Said(
        named=named,
        found=found,
        latest=latest,
        metrics=metrics,
        platforms=said_platforms,
        top=top,
        rank_words=rank_words,
        which=which,
        entity_word=which[0]["w"] if which else (entity["w"] if entity else None),
        dims=dims,
        grains=grains,
        is_trend=is_trend,
        is_compare=bool(compare_words),
        baseline_said=_baseline_said(parsed.text, compare_words, found),
    )


def _refuse_undefined_ratio(before_metrics: str, text: _Text, catalog: Catalog) -> None:
    """ "revenue per conversion": two metrics joined by "per" that the catalog does not
    define as a ratio (a catalog ratio's own phrase, "cost per click", was taken whole)."""
    for m in re.finditer(
        r"\bper (?:conversions?|orders?|sales?|purchases?|impressions?|users?|persons?"
        r"|leads?|signups?|views?|reach)\b",
        before_metrics,
    ):
        if text.rest[m.start() : m.start() + 3] == "per":
            raise _AskBackError(
                "unknown",
                f"\u201c{m[0]}\u201d is not a ratio in the catalog; its ratios are:",
                [name for name, spec in catalog.metrics.items() if spec.type != "simple"],
            )


def _explain_leftover(
    text: _Text,
    names: CampaignNames,
    platforms: Platforms,
    catalog: Catalog,
    named: list[CampaignMatch],
    said_platforms: list[str],
    metrics: list[str],
    found: list[Found],
) -> list[Found]:
    """Words no rule took: misspelt platforms and metrics, else one of the caller's campaigns
    (fuzzy), else a question back naming them. Returns the periods, less any that were the
    matched campaign's own words ("Q4" in "Q4 Growht 2026")."""
    leftover = [
        word
        for word in _leftover(text, platforms, said_platforms, metrics, catalog)
        if not _names_word(word, names, named)
    ]
    if any(not word.isascii() for word in leftover):
        raise _AskBackError(
            "unsupported", "I understand questions in English; for example:", EXAMPLES
        )
    if not leftover:
        return found
    what = " ".join(leftover)
    match = names.find_fuzzy(what)
    if not match.campaigns:
        hint = "; did you mean one of these campaigns?" if match.nearest else ". For example:"
        raise _AskBackError(
            "unknown",
            f"I could not match \u201c{what}\u201d to a metric, platform or campaign of yours"
            + hint,
            match.nearest or EXAMPLES,
        )
    named.append(match)
    if len(match.campaigns) > 1:
        return found
    name_words = names.words_of(match.campaigns[0])
    return [f for f in found if not set(text.said(f.span)) <= name_words]


def _shape(parsed: Parsed, said: _Said) -> tuple[list[str], list[str], int | None]:
    """group_by, order_by and limit for the intent."""
    metric = said.metrics[0]
    dims, grains = said.dims, said.grains
    if parsed.intent == "compare":
        if parsed.compared:
            return [parsed.compared[1].unit or "day", *dims], [], None
        # platforms or campaigns with each other, as a breakdown
        return ["platform" if len(parsed.platforms) > 1 else "campaign"], ["-" + metric], None
    if parsed.intent == "trend":
        group_by = grains[:1] or [_trend_grain(parsed.period)]
        return group_by + [d for d in dims if d not in group_by], [], None
    if not (said.which or said.top or said.rank_words or dims or grains):
        return [], [], None
    directed = bool(said.direction_words)
    dimension = _dimension(said.which, dims, grains, said.entity_word, directed)
    group_by = [dimension] + [d for d in dims + grains if d != dimension]
    if not directed:
        parsed.intent = "breakdown"
        by_time = dimension in vocab.GRAIN_WORDS.values()
        return group_by, [] if by_time else ["-" + metric], None
    parsed.intent = "top"
    order_by = [("-" if parsed.descending else "") + metric]
    if said.top:
        return group_by, order_by, _number(said.top[0]["n"] or said.top[0]["n2"])
    word = said.entity_word
    singular = word is not None and not word.endswith("s") and word != "daily"
    if singular or re.search(r"\b(?:which|what) (?:one )?of\b", parsed.text):
        return group_by, order_by, 1  # "the campaign with the highest CTR", "which of my ..."
    return group_by, order_by, DEFAULT_TOP


def _dimension(
    which: list[re.Match[str]],
    dims: list[str],
    grains: list[str],
    entity_word: str | None,
    ranked: bool,
) -> str:
    """What a ranking or breakdown is by: the word after "which", "by ...", or the one said."""
    if which:
        word = which[0]["w"]
        return vocab.GRAIN_WORDS.get(word) or vocab.DIMENSION_WORDS[word]
    if dims or grains:
        return (dims or grains)[0]
    if entity_word:
        return vocab.GRAIN_WORDS.get(entity_word) or vocab.DIMENSION_WORDS[entity_word]
    if ranked:
        raise _AskBackError(
            "missing",
            "Highest or lowest of what: campaigns, platforms or days?",
            ("campaign", "platform", "day"),
        )
    return "campaign"


def _filter(dimension: str, values: list) -> Filter:
    if len(values) == 1:
        return Filter(dimension=dimension, op="eq", value=values[0])
    return Filter(dimension=dimension, op="in", value=sorted(values))


def _refuse_unanswerable(text: _Text) -> None:
    if text.has(vocab.OTHER_TENANTS):
        raise _AskBackError(
            "unsupported",
            "I answer about your own campaigns only (the account of your key); ask about "
            "your campaigns, platforms and periods, for example:",
            EXAMPLES,
        )
    if text.has(vocab.CHANGES):
        raise _AskBackError(
            "unsupported",
            "I only read your numbers; I cannot change campaigns. You can ask, for example:",
            EXAMPLES,
        )
    if text.has(vocab.WHY):
        raise _AskBackError(
            "unsupported",
            "I can't explain causes, only report numbers; for example, compare periods:",
            ("CTR this week vs last week", "CPA by platform last month"),
        )
    if text.has(vocab.FORECAST):
        raise _AskBackError(
            "unsupported",
            "I can't forecast: I answer from the data up to today. You can ask about past "
            "periods, for example:",
            ("ROAS last month", "ROAS trend this quarter", "spend this month vs last month"),
        )


def _periods(text: _Text, today: dt.date) -> list[Found]:
    try:
        found = find_periods(text.rest, today)
    except PeriodError as error:
        raise _AskBackError(
            "unsupported",
            f"I can't answer that: {error}. I answer about days up to today, for example:",
            ("last week", "this month", "last 30 days", "Q3 2026", "since March"),
        ) from None
    for f in found:
        text.blank(f.span)
    return found


def _metrics(text: _Text, catalog: Catalog) -> list[str]:
    hits = []
    for pattern, name in _metric_patterns(catalog):
        hits += [(m.span(), name) for m in pattern.finditer(text.rest)]
    hits.sort(key=lambda hit: (-(hit[0][1] - hit[0][0]), hit[0][0]))
    taken: list[tuple[tuple[int, int], str]] = []
    for span, name in hits:
        # overlapping phrases of one metric ("unique users reached") are all its words
        if all(span[1] <= s[0] or span[0] >= s[1] or n == name for s, n in taken):
            taken.append((span, name))
    for span, _ in taken:
        text.blank(span)
    return list(dict.fromkeys(name for _, name in sorted(taken)))  # in the order said


def _platforms(text: _Text, platforms: Platforms) -> list[str]:
    said = []
    aliases = platforms.aliases()
    for alias in sorted(aliases, key=len, reverse=True):
        for m in text.take(rf"(?<![\w-]){re.escape(alias)}(?:'s)?(?![\w-])"):
            said.append((m.start(), aliases[alias]))
    for m in text.take(vocab.PLATFORM_X):
        said.append((m.start(), "X"))
    return list(dict.fromkeys(name for _, name in sorted(said)))


def _leftover(
    text: _Text,
    platforms: Platforms,
    said_platforms: list[str],
    metrics: list[str],
    catalog: Catalog,
) -> list[str]:
    """Words no rule explained; misspelt platforms and one-word metrics are taken here."""
    one_word_metrics = {
        phrase: name
        for name in catalog.metrics
        for phrase in (name, *vocab.METRIC_PHRASES.get(name, ()))
        if re.fullmatch(r"[a-z]{5,}", phrase)
    }
    left = []
    for word in words(text.rest):
        word = word.removesuffix("'s")
        if word in _EXPLAINED or not word.strip("'%.-"):
            continue
        platform = platforms.misspelt(word)
        if platform:
            said_platforms.append(platform)
            continue
        metric = process.extractOne(
            word, list(one_word_metrics), scorer=fuzz.ratio, score_cutoff=METRIC_WORD_CUTOFF
        )
        if metric and len(word) >= 5:
            metrics.append(one_word_metrics[metric[0]])
            continue
        left.append(word)
    metrics[:] = list(dict.fromkeys(metrics))
    return left


def _names_word(word: str, names: CampaignNames, named: list[CampaignMatch]) -> bool:
    """A word of the caller's own name, of a campaign already named, or a misspelt
    "campaign": explained."""
    if word in names.prefix_words:
        return True
    if any(fuzz.ratio(word, w) >= STRUCTURAL_CUTOFF for w in ("campaign", "campaigns")):
        return True
    return any(
        process.extractOne(word, names.words_of(c), scorer=fuzz.ratio, score_cutoff=WORD_CUTOFF)
        for match in named
        for c in match.campaigns
    )


def _own_platforms(said: list[str], platforms: Platforms) -> list[str]:
    own = []
    for name in dict.fromkeys(said):
        canonical = platforms.canonical(name)
        if canonical is None:
            raise _AskBackError(
                "unknown",
                f"None of your campaigns ran on {name}; your platforms are:",
                platforms.owned,
            )
        own.append(canonical)
    return own


def _campaigns(named: list[CampaignMatch]) -> list[CampaignInfo]:
    chosen: list[CampaignInfo] = []
    for match in named:
        if len(match.campaigns) > 1:
            raise _AskBackError(
                "ambiguous",
                f"Several of your campaigns match \u201c{match.phrase}\u201d; which one?",
                [c.name for c in match.campaigns],
            )
        chosen += [c for c in match.campaigns if c not in chosen]
    return chosen


def _latest(parsed: Parsed, own: list[CampaignInfo], today: dt.date, first: bool) -> CampaignInfo:
    """The caller's campaign with the greatest (or, for "first", least) start date that has
    started and is not deleted, on the platforms named if any."""
    pool = [
        c
        for c in own
        if not c.is_deleted
        and c.start_date <= today
        and all(p in c.platforms for p in parsed.platforms)
    ]
    where = f" on {' and '.join(parsed.platforms)}" if parsed.platforms else ""
    if not pool:
        raise _AskBackError("unknown", f"You have no campaign{where} that has started yet.", ())
    edge = (min if first else max)(c.start_date for c in pool)
    tied = [c for c in pool if c.start_date == edge]
    word = "first" if first else "latest"
    if len(tied) > 1:
        raise _AskBackError(
            "ambiguous",
            f"{len(tied)} of your campaigns{where} started on {edge:%-d %b %Y}; which one?",
            [c.name for c in tied],
        )
    on = f" {' and '.join(parsed.platforms)}" if parsed.platforms else ""
    parsed.latest = f"your {word}{on} campaign (started {edge:%-d %b %Y})"
    return tied[0]


def _descending(direction_words: list[str], metric: str) -> bool:
    if not direction_words:
        return True
    word = direction_words[0]
    up = re.fullmatch(_UP, word) is not None
    if word in {"best", "worst", "strongest", "weakest"} and metric in COST_METRICS:
        return not up  # the best CPA is the lowest
    return up


def _trend_grain(period: Period | None) -> str:
    if period is None or period.days() > 190:
        return "week" if period is None else "month"
    return "day" if period.days() <= 31 else "week"


def _periods_and_intent(
    parsed: Parsed, found: list[Found], is_trend: bool, is_compare: bool, baseline_said: bool
) -> None:
    periods = [f.period for f in found]
    if len(periods) > 2 or (len(periods) == 2 and not is_compare):
        raise _AskBackError(
            "ambiguous",
            "That names several periods; which one? (or ask to compare two)",
            [p.spelled() for p in periods],
        )
    entities = len(parsed.platforms) > 1 or len(parsed.campaigns) > 1
    if is_compare and entities and len(periods) <= 1:  # Google vs Meta (last month)
        parsed.intent = "compare"
        parsed.period = periods[0] if periods else None
        return
    if is_compare:
        if not periods:
            _compare_missing()
        current = max(periods, key=lambda p: p.start)
        earlier = min(periods, key=lambda p: p.start)
        if len(periods) == 1 and baseline_said and current.unit and not current.to_date:
            current = current.following(parsed.today)  # this week, vs last week
        elif earlier == current:  # "last month compared with the previous month": before it
            earlier = current.previous()  # type: ignore[assignment]
        before_current = current.previous()
        comparable = (
            earlier is not None
            and before_current is not None
            and current.unit in {"day", "week", "month", "quarter"}
            and earlier.unit == current.unit
            and before_current.start == earlier.start
        )
        if not comparable:
            raise _AskBackError(
                "unsupported",
                "I can compare a day, week, month or quarter with the one before; for example:",
                (
                    "spend this month vs last month",
                    "CTR last week vs the week before",
                    "clicks yesterday vs the day before",
                ),
            )
        assert earlier is not None
        parsed.intent = "compare"
        parsed.compared = (earlier, current)
        parsed.period = Period(earlier.start, current.end, f"{earlier.label} and {current.label}")
        return
    if is_trend:
        parsed.intent = "trend"
    parsed.period = periods[0] if periods else None


def _baseline_said(text: str, compare_words: list[re.Match[str]], found: list[Found]) -> bool:
    """ "clicks vs last week": the one period is what "vs" compares with (so the current
    one is compared with it), not the one compared with its previous."""
    if len(found) != 1:
        return False
    start = found[0].span[0]
    for m in compare_words:
        if "period" in m[0] or "before" in m[0] or m.end() > start:
            continue
        if all(word in {"the", "with", "to"} for word in text[m.end() : start].split()):
            return True
    return False


def _compare_missing() -> None:
    raise _AskBackError(
        "missing",
        "Compare with what? Name two periods, platforms or campaigns, for example:",
        (
            "spend this month vs last month",
            "CTR last week vs the week before",
            "ROAS Google vs Meta last month",
        ),
    )

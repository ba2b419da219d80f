"""Campaign and platform names, matched against the caller's own campaigns only.

Names are found in two passes. First verbatim (after normalization): a campaign's full name,
the name without the prefix all the caller's campaigns share (the advertiser's name, in the
demo data) and either without its year; this runs before the grammar, so a campaign called
"Q4 Growth 2026" or "Always On" is not read as a period or as filler. Then, for the words no
rule explained, fuzzy with rapidfuzz: ``WRatio`` over the whole phrase with
``utils.default_process`` (rapidfuzz 3 no longer preprocesses by default) and a score cutoff,
and every word of the phrase must match a word of the name (numbers exactly), so another
advertiser's "Globex Black Friday" does not become the caller's "Black Friday". Two names
within the margin of each other are a question back, never a pick.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from campaign_analytics.ask.normalize import normalize
from campaign_analytics.ask.vocabulary import PLATFORM_ALIASES
from campaign_analytics.metrics.campaigns import CampaignInfo

SCORE_CUTOFF = 70  # WRatio of the phrase against a name (every word must match too)
WORD_CUTOFF = 75  # each word of the phrase against its best word ("sael" is "sale")
MARGIN = 5  # the best name must beat the next by this much
PLATFORM_WORD_CUTOFF = 80  # a misspelt platform ("linkdin", "googel")
_YEAR = re.compile(r"\s(?:19|20)\d\d$")


@dataclass(frozen=True)
class CampaignMatch:
    phrase: str
    campaigns: tuple[CampaignInfo, ...]  # one: found; several: ambiguous; none: unknown
    nearest: tuple[str, ...] = ()  # the caller's names closest to an unknown phrase


def _common_prefix(names: Sequence[str]) -> str:
    """The words every name starts with ("acme corp "), when there are two names or more."""
    if len(names) < 2:
        return ""
    split = [name.split() for name in names]
    prefix: list[str] = []
    for column in zip(*split, strict=False):
        if len(set(column)) != 1:
            break
        prefix.append(column[0])
    shortest = min(len(words) for words in split)
    return " ".join(prefix[: shortest - 1]) + " " if prefix else ""


class CampaignNames:
    """The caller's campaigns, by the names a question may use for them."""

    def __init__(self, campaigns: Iterable[CampaignInfo]) -> None:
        self.campaigns = list(campaigns)
        self.normalized = [normalize(c.name) for c in self.campaigns]
        prefix = _common_prefix(self.normalized)
        variants: dict[str, set[int]] = {}
        for index, name in enumerate(self.normalized):
            short = name.removeprefix(prefix) if prefix else name
            for variant in {name, short, _YEAR.sub("", name), _YEAR.sub("", short)}:
                if len(variant) >= 4:
                    variants.setdefault(variant, set()).add(index)
        self._variants = sorted(variants.items(), key=lambda item: -len(item[0]))
        self._words = [set(name.split()) for name in self.normalized]
        self._pairs = [
            [a + b for a, b in zip(name.split(), name.split()[1:], strict=False)] or [""]
            for name in self.normalized
        ]
        # the words every name starts with: the caller's own name ("acme corp")
        self.prefix_words = frozenset(prefix.split())

    def words_of(self, campaign: CampaignInfo) -> set[str]:
        return self._words[self.campaigns.index(campaign)]

    def find_verbatim(self, text: str) -> list[tuple[tuple[int, int], CampaignMatch]]:
        """Names said verbatim in ``text`` (normalized), longest first, not overlapping."""
        taken = [False] * len(text)
        found = []
        for variant, indexes in self._variants:
            for m in re.finditer(rf"(?<!\w){re.escape(variant)}(?!\w)", text):
                start, end = m.span()
                if any(taken[start:end]):
                    continue
                taken[start:end] = [True] * (end - start)
                match = CampaignMatch(variant, tuple(self.campaigns[i] for i in sorted(indexes)))
                found.append(((start, end), match))
        return sorted(found, key=lambda item: item[0])

    def _covers(self, words: list[str], index: int) -> float:
        """The worst of the phrase's words against the name's words (numbers exactly)."""
        name_words = self._words[index]
        worst = 100.0
        for word in words:
            if word.isdigit():
                score = 100.0 if word in name_words else 0.0
            else:
                best = process.extractOne(word, name_words, scorer=fuzz.ratio)
                score = best[1] if best else 0.0
                if len(word) >= 6:  # two words of the name run together: "blackfriday"
                    score = max(score, *(fuzz.ratio(word, pair) for pair in self._pairs[index]))
            worst = min(worst, score)
        return worst

    def find_fuzzy(self, phrase: str) -> CampaignMatch:
        words = phrase.split()
        if not words or not self.campaigns:
            return CampaignMatch(phrase, ())
        scored = process.extract(
            phrase,
            self.normalized,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=SCORE_CUTOFF,
            limit=None,
        )
        candidates = sorted(
            (
                (min(score, self._covers(words, index)), score, index)
                for _, score, index in scored
                if self._covers(words, index) >= WORD_CUTOFF
            ),
            reverse=True,
        )
        if not candidates:
            nearest = process.extract(
                phrase,
                [c.name for c in self.campaigns],
                scorer=fuzz.WRatio,
                processor=utils.default_process,
                score_cutoff=60,
                limit=3,
            )
            return CampaignMatch(phrase, (), tuple(name for name, _, _ in nearest))
        best = candidates[0][0]
        close = [index for score, _, index in candidates if best - score < MARGIN]
        return CampaignMatch(phrase, tuple(self.campaigns[i] for i in close))


@dataclass(frozen=True)
class Platforms:
    """Platform words, and the platforms the caller's campaigns ran on."""

    owned: tuple[str, ...]  # channel names as the data spells them

    @classmethod
    def of(cls, campaigns: Iterable[CampaignInfo]) -> Platforms:
        return cls(tuple(sorted({p for c in campaigns for p in c.platforms})))

    def aliases(self) -> dict[str, str]:
        """Phrase (normalized) -> channel name, the caller's own spellings included."""
        aliases = {normalize(name): name for name in self.owned}
        for alias, name in PLATFORM_ALIASES.items():
            aliases.setdefault(alias, name)
        return aliases

    def canonical(self, name: str) -> str | None:
        """The caller's spelling of ``name``, or None when none of its campaigns ran there."""
        return next((own for own in self.owned if own.lower() == name.lower()), None)

    def misspelt(self, word: str) -> str | None:
        """The platform a longer word misspells ("linkdin" -> LinkedIn), if one is close."""
        if len(word) < 4 or word.isdigit():
            return None
        aliases = {alias: name for alias, name in self.aliases().items() if len(alias) >= 4}
        best = process.extractOne(
            word, list(aliases), scorer=fuzz.ratio, score_cutoff=PLATFORM_WORD_CUTOFF
        )
        return aliases[best[0]] if best else None

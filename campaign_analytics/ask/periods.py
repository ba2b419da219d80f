"""Periods in plain English -> inclusive day ranges, relative to an injected ``today``.

A small table-driven grammar of our own: date libraries return points, not ranges, and miss
"this quarter" or "last 7 days". The rules, one for every unit:

- "this week/month/quarter/year" (and WTD/MTD/QTD/YTD, "so far this ...") run from the
  unit's first day to ``today``;
- "last/previous/past week/month/quarter/year" is the whole unit before the current one
  (weeks are ISO weeks, Monday to Sunday), and "last N weeks/months" the N whole units before
  the current one; "last N days" the N whole days before today;
- a month, quarter or year by name is the whole unit ("March 2026", "Q3 2026", "in 2025"); a
  month or quarter without a year is its most recent occurrence that has started;
- "since <month or day>" runs to ``today``; explicit days and ranges ("3 Nov 2026",
  "2026-11-03", "1-7 Dec 2026", "from 1 Nov to 15 Nov") without a year are the most recent;
- anything that starts after ``today`` is the future, which the data cannot answer.

``today`` is the caller's date in the caller's timezone (:func:`today_in`); the warehouse
counts days in UTC, and the ranges are days, so they mean the same thing on both sides.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UNITS = ("day", "week", "month", "quarter", "year")
DASH = "\u2013"  # en dash, between the ends of a range

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
NUMBER_WORDS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "thirty": 30,
    "ninety": 90,
}
ORDINAL_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}
ORDINAL_QUARTERS |= {"fourth": 4, "4th": 4, "last": 4}


class PeriodError(ValueError):
    """A period the grammar recognized but cannot answer (the future, an impossible day)."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str  # how the question named it: "last week", "Q3 2026"
    unit: str | None = None  # a calendar unit (day ... year), None for a custom range
    to_date: bool = False  # the current unit, up to today

    def days(self) -> int:
        return (self.end - self.start).days + 1

    def spelled(self) -> str:
        """The label and the days: "last week (9-15 Nov 2026)", with an en dash."""
        days = spell_range(self.start, self.end)
        return days if self.label == days else f"{self.label} ({days})"

    def following(self, today: dt.date) -> Period:
        """The unit after this one, up to ``today`` ("vs last week": this week so far)."""
        assert self.unit is not None
        start = shift(unit_start(self.start, self.unit), self.unit, 1)
        period = whole(start, self.unit, label=None)
        if period.end < today:
            return period
        return Period(start, today, f"this {self.unit} so far", self.unit, to_date=True)

    def previous(self) -> Period | None:
        """The whole unit before this one (for "compare with the previous period")."""
        if self.unit is None:
            return None
        start = shift(unit_start(self.start, self.unit), self.unit, -1)
        return whole(start, self.unit, label=None)


@dataclass(frozen=True)
class Found:
    period: Period
    span: tuple[int, int]  # where it was said, in the normalized text


def today_in(timezone: str) -> dt.date:
    """Today's date where the caller is (an IANA name such as Europe/Berlin)."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def spell_day(day: dt.date) -> str:
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"


def spell_range(start: dt.date, end: dt.date) -> str:
    """Inclusive days as people write them: "1-7 Dec 2026", "28 Nov-4 Dec 2026" (en dash)."""
    if start == end:
        return spell_day(start)
    if start.year != end.year:
        return f"{spell_day(start)}{DASH}{spell_day(end)}"
    if start.month != end.month:
        return f"{start.day} {calendar.month_abbr[start.month]}{DASH}{spell_day(end)}"
    return f"{start.day}{DASH}{spell_day(end)}"


def unit_start(day: dt.date, unit: str) -> dt.date:
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def shift(start: dt.date, unit: str, count: int) -> dt.date:
    """The first day ``count`` units after (before, when negative) the unit at ``start``."""
    if unit == "day":
        return start + dt.timedelta(days=count)
    if unit == "week":
        return start + dt.timedelta(weeks=count)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * count
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def unit_label(start: dt.date, unit: str) -> str:
    if unit == "day":
        return spell_day(start)
    if unit == "week":
        return f"the week of {spell_day(start)}"
    if unit == "month":
        return f"{calendar.month_abbr[start.month]} {start.year}"
    if unit == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return str(start.year)


def whole(start: dt.date, unit: str, label: str | None) -> Period:
    end = shift(start, unit, 1) - dt.timedelta(days=1)
    return Period(start, end, label or unit_label(start, unit), unit)


# -- the grammar -------------------------------------------------------------------------

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMBER = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
# a day: ISO, "3 nov [2026]", "nov 3[rd][, 2026]"
_DAY = (
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}{_ORD}(?: of)? (?:{_MONTH})(?:,? {_YEAR})?"
    rf"|(?:{_MONTH}) \d{{1,2}}{_ORD}(?:,? {_YEAR})?)"
)
_UNIT = r"(?P<unit>day|week|month|quarter|year)s?"
_THIS = r"(?:this|current|the current)"
_LAST = r"(?:last|previous|past|prior|the last|the previous|the past|the prior)"
_TO = r"(?:-|to|until|till|through|thru|and)"


def _day(text: str, today: dt.date) -> tuple[dt.date, bool]:
    """A day, and whether its year was given."""
    text = text.replace(",", "").replace(" of ", " ")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text), True
        except ValueError:
            raise PeriodError(f"{text} is not a valid day") from None
    parts = text.split()
    if parts[0].rstrip("stndrh").isdigit():
        number, month = parts[0], parts[1]
    else:
        month, number = parts[0], parts[1]
    day_number = int(re.sub(r"\D", "", number))
    year = int(parts[2]) if len(parts) > 2 else None
    return _calendar_day(year, MONTHS[month], day_number, today), year is not None


def _calendar_day(year: int | None, month: int, day: int, today: dt.date) -> dt.date:
    try:
        if year is not None:
            return dt.date(year, month, day)
        candidate = dt.date(today.year, month, day)
        return candidate if candidate <= today else dt.date(today.year - 1, month, day)
    except ValueError:
        raise PeriodError(f"{calendar.month_abbr[month]} {day} is not a valid day") from None


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def _recent_month(month: int, year: str | None, today: dt.date) -> dt.date:
    if year:
        return dt.date(int(year), month, 1)
    start = dt.date(today.year, month, 1)
    return start if start <= today else dt.date(today.year - 1, month, 1)


def _recent_quarter(quarter: int, year: str | None, today: dt.date) -> dt.date:
    return _recent_month(quarter * 3 - 2, year, today)


def _rule_range(m: re.Match[str], today: dt.date) -> Period:
    (start, start_has_year), (end, end_has_year) = _day(m["a"], today), _day(m["b"], today)
    if end_has_year and not start_has_year:  # "1 Dec to 7 Dec 2026": the year of the end
        start = start.replace(year=end.year)
        if start > end:
            start = start.replace(year=end.year - 1)
    if start > end:
        raise PeriodError(f"the range {m[0]!r} ends before it starts")
    return Period(start, end, spell_range(start, end))


def _rule_day_range(m: re.Match[str], today: dt.date) -> Period:
    month, year = MONTHS[m["month"]], m["year"]
    first, last = int(m["d1"]), int(m["d2"])
    end = _calendar_day(int(year) if year else None, month, last, today)
    start = _calendar_day(end.year, month, first, today)
    if start > end:
        raise PeriodError(f"the range {m[0]!r} ends before it starts")
    return Period(start, end, spell_range(start, end))


def _rule_since(m: re.Match[str], today: dt.date) -> Period:
    what = m["what"]
    if what in MONTHS or re.fullmatch(rf"(?:{_MONTH}) {_YEAR}", what):
        month, *year = what.split()
        start = _recent_month(MONTHS[month], year[0] if year else None, today)
    else:
        start = _day(what, today)[0]
    return Period(start, today, f"since {spell_day(start)}")


def _rule_single_day(m: re.Match[str], today: dt.date) -> Period:
    day = _day(m["day"], today)[0]
    return Period(day, day, spell_day(day), "day")


def _rule_today(m: re.Match[str], today: dt.date) -> Period:
    return Period(today, today, "today", "day", to_date=True)


def _rule_yesterday(m: re.Match[str], today: dt.date) -> Period:
    day = today - dt.timedelta(days=1)
    return Period(day, day, "yesterday", "day")


def _rule_this(m: re.Match[str], today: dt.date) -> Period:
    unit = m["unit"]
    return Period(unit_start(today, unit), today, f"this {unit} so far", unit, to_date=True)


def _rule_to_date(m: re.Match[str], today: dt.date) -> Period:
    letter = (m["u"] or m["u2"])[0]
    unit = {"w": "week", "m": "month", "q": "quarter", "y": "year"}[letter]
    return Period(unit_start(today, unit), today, f"this {unit} so far", unit, to_date=True)


def _rule_last(m: re.Match[str], today: dt.date) -> Period:
    unit = m["unit"]
    if unit == "day":
        return _rule_yesterday(m, today)
    start = shift(unit_start(today, unit), unit, -1)
    return whole(start, unit, f"last {unit}")


def _rule_last_n(m: re.Match[str], today: dt.date) -> Period:
    count, unit = _number(m["n"]), m["unit"]
    if count < 1:
        raise PeriodError(f"{m[0]!r} is an empty period")
    if unit == "day":
        end = today - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=count - 1), end, f"the last {count} days")
    if unit in {"week", "month", "quarter", "year"}:
        current = unit_start(today, unit)
        start = shift(current, unit, -count)
        return Period(start, current - dt.timedelta(days=1), f"the last {count} {unit}s")
    raise PeriodError(f"{m[0]!r} is not a period")


def _group(m: re.Match[str], name: str) -> str | None:
    return m.groupdict().get(name)


def _rule_quarter(m: re.Match[str], today: dt.date) -> Period:
    quarter = int(m["q"]) if m["q"] else ORDINAL_QUARTERS[m["ord"]]
    if not 1 <= quarter <= 4:
        raise PeriodError(f"Q{quarter} is not a quarter")
    return whole(_recent_quarter(quarter, _group(m, "year"), today), "quarter", None)


def _rule_month(m: re.Match[str], today: dt.date) -> Period:
    return whole(_recent_month(MONTHS[m["month"]], _group(m, "year"), today), "month", None)


def _rule_year(m: re.Match[str], today: dt.date) -> Period:
    return whole(dt.date(int(m["year"]), 1, 1), "year", None)


def _rule_future(m: re.Match[str], today: dt.date) -> Period:
    raise PeriodError(f"{m[0]!r} is in the future")


# (pattern, rule), tried in order on what is left of the text; earlier rules win overlaps
_RULES = [
    (rf"\b(?:next|coming|upcoming) (?:{_NUMBER} )?{_UNIT}|\btomorrow\b", _rule_future),
    (rf"\b(?:from |between )?(?P<a>{_DAY}) {_TO} (?P<b>{_DAY})\b", _rule_range),
    (
        rf"\b(?P<d1>\d{{1,2}}){_ORD} ?(?:-|to) ?(?P<d2>\d{{1,2}}){_ORD} (?P<month>{_MONTH})"
        rf"(?:,? (?P<year>{_YEAR}))?\b",
        _rule_day_range,
    ),
    (
        rf"\b(?P<month>{_MONTH}) (?P<d1>\d{{1,2}}){_ORD} ?(?:-|to) ?(?P<d2>\d{{1,2}}){_ORD}"
        rf"(?:,? (?P<year>{_YEAR}))?\b",
        _rule_day_range,
    ),
    (
        rf"\bsince (?:the )?(?:start of |beginning of )?"
        rf"(?P<what>{_DAY}|(?:{_MONTH})(?: {_YEAR})?)\b",
        _rule_since,
    ),
    (rf"\b(?:on )?(?P<day>{_DAY})\b", _rule_single_day),
    (r"\btoday\b|\bso far today\b", _rule_today),
    (r"\byesterday\b", _rule_yesterday),
    (rf"\b(?:so far )?{_THIS} {_UNIT}(?: so far| to date)?\b", _rule_this),
    (r"\b(?P<u>week|month|quarter|year)[- ]to[- ]date\b|\b(?P<u2>[wmqy])td\b", _rule_to_date),
    (rf"\b(?P<year>{_YEAR}) q(?P<q>\d)\b(?P<ord>)", _rule_quarter),
    (
        rf"\b(?:the )?(?:q(?P<q>\d)|(?P<ord>{'|'.join(ORDINAL_QUARTERS)}) quarter)(?: of| in)?"
        rf" (?P<year>{_YEAR})\b",
        _rule_quarter,
    ),
    (
        rf"\b(?:the )?(?:q(?P<q>\d)|(?P<ord>{'|'.join(o for o in ORDINAL_QUARTERS if o != 'last')})"
        r" quarter)\b",
        _rule_quarter,
    ),
    (rf"\b{_LAST} (?P<n>{_NUMBER}) {_UNIT}\b", _rule_last_n),
    (rf"\b{_LAST} {_UNIT}(?:'s|s)?\b", _rule_last),
    (rf"\b(?:in |during |for |of )?(?P<month>{_MONTH}),? (?P<year>{_YEAR})\b", _rule_month),
    # a month alone: "may" only after a preposition (it is also a verb)
    (rf"\b(?:in|during|for|of|over) (?P<month>{_MONTH})\b", _rule_month),
    (rf"\b(?P<month>{'|'.join(m for m in MONTHS if m != 'may')})\b", _rule_month),
    # a year alone only after a preposition: campaign names end in years too
    (rf"\b(?:in|during|for|of|over|year) (?P<year>{_YEAR})\b", _rule_year),
]
_COMPILED = [(re.compile(pattern), rule) for pattern, rule in _RULES]


def find_periods(text: str, today: dt.date) -> list[Found]:
    """Every period said in ``text`` (normalized: lower case, single spaces), in order.

    Raises :class:`PeriodError` for one that cannot be answered (the future, no such day).
    """
    found: list[Found] = []
    taken = [False] * len(text)
    for pattern, rule in _COMPILED:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(taken[start:end]):
                continue
            period = rule(m, today)
            if period.start > today:
                raise PeriodError(
                    f"{m[0]!r} ({spell_range(period.start, period.end)}) is in the future"
                )
            taken[start:end] = [True] * (end - start)
            found.append(Found(period, (start, end)))
    return sorted(found, key=lambda f: f.span)

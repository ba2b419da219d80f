"""One spelling for every question: the grammar and the name matcher read the same text."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 300

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
# kept: letters, digits, and the marks the grammar reads (ISO days and ranges, "what's", "%")
_OTHER = re.compile(r"[^\w\s'%.-]|_|(?<!\d)\.|\.(?!\d)")
_LONE_MARKS = re.compile(r"(?<![\w])['-]+|['-]+(?![\w])")


def normalize(text: str) -> str:
    """Lower case, Unicode compatibility forms (full-width digits, ligatures), one kind of
    quote and dash, every other mark a space, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = _DASHES.sub("-", text)
    text = re.sub(r"(?<=[^\W\d])-(?=[^\W\d])", " ", text)  # "brand-lift" is "brand lift"
    text = _OTHER.sub(" ", text)  # a point stays only between digits
    # "1-7 dec" and "2026-11-03" keep their dashes; a dash or quote standing alone goes
    text = _LONE_MARKS.sub(" ", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return re.findall(r"[\w'%.-]+", text)

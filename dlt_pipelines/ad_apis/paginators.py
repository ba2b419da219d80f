"""Paginators for report APIs that cap the date range of one request.

TikTok's daily reports accept at most 30 days per request and LinkedIn's adAnalytics has no
pages at all (it truncates at 15,000 elements), so both walk the requested range in windows
of ``window_days``: TikTok pages through each window by page number, LinkedIn asks once per
window. The incremental start and the end of the range arrive as request parameters
(``start_param`` / ``end_param``), filled in by rest_api, and the paginator replaces them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import Request, Response


def date_windows(start: dt.date, end: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    """[start, end] cut into consecutive inclusive windows of at most ``days`` days."""
    windows = []
    while start <= end:
        last = min(end, start + dt.timedelta(days=days - 1))
        windows.append((start, last))
        start = last + dt.timedelta(days=1)
    return windows or [(end, end)]


class _DateWindowPaginator(BasePaginator):
    def __init__(self, window_days: int, start_param: str, end_param: str) -> None:
        super().__init__()
        if window_days < 1:
            raise ValueError(f"window_days must be at least 1, not {window_days}")
        self.window_days = window_days
        self.start_param = start_param
        self.end_param = end_param
        self.windows: list[tuple[dt.date, dt.date]] = []
        self.window = 0

    def _take_range(self, request: Request) -> None:
        params = dict(request.params or {})
        start = dt.date.fromisoformat(str(params.pop(self.start_param)))
        end = dt.date.fromisoformat(str(params.pop(self.end_param)))
        request.params = params
        self.windows = date_windows(start, end, self.window_days)
        self.window = 0

    @property
    def current_window(self) -> tuple[dt.date, dt.date]:
        return self.windows[self.window]

    def _next_window(self) -> None:
        self.window += 1
        self._has_next_page = self.window < len(self.windows)


class WindowedPageNumberPaginator(_DateWindowPaginator):
    """Page numbers (``page``, from 1) inside date windows; ``total_path`` gives the page count."""

    def __init__(
        self,
        *,
        window_days: int,
        total_path: str,
        start_param: str = "start_date",
        end_param: str = "end_date",
        page_param: str = "page",
    ) -> None:
        super().__init__(window_days, start_param, end_param)
        self.total_path = jsonpath.compile_path(total_path)
        self.page_param = page_param
        self.page = 1

    def init_request(self, request: Request) -> None:
        self._take_range(request)
        self.page = 1
        self._set(request)

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        totals = jsonpath.find_values(self.total_path, response.json())
        total_pages = int(totals[0]) if totals and totals[0] is not None else 0
        if self.page < total_pages:
            self.page += 1
        else:
            self.page = 1
            self._next_window()

    def update_request(self, request: Request) -> None:
        if self._has_next_page:
            self._set(request)

    def _set(self, request: Request) -> None:
        start, end = self.current_window
        request.params = {
            **(request.params or {}),
            self.start_param: start.isoformat(),
            self.end_param: end.isoformat(),
            self.page_param: self.page,
        }


class RestliDateWindowPaginator(_DateWindowPaginator):
    """One request per window, with LinkedIn's Rest.li 2.0 query string.

    Rest.li values carry structure, ``dateRange=(start:(year:2026,month:11,day:1),end:(...))``
    and ``accounts=List(urn%3Ali%3AsponsoredAccount%3A1)``: the parentheses, colons and commas
    must reach the server as they are, while requests would percent-encode them as parameters.
    So the paginator writes the query string itself, from parameters given already in Rest.li
    form, and adds each window's ``dateRange``.
    """

    def __init__(
        self, *, window_days: int, start_param: str = "start", end_param: str = "end"
    ) -> None:
        super().__init__(window_days, start_param, end_param)
        self.params: dict[str, Any] = {}

    def init_request(self, request: Request) -> None:
        self._take_range(request)
        self.params = dict(request.params or {})
        request.params = None
        self._set(request)

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        self._next_window()

    def update_request(self, request: Request) -> None:
        if self._has_next_page:
            self._set(request)

    @staticmethod
    def _restli_date(day: dt.date) -> str:
        return f"(year:{day.year},month:{day.month},day:{day.day})"

    def _set(self, request: Request) -> None:
        start, end = self.current_window
        pairs = [
            *self.params.items(),
            ("dateRange", f"(start:{self._restli_date(start)},end:{self._restli_date(end)})"),
        ]
        query = "&".join(f"{name}={value}" for name, value in pairs)
        request.url = urlunsplit(urlsplit(request.url)._replace(query=query))

"""Local fakes of the Meta, Google Ads, TikTok and LinkedIn reporting APIs (see server.py)."""

from tests.fake_ad_apis.server import FAULT_KINDS, FakeAdApis, Fault, Recorded

__all__ = ["FAULT_KINDS", "FakeAdApis", "Fault", "Recorded"]

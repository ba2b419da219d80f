"""dbt-tests-adapter's `--empty` and `--sample` suites on dbt-chdb. Long: runs in .ci/run.

`--empty` builds every model on zero-row inputs (refs and sources become `limit 0`
subqueries); `--sample` builds on an event-time window of the inputs. The sample suite freezes
the clock with freezegun: conftest.py imports pandas first (see there).
"""

from __future__ import annotations

import pytest
from dbt.tests.adapter.empty.test_empty import BaseTestEmpty, BaseTestEmptyInlineSourceRef
from dbt.tests.adapter.sample_mode.test_sample_mode import BaseSampleModeTest

pytestmark = pytest.mark.adapter_suite


class TestEmpty(BaseTestEmpty):
    pass


class TestEmptyInlineSourceRef(BaseTestEmptyInlineSourceRef):
    pass


class TestSampleMode(BaseSampleModeTest):
    pass

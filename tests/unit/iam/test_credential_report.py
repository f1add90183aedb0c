"""The credential report's lifetime: COMPLETE while fresh, ReportExpired after four hours,
and a new report once generated again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from iamd.errors import ReportExpired

from .harness import make_harness


def test_a_report_expires_after_four_hours(tmp_path: Path) -> None:
    h = make_harness(tmp_path)
    assert h.call("GenerateCredentialReport")["State"] == "STARTED"
    first = h.call("GetCredentialReport")["GeneratedTime"]
    h.clock.advance(dt.timedelta(hours=3, minutes=59).total_seconds())
    assert h.call("GenerateCredentialReport")["State"] == "COMPLETE"
    h.clock.advance(60)
    with pytest.raises(ReportExpired):
        h.call("GetCredentialReport")
    assert h.call("GenerateCredentialReport")["State"] == "STARTED"
    assert h.call("GetCredentialReport")["GeneratedTime"] > first

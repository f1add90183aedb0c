"""Runs tests/cases/protocol/requests.json: form pairs -> params, or the exact AWS error.

Set IAMD_PROTOCOL_CASE to a case name to run only that case.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from iamd.errors import ServiceError
from iamd.protocol import parse_request

CASES_FILE = Path(__file__).resolve().parents[2] / "cases" / "protocol" / "requests.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]
ONLY = os.environ.get("IAMD_PROTOCOL_CASE")
SELECTED = [case for case in CASES if ONLY is None or case["name"] == ONLY]


def test_case_names_are_unique() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", SELECTED, ids=[case["name"] for case in SELECTED])
def test_request_case(case: dict[str, Any]) -> None:
    pairs = list(case["form"].items())
    if "error" in case:
        with pytest.raises(ServiceError) as caught:
            parse_request(case["service"], pairs)
        assert caught.value.code == case["error"]["code"]
        assert caught.value.message == case["error"]["message"]
        assert caught.value.http_status == 400
    else:
        assert parse_request(case["service"], pairs).params == case["params"]

"""Fixtures for the console unit tests: the STS tests' store, box, clock and key ring."""

from __future__ import annotations

from unit.sts.conftest import START, box, clock, db, ring, rng

__all__ = ["START", "box", "clock", "db", "ring", "rng"]

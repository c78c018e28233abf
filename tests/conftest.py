"""Shared fixtures and the one hypothesis settings profile set (chosen by NTMCERT_PROFILE)."""

from __future__ import annotations

import copy
import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from ntmcert import default_library
from ntmcert.inputs.catalogue import bundled_catalogue

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
THANH_PHU = SEEDS / "thanh-phu-2024.yaml"

# dev: quick local runs; ci: the profile CI runs (examples per property stated in the README)
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=1000, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("NTMCERT_PROFILE", "dev"))


@pytest.fixture(scope="session")
def library():
    return default_library()


@pytest.fixture(scope="session")
def catalogue():
    return bundled_catalogue()


def base_factset(**changes) -> dict:
    """A minimal valid Trà Vinh fact set as a dict; keyword arguments replace top-level keys."""
    data = {
        "format": "ntmcert/factset/v1",
        "commune": {"name": "Xã Thử Nghiệm", "province": "Trà Vinh", "region": "dbscl"},
        "as_of": dt.date(2024, 8, 31),
        "recognitions": [
            {"tier": "ntm_advanced", "decision": "1/QĐ-UBND", "date": dt.date(2023, 5, 1)},
            {"tier": "ntm_model", "decision": "2/QĐ-UBND", "date": dt.date(2024, 2, 6)},
        ],
        "facts": {},
        "hamlets": [],
    }
    data.update(copy.deepcopy(changes))
    return data


def pct(text: str) -> dict:
    return {"percent": Decimal(text)}


def reorder_keys(value):
    """The same document with every mapping's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reorder_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reorder_keys(v) for v in value]
    return value


def pytest_configure(config):
    from tests.installed import stale_files

    stale = stale_files()
    if stale:
        raise pytest.UsageError(
            f"the installed ntmcert differs from this checkout in {len(stale)} file(s), e.g. {', '.join(stale[:5])}: "
            "the tests would exercise the old copy. Use `pip install -e '.[test]'` while developing, "
            "or reinstall with `pip install '.[test]'`.")

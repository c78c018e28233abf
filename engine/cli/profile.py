"""The dossier profile: who issues the report, where and when, and who prepared and checked it.

Given as options (`--org`, `--place`, `--assessed-on`, `--prepared-by`, …) or in a small YAML file
(`--profile`, format ntmcert/profile/v1) that the options override. Nothing is filled in when absent.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from ntmcert.core.dates import StrictDate
from ntmcert.inputs.validation import validate_document
from ntmcert.inputs.yamlio import load_path
from ntmcert.render.dossier import Dossier
from pydantic import BaseModel, ConfigDict, Field

_TEXT = Field(default=None, min_length=1, max_length=200)


class ProfileInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    format: Literal["ntmcert/profile/v1"]
    org: str | None = _TEXT
    parent_org: str | None = _TEXT
    place: str | None = _TEXT
    assessed_on: StrictDate | None = None
    prepared_by: str | None = _TEXT
    checked_by: str | None = _TEXT
    approved_by: str | None = _TEXT


def load_profile(path: Path) -> ProfileInput:
    profile, collector = validate_document(load_path(path), ProfileInput, "profile")
    collector.raise_if_any()
    return profile


def dossier(profile: Path | None, *, hypothetical: bool = False, **given: str | dt.date | None) -> Dossier:
    """The profile file's fields, each replaced by an option that was given."""
    base = load_profile(profile).model_dump(exclude={"format"}) if profile else {}
    base.update({k: v for k, v in given.items() if v is not None})
    return Dossier(hypothetical=hypothetical, **base)

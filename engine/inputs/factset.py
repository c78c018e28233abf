"""Commune fact sets (format ntmcert/factset/v1): the input schema, its validation, its hash.

`FactSetInput` is the pydantic model of the document's envelope; `FactSet` is the validated
domain object every later stage uses, with each fact value turned into an exact `FactValue`
(inputs.factvalues).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast

from ntmcert.core.dates import strict_date
from ntmcert.core.errors import InputError, ProblemCollector
from ntmcert.core.text import nfc, shorten
from ntmcert.core.vocab import REGION_NAMES, TIER_NAMES, TIER_ORDER, Region, Tier, tier_rank  # noqa: F401  (re-exported for fact-set users)
from ntmcert.inputs.catalogue import Catalogue, Level, bundled_catalogue
from ntmcert.inputs.factvalues import FactValue, Report, parse_fact_value
from ntmcert.inputs.validation import add_pydantic_problems
from ntmcert.inputs.yamlio import Document, KeyPath, check_text, load_path, to_date
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

FORMAT = "ntmcert/factset/v1"
MAX_FACTS = 1_000  # facts of a commune (or a hamlet): the catalogue holds about a hundred ids
MAX_HAMLETS = 500  # hamlets (ấp, thôn) of one commune: a few dozen at most
MAX_SUGGESTIONS = 20  # unknown fact ids that get a "did you mean"


_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Special(BaseModel):
    """Flags that make a commune use another region's thresholds (QĐ 318, amended 2024)."""

    model_config = _STRICT
    extremely_difficult: bool = False
    coastal_island: bool = False
    # khu vực I, II or III of the ethnic-minority and mountain areas; only II and III change the thresholds
    ethnic_minority_region: Literal["I", "II", "III"] | None = None
    safe_zone: bool = False
    poor_district: bool = False


class Commune(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1)
    province: str = Field(min_length=1)
    district: str | None = None
    code: str | None = None
    region: Region
    group: Literal[1, 2, 3] | None = None  # commune group of the 2026–2030 set, when known
    special: Special = Special()


class Citation(BaseModel):
    """Where a fact set's figures come from (e.g. a newspaper article)."""

    model_config = _STRICT
    document: str = Field(min_length=1)
    publisher: str | None = None
    date: dt.date | None = None
    url: str | None = None
    note: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v):
        return _date_field(v)


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A decision date that may be known only to the year or month ("2023")."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def latest(self) -> dt.date:
        """The last day the date could be: a recognition counts only if even this is <= as_of."""
        if self.day is not None:  # _checked refuses a day without a month
            return dt.date(self.year, cast(int, self.month), self.day)
        if self.month is not None:
            nxt = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(self.year, 12, 31)

    @property
    def earliest(self) -> dt.date:
        """The first day the date could be: a rule's start date is met only if even this is on or after it."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @classmethod
    def parse(cls, value: Any) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dict) and set(value) == {"year", "month", "day"}:  # a dumped PartialDate
            year, month, day = value["year"], value["month"], value["day"]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (year, month, day) if v is not None):
                raise ValueError(f"{value!r} is not a date")
            if day is not None:
                dt.date(year, month, day)  # raises ValueError for a day that does not exist
            return cls._checked(year, month, day, value)
        if isinstance(value, bool):
            raise ValueError("a date is needed")
        if isinstance(value, int):
            value = str(value)
        d = to_date(value)
        if d is not None:
            return cls._checked(d.year, d.month, d.day, value)
        if isinstance(value, str):
            m = _PARTIAL_DATE.match(value)
            if m:
                year, month = int(m.group(1)), m.group(2)
                if month is not None and not 1 <= int(month) <= 12:
                    raise ValueError(f"{value!r} has no month {month}")
                return cls._checked(year, int(month) if month else None, None, value)
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")

    @classmethod
    def _checked(cls, year: int, month: int | None, day: int | None, shown) -> PartialDate:
        # decisions of the programme are dated from its start (2010) to this century's end
        if not 1900 <= year <= 2999 or (month is not None and not 1 <= month <= 12) or (
                day is not None and month is None):
            raise ValueError(f"{_as_text(shown)} is not a plausible decision date (years 1900–2999)")
        return cls(year, month, day)


NO_RECOGNITION_WORDS = ("không", "không có", "chưa", "chưa có", "khong", "khong co", "chua", "chua co", "no",
                        "none")
"""What a fact set or a cell may say instead of a list to mean "no recognition is held"."""


class Recognition(BaseModel):
    """A decision recognising the commune at a tier."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              arbitrary_types_allowed=True)
    tier: Tier
    decision: str = Field(min_length=1)
    date: PartialDate
    field: str | None = None
    signer: str | None = None
    period: str | None = None
    note: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v):
        try:
            return PartialDate.parse(v)
        except ValueError as exc:
            raise PydanticCustomError("bad_date", str(exc)) from None

    def counts_at(self, as_of: dt.date) -> bool:
        """A recognition dated after the assessment date does not count."""
        return self.date.latest <= as_of


class HamletInput(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1)
    facts: dict[str, Any] = Field(default_factory=dict)


class FactSetInput(BaseModel):
    """The document envelope; fact values are checked against the catalogue afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              arbitrary_types_allowed=True)
    format: Literal["ntmcert/factset/v1"]
    commune: Commune
    as_of: dt.date
    source: Citation | None = None
    # None: not given (a prerequisite is then missing); an empty list or "không": none held
    recognitions: tuple[Recognition, ...] | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    hamlets: tuple[HamletInput, ...] = ()

    @field_validator("recognitions", mode="before")
    @classmethod
    def _none_held(cls, v):
        if isinstance(v, str) and v.strip().casefold() in NO_RECOGNITION_WORDS:
            return ()
        return v

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, v):
        d = _date_field(v)
        if isinstance(d, dt.date) and not 1900 <= d.year <= 2999:
            raise PydanticCustomError("date_implausible", "{shown} is not a plausible date for the figures "
                                      "(years 1900–2999)", {"shown": d.isoformat()})
        return d


def _date_field(v):
    return strict_date(v)


# ---------------------------------------------------------------- the domain object


@dataclass(frozen=True)
class Hamlet:
    name: str
    facts: dict[str, FactValue]


@dataclass(frozen=True)
class FactSet:
    """A validated commune fact set; the single input of an evaluation."""

    commune: Commune
    as_of: dt.date
    recognitions: tuple[Recognition, ...] | None  # None: not given (unknown), () none held
    facts: dict[str, FactValue]
    hamlets: tuple[Hamlet, ...]
    source: Citation | None = None
    origin: str | None = field(default=None, compare=False)  # the file it came from, if any

    def canonical(self) -> dict:
        """The order-free form that is hashed: same content, same bytes, whatever the key order."""
        return {
            "format": FORMAT,
            "commune": self.commune.model_dump(mode="json", exclude_none=True),
            "as_of": self.as_of.isoformat(),
            "source": self.source.model_dump(mode="json", exclude_none=True) if self.source else None,
            # not given hashes as before (an empty list); "none held" is said explicitly
            "recognitions": "none" if self.recognitions == () else sorted(
                (_drop_none({"tier": r.tier.value, "decision": r.decision, "date": str(r.date),
                             "field": r.field, "signer": r.signer, "period": r.period, "note": r.note})
                 for r in self.recognitions or ()),
                key=lambda r: (r["tier"], r["date"], r["decision"])),
            "facts": {k: self.facts[k].canonical() for k in sorted(self.facts)},
            "hamlets": [{"name": h.name, "facts": {k: h.facts[k].canonical() for k in sorted(h.facts)}}
                        for h in sorted(self.hamlets, key=lambda h: h.name)],
        }

    @cached_property
    def sha256(self) -> str:
        data = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    @cached_property
    def commune_view(self) -> dict:
        """The commune as the verdict shows it."""
        return self.commune.model_dump(mode="json", exclude_none=True)

    def counting_recognitions(self, tier: Tier) -> list[Recognition]:
        """Recognitions of `tier` dated on or before `as_of`, newest first."""
        found = [r for r in self.recognitions or () if r.tier is tier and r.counts_at(self.as_of)]
        return sorted(found, key=lambda r: (r.date.latest, r.decision), reverse=True)

    def holding_recognitions(self, tier: Tier) -> list[Recognition]:
        """Counting recognitions of `tier` or of any higher tier (which implies it), the tier itself
        first, then the lowest higher tier; newest first within a tier."""
        out: list[Recognition] = []
        for held in TIER_ORDER[tier_rank(tier):]:
            out += self.counting_recognitions(held)
        return out

    def highest_tier(self) -> Tier | None:
        """The highest tier a counting recognition holds at `as_of`."""
        held = [r.tier for r in self.recognitions or () if r.counts_at(self.as_of)]
        return max(held, key=tier_rank) if held else None



def _as_text(value: Any) -> str:
    """A value as a message shows it: a date as a date (2024-02-06), not as Python writes it."""
    if isinstance(value, (dt.date, dt.datetime)):
        return repr(value.isoformat())
    return repr(value)


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def load_factset(source: str | Path | dict | FactSetInput, *, catalogue: Catalogue | None = None,
                 file: str | None = None) -> FactSet:
    """Load and validate a fact set from a path, a dict or a `FactSetInput`.

    Raises `InputError` listing every problem with file, line and key path.
    """
    catalogue = catalogue or bundled_catalogue()
    if isinstance(source, FactSetInput | dict):  # data from Python or a sheet: the text checks a file gets
        data = source.model_dump(mode="python") if isinstance(source, FactSetInput) else source
        doc = Document(data, file, {})
        collector = ProblemCollector(file)
        check_text(doc.data, (), collector)
        collector.raise_if_any()
    else:
        doc = load_path(source)
    return factset_from_document(doc, catalogue)


def factset_from_document(doc: Document, catalogue: Catalogue) -> FactSet:
    collector = doc.collector()
    data = doc.data
    if not isinstance(data, dict):
        collector.add("factset_not_mapping", "a fact set is a mapping with format, commune, as_of and facts",
                      line=1 if doc.file else None)
        collector.raise_if_any()
    envelope = None
    try:
        envelope = FactSetInput.model_validate(data)
    except ValidationError as exc:
        add_pydantic_problems(collector, doc, exc, code="factset_invalid")

    def report(code: str, message: str, path: KeyPath) -> None:
        loc = doc.locate(path)
        collector.add(code, message, line=loc.line, column=loc.column, key_path=loc.key_path)

    raw_facts = data.get("facts") if isinstance(data.get("facts"), dict) else {}
    if len(raw_facts) > MAX_FACTS:
        report("factset_too_many_facts", f"{len(raw_facts):,} facts are given; a fact set has at most {MAX_FACTS:,} "
               "(the catalogue's ids, once each)", ("facts",))
        raw_facts = {}
    facts = _parse_facts(raw_facts, ("facts",), Level.commune, catalogue, report)
    hamlets: list[Hamlet] = []
    raw_hamlets = data.get("hamlets") if isinstance(data.get("hamlets"), list) else []
    if len(raw_hamlets) > MAX_HAMLETS:
        report("factset_too_many_hamlets", f"{len(raw_hamlets):,} hamlets are listed; a commune has at most "
               f"{MAX_HAMLETS:,}", ("hamlets",))
        raw_hamlets = []
    seen: set[str] = set()
    for i, h in enumerate(raw_hamlets):
        if not isinstance(h, dict):
            continue
        name = h.get("name")
        if isinstance(name, str):
            name = nfc(name)  # compared as one spelling: an NFD copy of a name is the same hamlet
            if name.strip() in seen:
                report("hamlet_duplicate", f"hamlet {shorten(name)!r} is listed twice", ("hamlets", i, "name"))
            seen.add(name.strip())
        hf = h.get("facts")
        if not isinstance(hf, dict):
            hf = {}
        parsed = _parse_facts(hf, ("hamlets", i, "facts"), Level.hamlet, catalogue, report)
        if isinstance(name, str):
            hamlets.append(Hamlet(name.strip(), parsed))
    collector.raise_if_any()
    # a failed validation has added its problems and raise_if_any has raised them: the envelope is there
    envelope = cast(FactSetInput, envelope)
    return FactSet(envelope.commune, envelope.as_of, envelope.recognitions, facts, tuple(hamlets),
                   envelope.source, doc.file)


def _parse_facts(raw: dict[str, Any], path: KeyPath, level: Level, catalogue: Catalogue,
                 report: Report) -> dict[str, FactValue]:
    out: dict[str, FactValue] = {}
    unknown = 0
    for fact_id, value in raw.items():
        fpath = path + (fact_id,)
        fact = catalogue.get(fact_id)
        if fact is None:
            unknown += 1  # a suggestion costs a fuzzy search: only for the first few
            hint = catalogue.suggest(fact_id) if unknown <= MAX_SUGGESTIONS and len(fact_id) <= 100 else ""
            report("fact_unknown", f"unknown fact id {shorten(fact_id, 80)!r}{hint}", fpath)
            continue
        if fact.level is not level:
            where = "inside a hamlet's facts" if fact.level is Level.hamlet else "at commune level"
            report("fact_wrong_level", f"{fact_id} is a {fact.level.value}-level fact: give it {where}", fpath)
            continue
        if value is None:
            report("fact_null", f"{fact_id} has no value: leave a fact out when it is not known", fpath)
            continue
        parsed = parse_fact_value(value, fact, fpath, report)
        if parsed is not None:
            out[fact_id] = parsed
    return out


__all__ = ["Commune", "FactSet", "FactSetInput", "FactValue", "Hamlet", "InputError", "PartialDate",
           "Recognition", "Region", "Special", "Tier", "load_factset", "parse_fact_value"]

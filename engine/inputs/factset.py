"""Commune fact sets (format ntmcert/factset/v1): the input schema, its validation, its hash.

`FactSetInput` is the pydantic model of the document's envelope; `FactSet` is the validated
domain object every later stage uses, with each fact value turned into an exact `FactValue`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from ntmcert.core.dates import strict_date
from ntmcert.core.errors import InputError, ProblemCollector
from ntmcert.core.exact import Interval, fraction_text, to_fraction
from ntmcert.core.text import nfc, shorten
from ntmcert.core.vocab import REGION_NAMES, TIER_NAMES, TIER_ORDER, Region, Tier, tier_rank  # noqa: F401  (re-exported for fact-set users)
from ntmcert.inputs.catalogue import Catalogue, FactDef, FactKind, Level, bundled_catalogue
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
        if self.day is not None:
            return dt.date(self.year, self.month, self.day)
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


# ---------------------------------------------------------------- fact values

_BOUND_KEYS = ("gt", "ge", "lt", "le")
_META_KEYS = ("source", "note")


@dataclass(frozen=True)
class FactValue:
    """One validated fact value, exact. `interval` is what comparisons use."""

    kind: FactKind
    interval: Interval  # yes/no facts are the points 1 and 0
    boolean: bool | None = None
    count: Fraction | None = None
    of: Fraction | None = None
    form: str = "value"  # value | ratio | percent | bound | percent_bound
    bound: tuple[tuple[str, Fraction], ...] = ()
    source: str | None = None
    note: str | None = None

    @property
    def is_bound(self) -> bool:
        return self.form in ("bound", "percent_bound")

    def canonical(self) -> dict:
        """A JSON-able, order-free form: exact numbers as text."""
        out: dict[str, Any] = {}
        if self.form == "ratio":
            out = {"count": fraction_text(self.count), "of": fraction_text(self.of)}
        elif self.form == "percent":
            out = {"percent": fraction_text(self.interval.lo * 100)}
        elif self.form == "percent_bound":
            out = {"percent": {k: fraction_text(v * 100) for k, v in self.bound}}
        elif self.form == "bound":
            out = {k: fraction_text(v) for k, v in self.bound}
        elif self.kind is FactKind.boolean:
            out = {"value": self.boolean}
        else:
            out = {"value": fraction_text(self.interval.lo)}
        if self.source:
            out["source"] = self.source
        if self.note:
            out["note"] = self.note
        return out


def _num(raw: Any) -> Fraction | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
        return None
    return to_fraction(raw)


def parse_fact_value(raw: Any, fact: FactDef, path: KeyPath, report) -> FactValue | None:
    """Validate one raw value against its catalogue entry; `report(code, msg, path)` on problems."""
    meta: dict[str, str] = {}
    if isinstance(raw, dict):
        raw = dict(raw)
        for key in _META_KEYS:
            if key in raw:
                val = raw.pop(key)
                if not isinstance(val, str):
                    report("fact_bad_type", f"{key} must be text", path + (key,))
                else:
                    meta[key] = val
        if set(raw) == {"value"}:
            raw = raw["value"]
    kind = fact.kind
    if kind is FactKind.boolean:
        if isinstance(raw, bool):
            # a yes/no fact compares as 1/0 against a threshold of true (1) or false (0)
            return FactValue(kind, Interval.point(Fraction(int(raw))), boolean=raw, **meta)
        report("fact_bad_type", f"{fact.id} is a yes/no fact: write true or false (found {_show(raw)})", path)
        return None
    if isinstance(raw, dict):
        keys = set(raw)
        if kind is FactKind.share and keys == {"count", "of"}:
            return _ratio(raw, fact, path, report, meta)
        if kind is FactKind.share and keys == {"percent"}:
            return _percent(raw["percent"], fact, path + ("percent",), report, meta)
        if kind in (FactKind.number, FactKind.count) and keys and keys <= set(_BOUND_KEYS):
            return _bound(raw, fact, path, report, meta, scale=Fraction(1), form="bound")
        allowed = ("{count, of} or {percent}" if kind is FactKind.share
                   else "a number or a bound such as {ge: 66}")
        report("fact_bad_shape", f"{fact.id} ({kind.value}) takes {allowed}; found keys {sorted(keys)}", path)
        return None
    if kind is FactKind.share:
        report("fact_bad_type", f"{fact.id} is a share: write {{count: N, of: M}} or {{percent: P}} "
               f"(found {_show(raw)})", path)
        return None
    value = _num(raw)
    if value is None:
        report("fact_bad_type", f"{fact.id} needs a number (found {_show(raw)})", path)
        return None
    if value < 0:
        report("fact_negative", f"{fact.id} cannot be negative (found {_show(raw)})", path)
        return None
    if kind is FactKind.count and value.denominator != 1:
        report("fact_not_whole", f"{fact.id} is a count: it must be a whole number (found {_show(raw)})", path)
        return None
    return FactValue(kind, Interval.point(value), **meta)


def _ratio(raw, fact, path, report, meta) -> FactValue | None:
    count, of = _num(raw["count"]), _num(raw["of"])
    ok = True
    for key, val in (("count", count), ("of", of)):
        if val is None:
            report("fact_bad_type", f"{key} must be a number (found {_show(raw[key])})", path + (key,))
            ok = False
        elif val < 0:
            report("fact_negative", f"{key} cannot be negative (found {_show(raw[key])})", path + (key,))
            ok = False
        elif fact.whole_counts and val.denominator != 1:
            report("fact_not_whole", f"{key} counts {fact.unit.en if fact.unit else 'items'}: "
                   f"it must be a whole number (found {_show(raw[key])})", path + (key,))
            ok = False
    if not ok:
        return None
    if of == 0:
        report("fact_zero_of", "of is 0: a share of nothing is undefined", path + ("of",))
        return None
    if count > of:
        report("fact_count_above_of", f"count {_show(raw['count'])} is more than of {_show(raw['of'])}",
               path + ("count",))
        return None
    return FactValue(FactKind.share, Interval.point(count / of), count=count, of=of, form="ratio", **meta)


def _percent(raw, fact, path, report, meta) -> FactValue | None:
    if isinstance(raw, dict):
        if not raw or not set(raw) <= set(_BOUND_KEYS):
            report("fact_bad_shape", f"a percent bound takes gt/ge/lt/le (found keys {sorted(raw)})", path)
            return None
        return _bound(raw, fact, path, report, meta, scale=Fraction(1, 100), form="percent_bound")
    value = _num(raw)
    if value is None:
        report("fact_bad_type", f"percent must be a number (found {_show(raw)})", path)
        return None
    if not 0 <= value <= 100:
        report("fact_percent_range", f"percent must be from 0 to 100 (found {_show(raw)})", path)
        return None
    return FactValue(FactKind.share, Interval.point(value / 100), form="percent", **meta)


def _bound(raw, fact, path, report, meta, *, scale: Fraction, form: str) -> FactValue | None:
    values: dict[str, Fraction] = {}
    for key, val in raw.items():
        num = _num(val)
        if num is None:
            report("fact_bad_type", f"{key} must be a number (found {_show(val)})", path + (key,))
            return None
        if num < 0 or (form == "percent_bound" and num > 100):
            report("fact_percent_range" if form == "percent_bound" else "fact_negative",
                   f"bound {key} {_show(val)} is out of range", path + (key,))
            return None
        values[key] = num * scale
    if ("gt" in values and "ge" in values) or ("lt" in values and "le" in values):
        report("fact_bad_shape", "give one lower bound (gt or ge) and one upper bound (lt or le) at most", path)
        return None
    lo, lo_closed = (values["gt"], False) if "gt" in values else (values.get("ge", Fraction(0)), True)
    if "lt" in values:
        hi, hi_closed = values["lt"], False
    elif "le" in values:
        hi, hi_closed = values["le"], True
    else:  # shares cannot exceed 100%; other quantities are unbounded above
        hi, hi_closed = (Fraction(1), True) if form == "percent_bound" else (None, True)
    if fact.kind is FactKind.count:
        # a count is a whole number: "more than 0" is "at least 1", "under 5.5" is "at most 5"
        lo, lo_closed = (Fraction(math.floor(lo) + 1) if not lo_closed else Fraction(math.ceil(lo))), True
        if hi is not None:
            hi = Fraction(math.ceil(hi) - 1) if not hi_closed else Fraction(math.floor(hi))
            hi_closed = True
    interval = Interval(lo, hi, lo_closed, hi_closed)
    if interval.is_empty():
        report("fact_empty_bound", "the bounds leave no possible value", path)
        return None
    return FactValue(fact.kind, interval, form=form, bound=tuple(sorted(values.items())), **meta)


def _show(raw: Any) -> str:
    if isinstance(raw, Decimal):
        return str(raw)
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


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
    if isinstance(source, FactSetInput):
        doc = Document(source.model_dump(mode="python"), file, {})
    elif isinstance(source, dict):
        doc = Document(source, file, {})
    else:
        doc = None
    if doc is not None:  # data from Python or a sheet: the text checks a file gets when it loads
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
        hf = h.get("facts") if isinstance(h.get("facts"), dict) else {}
        parsed = _parse_facts(hf, ("hamlets", i, "facts"), Level.hamlet, catalogue, report)
        if isinstance(name, str):
            hamlets.append(Hamlet(name.strip(), parsed))
    collector.raise_if_any()
    return FactSet(envelope.commune, envelope.as_of, envelope.recognitions, facts, tuple(hamlets),
                   envelope.source, doc.file)


def _parse_facts(raw: dict, path: KeyPath, level: Level, catalogue: Catalogue, report) -> dict[str, FactValue]:
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

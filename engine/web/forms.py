"""The evaluation form: generated from a pack and the fact catalogue, read back into a fact set.

Field names: `c.name`, `c.district`, `c.province`, `c.region`, `c.code`, `as_of`; recognitions
`r.<tier>.decision|date|field`; commune facts `f.<fact id>`; hamlets `h<i>.name` and
`h<i>.f.<fact id>` (i from 0; `hcount` rows); `extra` carries, as JSON, what a loaded fact set
holds that the form does not show (its source, recognition signers and notes, fact notes), so
a loaded, evaluated and saved fact set keeps them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import _core
from ._core import CellError, FactKind, Level
from .values import read_value, write_value

FORMAT = "ntmcert/factset/v1"
VALUE_KEYS = ("value", "count", "of", "percent", "gt", "ge", "lt", "le")
TIERS = ("ntm", "ntm_advanced", "ntm_model", "smart")
MAX_HAMLETS = 60
MAX_FIELDS = 2000
# the cell readers' messages are English; the common ones in Vietnamese
VI_ERRORS = {
    "cell_bad_number": "cần một số (ví dụ 1508 hoặc 85,78)",
    "cell_ambiguous_number": "không rõ dấu phẩy là phần nghìn hay phần thập phân: viết 1508 hoặc 1,5",
    "cell_bad_yes_no": "viết có hoặc không",
    "cell_bad_bound": "ngưỡng viết như: trên 90%, từ 90%, dưới 10",
    "cell_bad_date": "cần ngày dd/mm/yyyy",
    "field_share": "tỷ lệ viết như 1.362/1.508, 90,32% hoặc trên 90%",
    "field_too_long": "quá dài",
    "field_required": "bắt buộc",
}


@dataclass
class FactField:
    fact: Any  # FactDef
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.fact.id)


@dataclass
class FormState:
    """What the form shows: the raw texts as typed, and a message per field name."""

    pack: str = ""
    values: dict[str, str] = field(default_factory=dict)
    hamlets: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def fact_fields(packs: list[Any]) -> tuple[list[FactField], list[FactField]]:
    """The commune-level and hamlet-level facts the packs use, in pack order."""
    cat = _core.catalogue()
    seen: dict[str, FactField] = {}
    for pack in packs:
        for fact_id, uses in _core.pack_fact_sources(pack).items():
            fact = cat.get(fact_id)
            if fact is None:
                continue
            seen.setdefault(fact_id, FactField(fact)).sources.extend(uses)
    commune = [f for f in seen.values() if f.fact.level is Level.commune]
    hamlet = [f for f in seen.values() if f.fact.level is Level.hamlet]
    return commune, hamlet


def extra_fields(state: FormState, shown: set[str]) -> list[FactField]:
    """Facts the loaded fact set holds that the packs do not use: still shown, still saved."""
    cat = _core.catalogue()
    out = []
    for name in state.values:
        if name.startswith("f.") and name[2:] not in shown:
            fact = cat.get(name[2:])
            if fact is not None and fact.level is Level.commune:
                out.append(FactField(fact))
    return out


def extra_hamlet_fields(state: FormState, shown: set[str]) -> list[FactField]:
    """Hamlet facts the loaded fact set holds that the packs do not use."""
    cat = _core.catalogue()
    out: dict[str, FactField] = {}
    for name in state.values:
        head, sep, fact_id = name.partition(".f.")
        if sep and head[:1] == "h" and head[1:].isdigit() and fact_id not in shown and fact_id not in out:
            fact = cat.get(fact_id)
            if fact is not None and fact.level is Level.hamlet:
                out[fact_id] = FactField(fact)
    return list(out.values())


def from_form(form: dict[str, str]) -> FormState:
    """The state of a submitted form (bounded: at most MAX_FIELDS fields, MAX_HAMLETS hamlets)."""
    values = {k: v for k, v in list(form.items())[:MAX_FIELDS] if isinstance(v, str)}
    try:
        hamlets = max(0, min(MAX_HAMLETS, int(values.get("hcount", "0") or 0)))
    except ValueError:
        hamlets = 0
    try:
        extra = json.loads(values.get("extra") or "{}")
        extra = extra if isinstance(extra, dict) else {}
    except ValueError:
        extra = {}
    return FormState(values.get("pack", ""), values, hamlets, extra)


def _err(state: FormState, name: str, exc: CellError, lang: str) -> None:
    state.errors[name] = VI_ERRORS.get(exc.code, str(exc)) if lang == "vi" else str(exc)


def to_data(state: FormState, lang: str) -> dict[str, Any]:
    """The fact set document of the form; field problems go to state.errors (the field left out)."""
    cat = _core.catalogue()
    v = state.get
    commune: dict[str, Any] = {k: v(f"c.{k}").strip() for k in ("name", "district", "province", "region", "code")
                               if v(f"c.{k}").strip()}
    for key in ("name", "province", "region"):
        if key not in commune:
            state.errors[f"c.{key}"] = VI_ERRORS["field_required"] if lang == "vi" else "required"
    data: dict[str, Any] = {"format": FORMAT, "commune": commune}
    if v("as_of").strip():
        try:
            data["as_of"] = _core_date(v("as_of"))
        except CellError as exc:
            _err(state, "as_of", exc, lang)
    else:
        state.errors["as_of"] = VI_ERRORS["field_required"] if lang == "vi" else "required"
    source = state.extra.get("source")
    if isinstance(source, dict):
        data["source"] = source
    recognitions = []
    rec_extra = state.extra.get("recognitions") or {}
    for tier in TIERS:
        number, when, fld = v(f"r.{tier}.decision").strip(), v(f"r.{tier}.date").strip(), v(f"r.{tier}.field").strip()
        if not (number or when):
            continue
        rec: dict[str, Any] = {"tier": tier, "decision": number}
        try:
            found = _core.partial_date(when)
            rec["date"] = found if isinstance(found, str) else found.isoformat()
        except CellError as exc:
            _err(state, f"r.{tier}.date", exc, lang)
        if fld:
            rec["field"] = fld
        more = rec_extra.get(tier) if isinstance(rec_extra, dict) else None
        if isinstance(more, dict):
            rec.update({k: val for k, val in more.items() if k in ("signer", "period", "note")})
        recognitions.append(rec)
    if recognitions:
        data["recognitions"] = recognitions
    facts = _read_facts(state, cat, "f.", Level.commune, _dict(state.extra.get("notes")), lang)
    if facts:
        data["facts"] = facts
    hamlets = []
    hamlet_extra = _dict(state.extra.get("hamlets"))
    for i in range(state.hamlets):
        name = v(f"h{i}.name").strip()
        kept = _dict(hamlet_extra.get(name))
        hfacts = _read_facts(state, cat, f"h{i}.f.", Level.hamlet, _dict(kept.get("notes")), lang)
        if name:
            more = _dict(kept.get("keys"))
            hamlets.append({**{k: val for k, val in more.items() if k not in ("name", "facts")},
                            "name": name, "facts": hfacts})
        elif hfacts:
            state.errors[f"h{i}.name"] = VI_ERRORS["field_required"] if lang == "vi" else "required"
    if hamlets:
        data["hamlets"] = hamlets
    return data


def _read_facts(state: FormState, cat: Any, prefix: str, level: Level, notes: dict[str, Any],
                lang: str) -> dict[str, Any]:
    """The facts of one level posted under `prefix` (commune `f.`, hamlet `h<i>.f.`), read with the
    cell grammar; a value that does not read is a field error. A loaded fact set's source and note
    of each fact (`notes`) are kept beside its value."""
    facts: dict[str, Any] = {}
    for key, text in state.values.items():
        if not key.startswith(prefix) or not text.strip():
            continue
        fact = cat.get(key[len(prefix):])
        if fact is None or fact.level is not level:
            continue
        try:
            entry = read_value(fact.kind, text)
        except CellError as exc:
            _err(state, key, exc, lang)
            continue
        if entry is not None:
            meta = notes.get(fact.id)
            if isinstance(meta, dict):
                entry.update({k: val for k, val in meta.items() if k not in VALUE_KEYS})
            facts[fact.id] = entry
    return facts


def _dict(value: Any) -> dict[str, Any]:
    """A loaded or posted value that should be a mapping; anything else counts as empty."""
    return value if isinstance(value, dict) else {}


def _core_date(text: str) -> str:
    return _core.date(text.strip()).isoformat()  # the cell reader's date: YYYY-MM-DD or DD/MM/YYYY


def from_data(data: Any, pack: str, lang: str) -> FormState:
    """The form state showing a loaded fact set (YAML or JSON)."""
    state = FormState(pack=pack)
    if not isinstance(data, dict):
        return state
    cat = _core.catalogue()
    vals = state.values
    commune = _dict(data.get("commune"))
    for key in ("name", "district", "province", "region", "code"):
        if commune.get(key) is not None:
            vals[f"c.{key}"] = str(commune[key])
    if data.get("as_of") is not None:
        vals["as_of"] = _dmy(str(data["as_of"]))
    extra: dict[str, Any] = {}
    if isinstance(data.get("source"), dict):
        extra["source"] = data["source"]
    rec_extra: dict[str, Any] = {}
    for rec in data.get("recognitions") or []:
        if isinstance(rec, dict) and rec.get("tier") in TIERS:
            tier = rec["tier"]
            vals[f"r.{tier}.decision"] = str(rec.get("decision") or "")
            vals[f"r.{tier}.date"] = _dmy(str(rec.get("date") or ""))
            if rec.get("field"):
                vals[f"r.{tier}.field"] = str(rec["field"])
            more = {k: rec[k] for k in ("signer", "period", "note") if k in rec}
            if more:
                rec_extra[tier] = more
    if rec_extra:
        extra["recognitions"] = rec_extra
    notes = {}
    for fact_id, entry in (data.get("facts") or {}).items():
        fact = cat.get(str(fact_id))
        if fact is None:
            continue
        vals[f"f.{fact.id}"] = write_value(fact.kind, entry, lang)
        meta = _meta(entry)
        if meta:
            notes[fact.id] = meta
    if notes:
        extra["notes"] = notes
    hamlets = [h for h in (data.get("hamlets") or []) if isinstance(h, dict)][:MAX_HAMLETS]
    hamlet_extra: dict[str, Any] = {}
    for i, h in enumerate(hamlets):
        vals[f"h{i}.name"] = str(h.get("name") or "")
        hnotes = {}
        for fact_id, entry in (h.get("facts") or {}).items():
            fact = cat.get(str(fact_id))
            if fact is not None:
                vals[f"h{i}.f.{fact.id}"] = write_value(fact.kind, entry, lang)
                if _meta(entry):
                    hnotes[fact.id] = _meta(entry)
        keys = {k: val for k, val in h.items() if k not in ("name", "facts")}
        if hnotes or keys:
            hamlet_extra[vals[f"h{i}.name"]] = {"notes": hnotes, "keys": keys}
    if hamlet_extra:
        extra["hamlets"] = hamlet_extra
    state.hamlets = len(hamlets)
    state.extra = extra
    return state


def _meta(entry: Any) -> dict[str, Any]:
    """A fact entry's keys beyond its value (note, source): kept for saving, not shown."""
    return {k: val for k, val in entry.items() if k not in VALUE_KEYS} if isinstance(entry, dict) else {}


def _dmy(iso: str) -> str:
    """2024-08-31 as 31/08/2024 (a year or YYYY-MM stays as is)."""
    parts = iso.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[2]}/{parts[1]}/{parts[0]}"
    return iso


def field_kind_hint(kind: FactKind, lang: str) -> str:
    hints = {FactKind.boolean: ("có / không", "yes / no"),
             FactKind.share: ("1.362/1.508 hoặc 90,32% hoặc trên 90%", "1362/1508 or 90.32% or over 90%"),
             FactKind.number: ("số, ví dụ 85,78", "a number, e.g. 85.78"),
             FactKind.count: ("số nguyên, ví dụ 12", "a whole number, e.g. 12")}
    vi, en = hints[kind]
    return vi if lang == "vi" else en

"""Choosing the number in force: effective region, dated parameter values, threshold values.

A threshold may be a literal, `unknown`, or a (scaled) parameter whose value depends on the
assessment date and the commune's effective region; the result says where the number came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from ntmcert.core.exact import to_fraction
from ntmcert.core.text import Text
from ntmcert.core.vocab import Region
from ntmcert.inputs.factset import Commune, Special
from ntmcert.packs.library import Pack
from ntmcert.packs.schema import Comparison, ParameterRef, Percent, Source

SPECIAL_RULE_CHANGE = dt.date(2024, 3, 1)
"""The amending decision of 01/3/2024 replaced the list of communes using the tdmnpb thresholds."""


@dataclass(frozen=True)
class RegionChoice:
    """The region whose thresholds apply, and why (vi/en), with how sure that reading is."""

    region: Region
    own_region: Region
    reason: Text
    provenance: str = "official"

    @property
    def borrowed(self) -> bool:
        return self.region is not self.own_region


_CHANGE = Text("Quy định về xã áp dụng ngưỡng vùng Trung du và miền núi phía Bắc thay đổi từ 01/3/2024 "
              "(QĐ 211/QĐ-TTg sửa đổi QĐ 318, số hiệu và ngày theo nguồn thứ cấp); việc danh sách mới thay thế "
              "danh sách cũ là cách hiểu suy luận (inferred).",
                 "The list of communes that use the Northern Midlands and Mountains (tdmnpb) thresholds changed on "
              "01/3/2024 (QĐ 211/QĐ-TTg amending QĐ 318; number and date secondary); that the new list replaces "
              "the earlier one is our reading (inferred).")


def _old_rule(s: Special) -> Text | None:
    if s.extremely_difficult:
        return Text("xã đặc biệt khó khăn", "an extremely difficult commune")
    if s.safe_zone and s.poor_district:
        return Text("xã an toàn khu thuộc huyện nghèo", "a safe-zone commune of a poor district")
    return None


def _new_rule(s: Special) -> Text | None:
    if s.ethnic_minority_region in ("II", "III"):
        return Text(f"xã khu vực {s.ethnic_minority_region} vùng đồng bào dân tộc thiểu số và miền núi",
                f"a region-{s.ethnic_minority_region} commune of the ethnic-minority and mountain areas")
    if s.extremely_difficult and s.coastal_island:
        return Text("xã đặc biệt khó khăn vùng bãi ngang ven biển và hải đảo",
                "an extremely difficult coastal-lowland or island commune")
    if s.safe_zone and s.poor_district:
        return Text("xã an toàn khu thuộc huyện nghèo", "a safe-zone commune of a poor district")
    return None


def own_region(commune: Commune) -> RegionChoice:
    """For sets that group communes instead (2026–2030): QĐ 318's special-commune rule does not apply."""
    own = commune.region
    return RegionChoice(own, own, Text(f"Vùng của xã ({own.value}); bộ tiêu chí này phân nhóm xã thay cho quy định xã "
                                  f"đặc biệt của QĐ 318/QĐ-TTg.",
                        f"The commune's own region ({own.value}); this set groups communes instead of QĐ 318's "
                        f"special-commune rule."))


def effective_region(commune: Commune, as_of: dt.date) -> RegionChoice:
    """QĐ 318 Điều 1 (and its 2024 amendment): special communes use the tdmnpb thresholds."""
    s = commune.special
    own = commune.region
    before = as_of < SPECIAL_RULE_CHANGE
    applies, other = (_old_rule(s), _new_rule(s)) if before else (_new_rule(s), _old_rule(s))
    when = Text("trước 01/3/2024", "before 01/3/2024") if before else Text("từ 01/3/2024", "from 01/3/2024")
    when_vi, when_en = when.vi, when.en
    if applies is not None:
        vi = (f"Áp dụng ngưỡng vùng Trung du và miền núi phía Bắc (tdmnpb) thay cho vùng {own.value}: "
              f"{applies.vi} (quy định {when_vi}, QĐ 318/QĐ-TTg Điều 1). ")
        en = (f"Uses the Northern Midlands and Mountains (tdmnpb) thresholds instead of {own.value}: "
              f"{applies.en} (the rule {when_en}, QĐ 318/QĐ-TTg Điều 1). ")
        return RegionChoice(Region.tdmnpb, own, Text(vi, en) + _CHANGE, "inferred")
    if other is not None:  # the flags would qualify under the other rule, not this one
        vi = (f"Áp dụng ngưỡng vùng của xã ({own.value}): {other.vi} chỉ được áp dụng ngưỡng tdmnpb theo quy định "
              f"{'từ' if before else 'trước'} 01/3/2024, không phải quy định {when_vi}. ")
        en = (f"Uses the commune's own region ({own.value}): {other.en} uses the tdmnpb thresholds only under the "
              f"rule {'from' if before else 'before'} 01/3/2024, not under the rule {when_en}. ")
        return RegionChoice(own, own, Text(vi, en) + _CHANGE, "inferred")
    return RegionChoice(own, own, Text(f"Áp dụng ngưỡng vùng của xã ({own.value}).",
                                       f"Uses the commune's own region ({own.value})."))


def commune_group(commune: Commune) -> tuple[int | None, Text]:
    """The 2026–2030 commune group (QĐ 51/2025): given in the fact set, or group 3 from the
    ethnic-minority flag; groups 1 and 2 depend on facts the checker cannot see, so they must be given."""
    if commune.group is not None:
        return commune.group, Text(f"Nhóm {commune.group} (theo bộ số liệu).",
                                   f"Group {commune.group} (from the fact set).")
    if commune.special.ethnic_minority_region in ("II", "III"):
        region = commune.special.ethnic_minority_region
        return (3, Text(f"Nhóm 3: xã khu vực {region} vùng đồng bào dân tộc thiểu số và miền núi.",
                        f"Group 3: a region-{region} commune of the ethnic-minority and mountain areas."))
    return (None, Text("Chưa rõ nhóm xã (1 hoặc 2): ghi commune.group trong bộ số liệu.",
                       "Commune group unknown (1 or 2): give commune.group in the fact set."))


@dataclass(frozen=True)
class OfficerValue:
    """A parameter value supplied by the assessment officer, with its source."""

    name: str
    value: Fraction
    source: Source
    valid_from: dt.date | None = None
    region: Region | None = None
    override: bool = False


@dataclass(frozen=True)
class ResolvedThreshold:
    """The number in force for one comparison, or None when the law's number is unknown."""

    value: Fraction | None
    is_share: bool
    parameter: str | None = None
    factor: Fraction | None = None
    base_value: Fraction | None = None  # the parameter's own value before the factor
    layer: str | None = None  # pack id or "officer" that supplied the number
    value_source: Source | None = None
    valid_from: dt.date | None = None
    region: Region | None = None
    unknown_reason: Text | None = None


def resolve_threshold(cmp: Comparison, pack: Pack, layer: str, as_of: dt.date, region: Region,
                      officer: dict[str, list[OfficerValue]] | None = None) -> ResolvedThreshold:
    """The threshold of `cmp` in force at `as_of` for `region`."""
    if isinstance(cmp.threshold, ParameterRef):
        return _resolve_parameter(cmp.threshold, pack, as_of, region, officer or {})
    return literal_threshold(cmp, layer)


def literal_threshold(cmp: Comparison, layer: str) -> ResolvedThreshold:
    """The threshold written in the pack itself (not a parameter): the same at every date and region."""
    t = cmp.threshold
    if t == "unknown":
        return ResolvedThreshold(None, False, layer=layer,
                                 unknown_reason=Text("ngưỡng chưa được mã hóa vì văn bản gốc chưa có",
                                                     "the threshold is not encoded: the legal text was not "
                                                     "available"))
    if isinstance(t, bool):
        return ResolvedThreshold(Fraction(int(t)), False, layer=layer)
    if isinstance(t, Percent):
        return ResolvedThreshold(to_fraction(t.percent) / 100, True, layer=layer)
    if isinstance(t, ParameterRef):
        raise ValueError("a parameter's threshold depends on the date and region: use resolve_threshold")
    return ResolvedThreshold(to_fraction(t), False, layer=layer)


def _resolve_parameter(ref: ParameterRef, pack: Pack, as_of: dt.date, region: Region,
                       officer: dict[str, list[OfficerValue]]) -> ResolvedThreshold:
    factor = to_fraction(ref.factor)
    param = pack.parameters[ref.parameter]
    # a percent parameter's values are percentages (24 means 24%) compared with share facts
    share = param.spec.percent
    scale = Fraction(1, 100) if share else Fraction(1)
    # officer values win where they apply (the loader refuses ones that override official numbers silently)
    for value in sorted(officer.get(ref.parameter, []), key=lambda v: (v.valid_from or dt.date.min),
                        reverse=True):
        if (value.valid_from is None or value.valid_from <= as_of) and value.region in (None, region):
            return ResolvedThreshold(value.value * factor * scale, share, ref.parameter, factor, value.value,
                                     "officer", value.source, value.valid_from, value.region)
    in_force = [v for v in param.spec.values if v.valid_from <= as_of]
    if not in_force:
        src = param.spec.unknown_source
        if param.spec.values:
            first = min(v.valid_from for v in param.spec.values)
            vi = f"tham số {ref.parameter} chưa có giá trị trước {first.isoformat()}"
            en = f"parameter {ref.parameter} has no value before {first.isoformat()}"
        else:
            vi = f"giá trị của tham số {ref.parameter} chưa rõ" + (f" ({src.document})" if src else "")
            en = f"the value of parameter {ref.parameter} is unknown" + (f" ({src.document})" if src else "")
        return ResolvedThreshold(None, share, ref.parameter, factor, None, param.layer, src,
                                 unknown_reason=Text(vi, en))
    current = max(in_force, key=lambda v: v.valid_from)
    used_region: Region | None
    if current.by_region is not None:
        base = current.by_region.get(region)
        if base is None:
            return ResolvedThreshold(None, share, ref.parameter, factor, None, param.layer, current.source,
                                     current.valid_from, region,
                                     unknown_reason=Text(f"tham số {ref.parameter} chưa có giá trị cho vùng "
                                                         f"{region.value}",
                                                         f"parameter {ref.parameter} has no value for region "
                                                         f"{region.value}"))
        base_value = to_fraction(base)
        used_region = region
    else:
        if current.value is None:  # unreachable: the schema gives a dated value a value or values by region
            raise ValueError(f"parameter {ref.parameter} has a dated value with no value")
        base_value = to_fraction(current.value)
        used_region = None
    return ResolvedThreshold(base_value * factor * scale, share, ref.parameter, factor, base_value, param.layer,
                             current.source, current.valid_from, used_region)

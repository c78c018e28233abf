"""The programme's shared vocabulary: regions and tiers, and how reports name them."""

from __future__ import annotations

from enum import Enum

from ntmcert.core.text import Text


class Region(str, Enum):
    """The 7 socio-economic regions whose thresholds differ."""

    tdmnpb = "tdmnpb"
    dbsh = "dbsh"
    btb = "btb"
    dhntb = "dhntb"
    tn = "tn"
    dnb = "dnb"
    dbscl = "dbscl"


REGION_NAMES = {  # how reports name the regions
    "tdmnpb": Text("Trung du và miền núi phía Bắc", "Northern Midlands and Mountains"),
    "dbsh": Text("Đồng bằng sông Hồng", "Red River Delta"),
    "btb": Text("Bắc Trung Bộ", "North Central"),
    "dhntb": Text("Duyên hải Nam Trung Bộ", "South Central Coast"),
    "tn": Text("Tây Nguyên", "Central Highlands"),
    "dnb": Text("Đông Nam Bộ", "Southeast"),
    "dbscl": Text("Đồng bằng sông Cửu Long", "Mekong Delta"),
}


class Tier(str, Enum):
    ntm = "ntm"
    ntm_advanced = "ntm_advanced"
    ntm_model = "ntm_model"
    smart = "smart"


TIER_ORDER = (Tier.ntm, Tier.ntm_advanced, Tier.ntm_model, Tier.smart)
"""Lowest first. The law grants them in this order (model needs advanced, advanced needs NTM, and
the smart pilots build on a model commune), so holding a tier implies holding every lower one."""


def tier_rank(tier: Tier | str) -> int:
    return TIER_ORDER.index(Tier(tier))


TIER_NAMES = {  # how reports name the tiers
    "ntm": Text("xã nông thôn mới", "new-rural (NTM)"),
    "ntm_advanced": Text("xã nông thôn mới nâng cao", "advanced NTM"),
    "ntm_model": Text("xã nông thôn mới kiểu mẫu", "model NTM"),
    "smart": Text("xã nông thôn mới thông minh", "smart NTM"),
}

"""The programme's shared vocabulary: regions and tiers, and how reports name them."""

from __future__ import annotations

from enum import Enum


class Region(str, Enum):
    """The 7 socio-economic regions whose thresholds differ."""

    tdmnpb = "tdmnpb"
    dbsh = "dbsh"
    btb = "btb"
    dhntb = "dhntb"
    tn = "tn"
    dnb = "dnb"
    dbscl = "dbscl"


REGION_NAMES = {  # how reports name the regions (vi, en)
    "tdmnpb": ("Trung du và miền núi phía Bắc", "Northern Midlands and Mountains"),
    "dbsh": ("Đồng bằng sông Hồng", "Red River Delta"),
    "btb": ("Bắc Trung Bộ", "North Central"),
    "dhntb": ("Duyên hải Nam Trung Bộ", "South Central Coast"),
    "tn": ("Tây Nguyên", "Central Highlands"),
    "dnb": ("Đông Nam Bộ", "Southeast"),
    "dbscl": ("Đồng bằng sông Cửu Long", "Mekong Delta"),
}


class Tier(str, Enum):
    ntm = "ntm"
    ntm_advanced = "ntm_advanced"
    ntm_model = "ntm_model"
    smart = "smart"


TIER_NAMES = {  # how reports name the tiers (vi, en)
    "ntm": ("xã nông thôn mới", "new-rural (NTM)"),
    "ntm_advanced": ("xã nông thôn mới nâng cao", "advanced NTM"),
    "ntm_model": ("xã nông thôn mới kiểu mẫu", "model NTM"),
    "smart": ("xã nông thôn mới thông minh", "smart NTM"),
}

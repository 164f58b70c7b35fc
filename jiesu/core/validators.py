"""Validators for Chinese identifiers that citizens and enterprises give on a call."""

import re
from datetime import date, datetime

from django.utils.dateparse import parse_date, parse_datetime

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, Z, S, V).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# Mobile numbers (11 digits from 13x-19x), landlines with area code and optional extension, and
# 5-6 digit service numbers (12345, 95598) that transfers from other hotlines carry.
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_SERVICE_RE = re.compile(r"^(1\d{4}|9\d{4,5})$")


def normalize_phone(value: str) -> str:
    """Strip spaces and a +86 prefix; return the bare number."""
    v = re.sub(r"[\s()（）]", "", value or "")
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    return v


def is_valid_phone(value: str) -> bool:
    v = normalize_phone(value)
    return bool(_MOBILE_RE.match(v) or _LANDLINE_RE.match(v) or _SERVICE_RE.match(v))


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    v = (value or "").strip().upper()
    if not _USCC_RE.match(v):
        return False
    return uscc_check_char(v[:17]) == v[17]


def parse_day(value) -> date | None:
    """A date from YYYY-MM-DD text, or None — also for well-formed impossible dates (2026-13-01), which
    Django's parse_date raises on."""
    try:
        return parse_date(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def parse_moment(value) -> datetime | None:
    """A datetime from ISO text, or None (also for impossible ones such as 2026-02-30T10:00)."""
    try:
        return parse_datetime(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None

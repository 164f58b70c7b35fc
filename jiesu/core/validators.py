"""Validators for what people and partner systems send: Chinese identifiers given on a call, dates, and text.

Dates are read only within 1900–2100 (EARLIEST–LATEST): a date outside that is no answer to any question a
hotline asks, and 9999-12-31 + 1 day overflows. `Day` is the same rule for django-ninja schemas.
"""

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated

from django.utils.dateparse import parse_date, parse_datetime
from pydantic import AfterValidator

EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
DATE_RANGE_MESSAGE = f"日期须在 {EARLIEST.year} 年至 {LATEST.year} 年之间"
DATE_FORMAT_MESSAGE = f"格式应为 YYYY-MM-DD（{EARLIEST.year}–{LATEST.year} 年）"

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
    """Strip spaces and a +86 prefix; return the bare number. Full-width digits (１３８…, typed with a Chinese input
    method) become ASCII digits."""
    v = re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", value or ""))
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


def in_date_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def parse_day(value) -> date | None:
    """A date from YYYY-MM-DD text, or None — also for well-formed impossible dates (2026-13-01), which
    Django's parse_date raises on, and for dates outside EARLIEST–LATEST."""
    try:
        day = parse_date(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None
    return day if day is not None and in_date_range(day) else None


def parse_moment(value) -> datetime | None:
    """A datetime from ISO text, or None (also for impossible ones such as 2026-02-30T10:00, and outside
    EARLIEST–LATEST)."""
    try:
        moment = parse_datetime(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None
    return moment if moment is not None and in_date_range(moment.date()) else None


def _day_in_range(day: date) -> date:
    if not in_date_range(day):
        raise ValueError(DATE_RANGE_MESSAGE)
    return day


Day = Annotated[date, AfterValidator(_day_in_range)]  # a date field of an API schema, within EARLIEST–LATEST


# Text that no database column can hold: NUL (PostgreSQL refuses it) and UTF-16 surrogates standing alone
# (a JSON "\ud800" escape; no encoder can write them).
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def is_storable_text(value: str) -> bool:
    return _UNSTORABLE_RE.search(value) is None

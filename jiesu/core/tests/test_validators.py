import pytest

from jiesu.core.validators import is_valid_credit_code, is_valid_phone, uscc_check_char


@pytest.mark.parametrize(
    "phone", ["13800138000", "+86 139 1234 5678", "010-12345678", "0571-8765432", "02112345678", "12345", "95598"]
)
def test_valid_phones(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", ["", "1380013800", "23800138000", "138001380001", "phone", "010-123"])
def test_invalid_phones(phone):
    assert not is_valid_phone(phone)


def test_credit_code_check_digit():
    # GB 32100-2015's published example code.
    assert is_valid_credit_code("91350100M000100Y43")
    assert is_valid_credit_code("91350100m000100y43")  # case-insensitive
    assert not is_valid_credit_code("91350100M000100Y44")  # wrong check digit
    assert not is_valid_credit_code("91350100M000100Y4")  # 17 characters
    assert not is_valid_credit_code("91350100M0001O0Y43")  # O is not in the alphabet
    assert uscc_check_char("91350100M000100Y4") == "3"

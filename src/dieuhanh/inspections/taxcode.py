"""Vietnamese tax codes (mã số thuế, MST): 10 digits with a check digit, or 13 digits "0123456789-001" for a
branch or dependent unit, linked to its parent's 10-digit code.

Thông tư 105/2020/TT-BTC, Điều 5: the 10th digit is a check digit over the first nine (weights 31, 29, 23, 19, 17,
13, 7, 5, 3; check = 10 − (sum mod 11); a sum giving 10 is never issued); digits 11–13 number the dependent units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_SEPARATORS = re.compile(r"[\s.\-_/]")


@dataclass(frozen=True)
class TaxCode:
    code: str  # normalised: "0123456789" or "0123456789-001"
    parent: str  # the 10-digit code of the enterprise (itself for a head office)

    @property
    def is_branch(self) -> bool:
        return self.code != self.parent


class InvalidTaxCode(ValueError):
    """The Vietnamese reason a tax code is refused."""


def check_digit(first_nine: str) -> str | None:
    """The check digit of nine digits, or None when the weighted sum gives 10 (no code is issued then)."""
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first_nine, strict=True))
    digit = 10 - total % 11
    return None if digit == 10 else str(digit)


def parse(text: str) -> TaxCode:
    """Normalises and validates a tax code; raises InvalidTaxCode with a Vietnamese message."""
    raw = (text or "").strip()
    digits = _SEPARATORS.sub("", raw)
    if not digits.isdigit():
        raise InvalidTaxCode(f"mã số thuế “{raw}” chỉ được gồm chữ số (10 số, hoặc 13 số cho chi nhánh)")
    if len(digits) not in (10, 13):
        raise InvalidTaxCode(f"mã số thuế “{raw}” phải có 10 chữ số (doanh nghiệp) hoặc 13 chữ số (chi nhánh, "
                             f"đơn vị phụ thuộc), có {len(digits)}")
    head = digits[:10]
    if check_digit(head[:9]) != head[9]:
        raise InvalidTaxCode(f"mã số thuế “{raw}” sai chữ số kiểm tra (chữ số thứ 10)")
    if len(digits) == 13:
        if digits[10:] == "000":
            raise InvalidTaxCode(f"mã số thuế “{raw}”: số thứ tự chi nhánh phải từ 001")
        return TaxCode(code=f"{head}-{digits[10:]}", parent=head)
    return TaxCode(code=head, parent=head)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidTaxCode:
        return False
    return True


def make(first_nine: str) -> str | None:
    """A valid 10-digit code from nine digits (demo data and tests), or None when none exists for them."""
    digit = check_digit(first_nine)
    return None if digit is None else first_nine + digit

"""The vectorised modulus-11 check agrees with the nhs-number package."""

from __future__ import annotations

import nhs_number as nn
import polars as pl

from longerlives.extract.checks import nhs_int_name, nhs_number_valid, with_nhs_int


def _vectorised(numbers: list[str]) -> list[bool]:
    frame = with_nhs_int(pl.DataFrame({"n": numbers}), "n")
    return frame.select(nhs_number_valid(pl.col(nhs_int_name("n")))).to_series().to_list()


def test_vectorised_check_matches_package_for_valid_and_invalid_numbers():
    valid = nn.generate(quantity=2000, for_region=nn.REGION_SYNTHETIC)
    invalid = nn.generate(valid=False, quantity=2000, for_region=nn.REGION_SYNTHETIC)
    numbers = [str(n) for n in valid + invalid]
    assert _vectorised(numbers) == [nn.is_valid(n) for n in numbers]
    assert sum(_vectorised(numbers)) == 2000


def test_check_digit_of_ten_is_never_valid():
    # 000000001 has weighted sum 2 -> check = 11 - 2 = 9; search a stem whose check would be 10
    stem = next(f"{i:09d}" for i in range(10**6, 10**6 + 5000) if nn.calculate_checksum(f"{i:09d}") == 10)
    assert _vectorised([stem + d for d in "0123456789"]) == [False] * 10


def test_spaces_and_dashes_are_removed_before_checking():
    assert _vectorised(["943 476 5919", "943-476-5919", " 9434765919 ".strip()]) == [True, True, True]

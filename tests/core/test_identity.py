# SPDX-License-Identifier: EUPL-1.2
"""The elfproef and its check digit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.core.identity import elfproef_check_digit, passes_elfproef, valid_onderwijsnummer


def test_the_spec_example_passes_and_a_changed_digit_fails() -> None:
    assert passes_elfproef("123456782")
    assert not passes_elfproef("123456789")
    assert not passes_elfproef("12345678")
    assert not passes_elfproef("12345678x")


@given(st.from_regex(r"\A[0-9]{8}\Z"))
def test_the_check_digit_completes_exactly_the_numbers_that_can_pass(first_eight: str) -> None:
    digit = elfproef_check_digit(first_eight)
    passing = [d for d in range(10) if passes_elfproef(first_eight + str(d))]
    assert passing == ([] if digit is None else [digit])


def test_an_onderwijsnummer_passes_the_spec_test_or_duos_remainder_five() -> None:
    assert valid_onderwijsnummer("123456782")  # remainder 0, the spec's test
    assert valid_onderwijsnummer("101234552")  # remainder 5, DUO's variant (ADR 0004)
    assert not valid_onderwijsnummer("101234553")

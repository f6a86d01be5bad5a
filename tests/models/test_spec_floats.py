"""Spec values inf/nan/1e3 read as floats (issue 9: `-c svm:C=inf` said "Got 'inf'")."""

from __future__ import annotations

import math

import pytest

from featclf.models._spec import parse_value


@pytest.mark.parametrize("text, expected", [("inf", math.inf), ("-inf", -math.inf), ("Infinity", math.inf),
                                            ("1e3", 1000.0), ("0.5", 0.5), ("+inf", math.inf)])
def test_float_words_and_exponents(text, expected):
    value = parse_value(text)
    assert isinstance(value, float) and value == expected


def test_nan_is_a_float_and_other_words_stay_strings():
    assert math.isnan(parse_value("nan")) and parse_value("rgb") == "rgb" and parse_value("info") == "info"

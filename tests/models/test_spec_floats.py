"""Spec values inf/nan/1e3 read as floats (issue 9: `-c svm:C=inf` said "Got 'inf'")."""

from __future__ import annotations

import math
import re

import pytest

from featclf.exceptions import InvalidParameterError
from featclf.models import make_classifier
from featclf.models._spec import parse_value


@pytest.mark.parametrize("text, expected", [("inf", math.inf), ("-inf", -math.inf), ("Infinity", math.inf),
                                            ("1e3", 1000.0), ("0.5", 0.5), ("+inf", math.inf)])
def test_float_words_and_exponents(text, expected):
    value = parse_value(text)
    assert isinstance(value, float) and value == expected


def test_nan_is_a_float_and_other_words_stay_strings():
    assert math.isnan(parse_value("nan")) and parse_value("rgb") == "rgb" and parse_value("info") == "info"


@pytest.mark.parametrize("text", ["1e400", "-1e400", "(1e400,2)", "[1,-2e999]", "1e400j"])
def test_a_number_beyond_the_float_range_is_refused_not_read_as_inf(text):
    with pytest.raises(InvalidParameterError, match=rf"^{re.escape(text)} is beyond the float range \(about 1.8e308\); "
                                                    r"write inf if you mean infinity"):
        parse_value(text)


def test_the_spec_names_the_parameter_beyond_the_float_range():
    with pytest.raises(InvalidParameterError, match=r"^The parameter 'C' in the classifier spec 'svm:C=1e400': 1e400 "
                                                    r"is beyond the float range"):
        make_classifier("svm:C=1e400")
    assert make_classifier("svm:C=1e308")[-1].C == 1e308 and math.isinf(make_classifier("svm:C=inf")[-1].C)

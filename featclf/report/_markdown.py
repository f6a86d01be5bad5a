"""The Markdown report: the comparison table and the key figures."""

from __future__ import annotations

from ..datasets import describe_left_out
from ._json import ranking

__all__ = ["close_to_best", "comparison_rows", "describe_protocol", "result_to_markdown", "score_text",
           "classifier_settings", "extractor_settings", "size_rules", "timing_note"]

_METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "f1_macro": "macro-F1"}


def score_text(r, metric) -> str:
    """``'0.9123 ± 0.0100'`` (mean ± std over folds), or ``'0.9123'`` for a single train/test split."""
    if len(r.fold_scores[metric]) == 1:
        return f"{r.mean(metric):.4f}"
    return f"{r.mean(metric):.4f} ± {r.std(metric):.4f}"



def timing_note(result) -> str:
    """What the time columns mean, in this mode's words."""
    where = "summed over folds" if result.mode == "cv" else "of the one train/test split"
    return ("Times in seconds: extraction per extractor (computed once, shared by its classifiers); "
            f"fit and predict {where}.")


def close_to_best(result) -> list[str]:
    """Names of the combinations not significantly worse than the best (p >= 0.05)."""
    return [f"{c['extractor']} + {c['classifier']}" for c in result.comparisons
            if c["p_value"] is not None and c["p_value"] >= 0.05]


def _p(p) -> str:
    if p is None:
        return "n/a"
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}"


def comparison_cell(result, index) -> str:
    """``'best'`` or ``'-0.0150 (p=0.010)'`` for the combination at ``index``."""
    if index == result.best_index:
        return "best"
    r = result.results[index]
    for c in result.comparisons:
        if c["extractor"] == r.extractor and c["classifier"] == r.classifier:
            return f"{-c['mean_difference']:+.4f} ({_p(c['p_value'])})"
    return "n/a"


def comparison_rows(result):
    """Header and rows of the comparison table, best first.

    Returns
    -------
    header : list of str
    rows : list of list of str
    """
    header = ["rank", "extractor", "classifier", "accuracy", "balanced acc.", "macro-F1",
              f"vs best ({_METRIC_NAMES[result.rank_by]})", "features", "extract s", "fit s", "predict s"]
    rows = []
    for rank, i in enumerate(ranking(result), start=1):
        r = result.results[i]
        rows.append([
            str(rank), r.extractor, r.classifier, score_text(r, "accuracy"), score_text(r, "balanced_accuracy"),
            score_text(r, "f1_macro"), comparison_cell(result, i), str(r.n_features), f"{r.extract_s:.2f}",
            f"{r.fit_s:.2f}", f"{r.predict_s:.2f}",
        ])
    return header, rows


def describe_protocol(result) -> str:
    """One sentence on how the scores were obtained."""
    config = result.config
    if result.mode == "cv":
        groups = config.get("groups")
        if isinstance(config.get("cv"), int):  # cv=K: the splitter featclf made, with its seed
            grouped = " group" if groups else ""
            how = (f"{config['n_folds']}-fold stratified{grouped} cross-validation "
                   f"(shuffled, seed {config['random_state']})")
        else:  # a splitter given by the user, recorded as given
            how = f"{config['n_folds']} folds of {config['splitter']}"
        if groups:
            how += f", each of {groups['n_groups']} groups kept in one fold"
        return (f"{how}; scores are mean ± standard deviation (ddof=0) over folds; every combination uses the "
                "same folds, and each combination is compared with the best by the corrected resampled t-test "
                "(Nadeau & Bengio, 2003) on its fold scores.")
    test = result.dataset["test"]
    return (f"trained on {result.dataset['n_used']} images, tested on {test['n_used']} images of "
            f"{test['name']!r}; each combination is compared with the best by an exact McNemar test on the "
            "test images.")


def left_out_text(result) -> str:
    """What the folder scans of the data (and test set) left out, in one sentence; ``''`` when nothing."""
    parts = []
    for ds in (result.dataset, result.dataset.get("test") or {}):
        text = describe_left_out(ds["left_out"]) if ds.get("left_out") else ""
        if text:
            parts.append(f"{ds['name']}: {text}")
    return "; ".join(parts) + "." if parts else ""


def _escape(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header, rows) -> list[str]:
    lines = ["| " + " | ".join(_escape(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_escape(x) for x in row) + " |" for row in rows]
    return lines


def result_to_markdown(result, *, max_skipped: int = 20) -> str:
    """Render ``result`` as Markdown: key figures, comparison table, classes, skipped files, provenance."""
    ds = result.dataset
    best = result.best
    metric = result.rank_by
    lines = [f"# featclf evaluation: {ds['name']}", ""]
    imbalance = f", imbalance ratio {ds['imbalance_ratio']:.2f}" if ds["imbalance_ratio"] else ""
    lines.append(f"- **Data**: {ds['n_used']} images used of {ds['n_images']}, {ds['n_classes']} classes"
                 f"{imbalance}.")
    if left_out_text(result):
        lines.append(f"- **Left out by the folder scan** (not images featclf reads, hidden, links, ...): "
                     f"{_escape(left_out_text(result))}")
    lines.append(f"- **Protocol**: {describe_protocol(result)}")
    lines.append(f"- **Best**: {best.extractor} + {best.classifier}: {_METRIC_NAMES[metric]} "
                 f"{score_text(best, metric)}.")
    close = close_to_best(result)
    if close:
        lines.append(f"- **Not significantly worse than the best** (p >= 0.05): {', '.join(close)}.")
    if result.skipped:
        lines.append(f"- **Skipped**: {len(result.skipped)} images could not be used (listed below).")
    lines.append("")
    lines.append("## Comparison")
    lines.append("")
    header, rows = comparison_rows(result)
    lines += _table(header, rows)
    lines.append("")
    lines.append(timing_note(result))
    lines.append("")
    lines.append(f"## Per class ({best.extractor} + {best.classifier})")
    lines.append("")
    per_class_rows = [[name, str(ds["class_counts"].get(name, 0)), f"{v['precision']:.3f}", f"{v['recall']:.3f}",
                       f"{v['f1']:.3f}", str(v["support"])] for name, v in best.per_class.items()]
    lines += _table(["class", "images", "precision", "recall", "F1", "support"], per_class_rows)
    lines.append("")
    warned = [(r, w) for r in result.results for w in r.warnings]
    if warned:
        lines.append("## Warnings while fitting")
        lines.append("")
        seen = set()
        for r, w in warned:
            if (r.name, w) not in seen:
                seen.add((r.name, w))
                lines.append(f"- {r.name}: {_escape(w)[:300]}")
        lines.append("")
    if result.skipped:
        lines.append("## Skipped images")
        lines.append("")
        for s in result.skipped[:max_skipped]:
            lines.append(f"- `{s['source']}` ({s['split']}): {_escape(s['reason'])}")
        if len(result.skipped) > max_skipped:
            lines.append(f"- ... and {len(result.skipped) - max_skipped} more (all listed in report.json)")
        lines.append("")
    lines.append("## Configuration")
    lines.append("")
    cfg = result.config
    lines.append(f"- extractors: {', '.join(x['label'] for x in cfg['extractors'])}")
    lines += [f"  - {_escape(label)}: `{spec}`; {_escape(settings)}" for label, spec, settings in
              extractor_settings(cfg)]
    sizes = size_rules(cfg)
    if sizes:
        lines.append("- image sizes:")
        lines += [f"  - {_escape(label)}: {_escape(rule)}" for label, rule in sizes]
    lines.append(f"- classifiers: {', '.join(x['label'] for x in cfg['classifiers'])}")
    lines += [f"  - {_escape(label)}: `{spec}`; {_escape(settings)}" for label, spec, settings in
              classifier_settings(cfg)]
    how = f"folds: {cfg['n_folds']}, splitter: {cfg['splitter']}" if cfg["mode"] == "cv" else "one train/test split"
    seed = f", seed: {cfg['random_state']}" if cfg.get("random_state") is not None else ""
    lines.append(f"- mode: {cfg['mode']}, {how}{seed}, ranked by: {cfg['rank_by']}, on_error: {cfg['on_error']}")
    lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in result.versions.items()
                                             if v is not None and k != "platform"))
    lines.append("")
    return "\n".join(lines)


#: Parameters left out of the one-line settings of an extractor: how work is run, not what is computed
#: (all are in the JSON report), and the backbone's data (shown as its name, input size and weights).
_RUN_SETTINGS = ("n_jobs", "batch_size", "on_error", "verbose", "max_pixels", "device", "precision", "compile",
                 "cache_dir", "backbone_config")


def extractor_settings(config) -> list:
    """``(label, spec, settings)`` of every extractor of a report's ``config``.

    ``spec`` is the full spec string that rebuilds it (or ``'(no spec: built in Python)'``);
    ``settings`` its parameters, defaults resolved, as ``key=value`` (for ``'cnn'``: the
    backbone, input size, pooling and where the weights come from), without the run settings.
    """
    rows = []
    for x in config.get("extractors", [config["extractor"]] if "extractor" in config else []):
        params = x.get("params", {})
        settings = ", ".join(f"{k}={_setting(v)}" for k, v in params.items() if k not in _RUN_SETTINGS)
        rows.append((x["label"], x.get("spec") or "(no spec: built in Python)", settings))
    return rows


def classifier_settings(config) -> list:
    """``(label, spec, settings)`` of every classifier of a report's ``config``.

    ``spec`` is the shortest spec string that rebuilds it (or ``'(no spec: built in Python)'``);
    ``settings`` its steps (``scale: StandardScaler > clf: SVC``) and every parameter of its
    final estimator, defaults included, as ``key=value``.
    """
    rows = []
    for x in config.get("classifiers", []):
        described = x.get("params") or {}
        params = described.get("params") or {}
        steps = params.get("steps")
        final = described
        parts = []
        if isinstance(steps, list) and steps:
            parts.append(" > ".join(f"{name}: {str(step.get('class', step)).rpartition('.')[2]}"
                                    if isinstance(step, dict) else f"{name}: {step}" for name, step in steps))
            final = steps[-1][1] if isinstance(steps[-1][1], dict) else {}
        else:
            parts.append(str(described.get("class", "")).rpartition(".")[2])
        final_params = final.get("params") or {}
        parts.append(", ".join(f"{k}={_setting(v)}" for k, v in final_params.items() if not isinstance(v, dict)))
        rows.append((x["label"], x.get("spec") or "(no spec: built in Python)", "; ".join(p for p in parts if p)))
    return rows


def _setting(value) -> str:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"
    return str(value)


def size_rules(config) -> list:
    """``(extractor label, size rule)`` of every extractor that reports one (what ``fit`` chose, and why)."""
    return [(x["label"], x["fitted"]["size_rule"]) for x in config.get("extractors", [])
            if x.get("fitted", {}).get("size_rule")]

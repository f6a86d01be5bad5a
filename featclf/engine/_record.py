"""The extraction record: features, the input index of each row, every skipped input.

Every entry point (transformers, evaluate, and later clustering, prediction and the
feature cache) builds on this one record, so nobody re-derives which row is which.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._public import user_stacklevel
from ..exceptions import SkippedImagesWarning


class SkippedInput(NamedTuple):
    """An input left out with ``on_error='skip'`` (or filled with NaN with ``'nan'``).

    Attributes
    ----------
    index : int
        Position of the input in what was passed.
    source : str
        Its path, or ``"item N (type)"`` for in-memory images.
    reason : str
        Why it could not be used (e.g. ``"no such file"``).
    """

    index: int
    source: str
    reason: str


@dataclass
class Extraction:
    """What one extractor made of a collection of inputs.

    Attributes
    ----------
    features : ndarray of shape (n_kept, n_features), float32
        One row per input that could be used, in input order.
    indices : ndarray of shape (n_kept,), intp
        Input position of each row: ``labels[record.indices]`` aligns labels with rows.
    skipped : list of SkippedInput
        Every input left out (``on_error`` 'skip' or 'nan'), in input order, with its
        index, source and reason. ``indices`` and the skipped indices together are
        exactly ``range(n_inputs)``; :meth:`filled` gives one row per input.
    n_inputs : int
        Number of inputs given.
    details : dict
        What the extractor reports about this run (for example the CNN's batch size,
        out-of-memory back-offs and inference path); empty for most extractors.
    timings : dict
        Seconds: ``wall_s`` (the whole pass), ``decode_s`` (decoding, summed over
        workers, shared by every extractor of the pass), ``compute_s`` (this
        extractor's own preparation and computation, summed over workers), and
        ``attributed_s``: the pass's wall time apportioned to this extractor (its
        computation, plus an equal share of decoding).
    cache : dict
        With a feature cache: ``path`` (its database), ``hits`` (rows read from it),
        ``computed`` (rows computed) and ``written`` (whether they were all written to it:
        False after a :class:`~featclf.exceptions.CacheWarning`); empty without a cache.
    """

    features: np.ndarray
    indices: np.ndarray
    skipped: list = field(default_factory=list)
    n_inputs: int = 0
    details: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    @property
    def n_kept(self) -> int:
        """Number of rows (inputs that could be used)."""
        return int(len(self.indices))

    @property
    def skipped_indices(self) -> np.ndarray:
        """Input positions of the skipped inputs, ndarray of intp."""
        return np.asarray([s.index for s in self.skipped], dtype=np.intp)

    def filled(self, fill_value=np.nan) -> np.ndarray:
        """The features with one row per input: the rows of skipped inputs hold ``fill_value``.

        As ``numpy.ma.MaskedArray.filled``: what ``transform`` returns with
        ``on_error='nan'``, aligned with the inputs by position.

        Parameters
        ----------
        fill_value : float, default=nan

        Returns
        -------
        ndarray of shape (n_inputs, n_features), float32
            Row ``i`` is input ``i``; the record's own features when nothing was skipped.

        Examples
        --------
        >>> import numpy as np
        >>> record = Extraction(np.ones((2, 1), np.float32), np.array([0, 2]), [SkippedInput(1, "b.png", "x")], 3)
        >>> record.filled().ravel().tolist()
        [1.0, nan, 1.0]
        """
        if self.n_kept == self.n_inputs:
            return self.features
        out = np.full((self.n_inputs, self.features.shape[1]), fill_value, dtype=np.float32)
        out[self.indices] = self.features
        return out


def warn_skipped(skipped, total: int, stacklevel: int | None = None, what: str = "Skipped") -> None:
    """Warn once (SkippedImagesWarning) about inputs skipped with ``on_error='skip'``, naming them.

    Parameters
    ----------
    skipped : list of SkippedInput or of (source, reason) pairs
        Nothing is warned when empty.
    total : int
        Number of inputs, for "Skipped k of total images".
    stacklevel : int, optional
        As in :func:`warnings.warn`; by default the warning points at the user's line, the
        first caller outside featclf, scikit-learn and joblib.
    what : str, default='Skipped'
        The first word of the message (e.g. ``'Filled with NaN the rows of'``).
    """
    if not skipped:
        return
    if stacklevel is None:
        stacklevel = user_stacklevel()
    pairs = [(s.source, s.reason) if isinstance(s, SkippedInput) else tuple(s) for s in skipped]
    shown = "; ".join(f"{src}: {why}" for src, why in pairs[:5])
    more = f"; and {len(pairs) - 5} more" if len(pairs) > 5 else ""
    warnings.warn(
        f"{what} {len(pairs)} of {total} images that could not be used: {shown}{more}",
        SkippedImagesWarning, stacklevel=user_stacklevel() if stacklevel is None else stacklevel,
    )


def paired_rows(records) -> tuple[np.ndarray, list[np.ndarray]]:
    """Pair the rows of several records of the same inputs.

    Parameters
    ----------
    records : list of Extraction
        Records of the same inputs (e.g. one per extractor), each possibly with
        different inputs skipped.

    Returns
    -------
    kept : ndarray of intp
        Sorted input positions that every record kept.
    rows : list of ndarray of intp
        For each record, the row of each input in ``kept``:
        ``records[r].features[rows[r]]`` are the features of the inputs ``kept``.
    """
    if not records:
        return np.empty(0, np.intp), []
    kept = records[0].indices
    for record in records[1:]:
        kept = np.intersect1d(kept, record.indices)
    kept = np.asarray(kept, dtype=np.intp)
    rows = []
    for record in records:
        order = np.argsort(record.indices, kind="stable")  # indices come in input order; be safe anyway
        rows.append(order[np.searchsorted(record.indices[order], kept)].astype(np.intp))
    return kept, rows


def merge_skipped(records, names) -> list[dict]:
    """One entry per input that any record skipped, naming the records that skipped it.

    Parameters
    ----------
    records : list of Extraction
    names : list of str
        A name per record (e.g. the extractor's label).

    Returns
    -------
    list of dict
        ``{"index", "source", "reason", "extractors": [names...]}``, sorted by index;
        source and reason are those of the first record that skipped the input.
    """
    merged: dict = {}
    for name, record in zip(names, records):
        for entry in record.skipped:
            if entry.index not in merged:
                merged[entry.index] = {"index": int(entry.index), "source": str(entry.source),
                                       "reason": str(entry.reason), "extractors": []}
            merged[entry.index]["extractors"].append(name)
    return [merged[index] for index in sorted(merged)]

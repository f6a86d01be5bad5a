"""The spec grammar (``"hog:orientations=12"``) lives in :mod:`featclf._spec`, below the extractor registry
(which reads specs too); this module keeps the names at their earlier path."""

from .._spec import format_spec, format_value, parse_spec, parse_value

__all__ = ["format_spec", "format_value", "parse_spec", "parse_value"]

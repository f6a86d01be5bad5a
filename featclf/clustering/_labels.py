"""The two labels that are not clusters (one module, imported by every other)."""

#: Label of an image HDBSCAN left in no cluster (and of a new image :meth:`predict` finds
#: outside every HDBSCAN cluster).
NOISE = -1
#: Label of an input that could not be used (unreadable; listed with its reason in ``skipped_``).
SKIPPED = -2

"""The feature cache: one SQLite row per (extractor configuration, image content), written as chunks come back.

Storage: one SQLite database, ``<cache_dir>/features.sqlite3`` (the standard library's
``sqlite3``; WAL journal, so readers never wait for a writer and a killed writer leaves
the last committed state). Each row holds one image's float32 feature row for one
extractor configuration: its key, the configuration's id, the number of features, a
CRC-32 of its key and bytes, the bytes and the time it was written.

**The key** of a row is ``sha256(configuration id + content digest)``:

* the **content digest** is the SHA-256 of the image's encoded bytes (a file's bytes, read
  once and decoded from the same bytes; ``bytes`` sources alike, so the same file under
  another path, or its bytes in memory, hit), of an array's bytes with its dtype and shape,
  or of a PIL image's pixels with its mode, size, palette, transparency and orientation;
* the **configuration id** is the SHA-256 of everything that changes the numbers: the
  extractor's class and parameters except those that only change how work runs
  (:data:`RUN_ONLY_PARAMS`: ``n_jobs``, ``verbose``, ``batch_size``, ``on_error``,
  ``cache_dir``), its fitted size and size rule, its kernel's configuration, what the
  extractor adds itself (the CNN: the resolved backbone configuration, a checksum of the
  network's weights and architecture, inference path, device, precision, images per
  forward pass, torch version), the input preparation of the pass (each kernel's image
  layout, the background transparency is composited onto, the pass's ``max_pixels``),
  the versions of the libraries that decode and compute (Pillow, OpenCV, numpy) and
  :data:`FEATURE_FORMAT`.

So a changed file, pixel, parameter or library version is a miss and is computed; a row
is never returned for another image or configuration.

**Files are not read again** when unchanged: the cache remembers, per absolute path, the
file's status (device, inode, size, modification and change times in ns) when it was
hashed, and a file with the same status is taken to have the same digest (the rule of
git's index and DVC's state database). Any write to a file changes its change time,
which programs cannot set back (``touch -d`` and ``cp -p`` set the modification time
only), so a rewritten file is hashed again; a file changed within :data:`RACY_S`
seconds before it was hashed is not remembered (a second change in the same clock tick
could keep its timestamps). Files whose digest is remembered and whose rows are all cached
are found in the calling process before the pass (:meth:`CacheReader.remembered`), so a
cached rerun reads no image file and starts no worker.

**Writes** happen in the calling process, one transaction per chunk of results as the
chunks stream back, so a process killed at any moment leaves only complete rows of
complete chunks, and a rerun computes only what is missing. **Reads** happen in the
workers, a chunk's keys in one query, before decoding: an image whose rows are all
cached is not decoded. A row whose length or CRC-32 does not match (a damaged file) is
a miss, recomputed and replaced. Concurrent processes share one cache: SQLite serialises
writers (each waits up to :data:`BUSY_TIMEOUT_S` seconds for another's transaction).

Inputs skipped with ``on_error`` are not cached (they are tried again on the next run).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sqlite3
import stat
import threading
import time
import warnings
import zlib

import numpy as np

from .._config import CACHE_DIR_ENV
from .._public import user_stacklevel
from ..exceptions import CacheError, CacheWarning

#: Bumped whenever featclf changes the numbers an extractor gives for the same configuration:
#: every row of an older format is then a miss.
FEATURE_FORMAT = 1
#: The database file inside the cache folder.
DB_NAME = "features.sqlite3"
#: Parameters that change how work runs, not the features: left out of the key.
RUN_ONLY_PARAMS = frozenset({"n_jobs", "verbose", "batch_size", "on_error", "cache_dir"})
#: Chunks of rows waiting for the writer thread at most (the extraction waits beyond).
WRITE_QUEUE = 8
#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_S = 60.0
#: A file changed less than this many seconds before it was hashed is not remembered by its
#: status (its next change could keep the same timestamps): it is hashed again next time.
RACY_S = 3.0
#: Files larger than this are hashed by streaming and decoded from the path (read twice)
#: instead of being held in memory as bytes while they are decoded.
READ_WHOLE_MAX_BYTES = 256 * 2**20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS configs (
    config TEXT PRIMARY KEY, extractor TEXT NOT NULL, description TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS features (
    key BLOB PRIMARY KEY, config TEXT NOT NULL, n_features INTEGER NOT NULL, crc INTEGER NOT NULL,
    data BLOB NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS features_created ON features (created);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, stat TEXT NOT NULL, digest BLOB NOT NULL, created REAL NOT NULL);
"""
#: The layout of the database; a cache written by another layout is refused with the fix.
SCHEMA_VERSION = "1"


def _damaged(path, exc) -> CacheError:
    """The :class:`CacheError` for a database error: locked, not writable, or damaged, each with its fix."""
    return CacheError(f"The feature cache {path} {_trouble(path, exc)}")


def _trouble(path, exc) -> str:
    """What is wrong with the cache, from SQLite's error, and the fix (no advice to delete a healthy cache)."""
    said = f"({type(exc).__name__}: {exc})"
    if _is_locked(exc):
        return (f"is locked by another process {said} for more than {BUSY_TIMEOUT_S:.0f} s (a long 'featclf cache "
                "clear', or a process holding it): wait for it to finish, or use another cache folder.")
    if "readonly" in str(exc) or "unable to open" in str(exc) or "disk I/O" in str(exc):
        return (f"cannot be written {said}: the file or its folder is read-only for this user. Fix the permissions "
                "of the folder and its features.sqlite3* files, or use another cache folder.")
    if "full" in str(exc):
        return f"cannot be written {said}: the disk is full. Free disk space, or use another cache folder."
    return (f"is damaged or not a featclf cache {said}. Delete it (rm {path}*), or use another cache folder; it is "
            "rebuilt as images are extracted.")


def _connect(path, *, create: bool) -> sqlite3.Connection:
    """A connection to the cache database: WAL journal, a busy timeout, transactions opened by ``with conn``.

    Creating the database while another process creates it too can meet a lock that
    SQLite reports at once instead of waiting (switching to WAL); that is retried for up
    to :data:`BUSY_TIMEOUT_S` seconds, never reported as damage.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            return _open(path, create=create)
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or time.monotonic() > deadline:
                raise _damaged(path, exc) from None
            time.sleep(0.05)
        except sqlite3.DatabaseError as exc:
            raise _damaged(path, exc) from None


def _is_locked(exc) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _open(path, *, create: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None if create else "DEFERRED",
                           check_same_thread=True)
    try:
        if create:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            (version,) = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            conn.isolation_level = "DEFERRED"
            if version != SCHEMA_VERSION:
                raise CacheError(
                    f"The feature cache {path} has layout {version}, which this featclf cannot read (it reads "
                    f"{SCHEMA_VERSION}). Delete it (rm {path}*) or use another cache folder."
                )
        # WAL without fsync: a killed process loses nothing committed (the OS holds the pages); a power loss may
        # lose the last transactions or damage the file: each row's CRC-32 is checked, and a damaged file is
        # reported (CacheError) with the fix. Measured: fsync at each checkpoint doubled the cost of writing.
        conn.execute("PRAGMA synchronous=OFF")
        return conn
    except BaseException:
        conn.close()
        raise


def check_cache_param(value, owner=None):
    """Validate a ``cache_dir`` parameter's type (a path, ``None`` or ``False``); nothing is created."""
    from .._config import _check_cache_dir

    return _check_cache_dir(value, owner if isinstance(owner, (str, type(None))) else type(owner).__name__)


def check_cache_dir(cache_dir) -> str:
    """Validate (and create) a cache folder before any extraction; return the database path.

    Raises
    ------
    CacheError
        The path is a file, cannot be created or written, or holds a damaged database;
        the message says which and the fix.
    """
    folder = os.path.abspath(os.fspath(cache_dir))
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CacheError(f"The cache folder {folder} is a file, not a folder. Give a folder path as cache_dir "
                         f"(--cache-dir, ${CACHE_DIR_ENV}); it is created if missing.")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise CacheError(f"The cache folder {folder} cannot be created ({exc.strerror or exc}). Give a folder you "
                         "can write to as cache_dir (--cache-dir).") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CacheError(f"The cache folder {folder} is not writable. Give a folder you can write to as cache_dir "
                         f"(--cache-dir), or fix its permissions (chmod u+rwx {folder}).")
    path = os.path.join(folder, DB_NAME)
    _connect(path, create=True).close()
    return path


# --------------------------------------------------------------------------- keys
def _canonical(value):
    """``value`` as JSON-ready data, deterministic across processes (arrays by their digest)."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"array": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(), "dtype": value.dtype.str,
                "shape": list(value.shape)}
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # exact
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if dataclasses.is_dataclass(value) and hasattr(value, "describe"):
        return _canonical(value.describe())
    text = repr(value)
    if re.search(r" at 0x[0-9a-f]+", text):  # an address: not the same in the next process
        raise TypeError(f"no stable description of {type(value).__name__}")
    return f"{type(value).__module__}.{type(value).__qualname__}:{text}"


def kernel_state(kernel) -> dict:
    """A kernel's configuration: its public attributes (not its per-process state), arrays by digest."""
    state = {k: v for k, v in vars(kernel).items() if not k.startswith("_") and k != "chunk_size"}
    return {"class": f"{type(kernel).__module__}.{type(kernel).__qualname__}", "mode": kernel.mode, **state}


def library_versions() -> dict:
    """Versions of the libraries that decode and compute, part of every key."""
    import cv2
    import PIL

    return {"numpy": np.__version__, "pillow": PIL.__version__, "opencv": cv2.__version__}


def config_id(description: dict) -> str:
    """The id of a configuration: SHA-256 (hex) of its canonical JSON, with :data:`FEATURE_FORMAT`."""
    text = json.dumps({"feature_format": FEATURE_FORMAT, **_canonical(description)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def content_digest(source):
    """``(digest, data)``: the SHA-256 of an image source's content, and its bytes to decode from.

    ``digest`` is ``None`` for a source that cannot be read here (a missing file, a
    directory): decoding it gives its error. ``data`` is the file's bytes, read once,
    for a regular file of at most :data:`READ_WHOLE_MAX_BYTES` bytes, else ``None``
    (decode the source itself).
    """
    if isinstance(source, np.ndarray):
        h = hashlib.sha256(b"array\0" + source.dtype.str.encode() + repr(source.shape).encode())
        h.update(np.ascontiguousarray(source).data)
        return h.digest(), None
    if isinstance(source, (bytes, bytearray, memoryview)):
        return hashlib.sha256(b"encoded\0" + bytes(source)).digest(), None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            info = os.stat(path)
        except OSError:
            return None, None
        if not stat.S_ISREG(info.st_mode) or info.st_size == 0:  # decoding names what is wrong
            return None, None
        return _file_digest(path, info.st_size)
    if hasattr(source, "getpixel") and hasattr(source, "tobytes"):  # a PIL image
        try:
            palette = source.getpalette() if source.mode in ("P", "PA") else None
            orientation = source.getexif().get(0x0112)
            head = repr((source.mode, source.size, palette, source.info.get("transparency"), orientation))
            h = hashlib.sha256(b"pil\0" + head.encode())
            h.update(source.tobytes())
        except Exception:  # noqa: BLE001 - unreadable here: decoding gives its error, nothing is cached
            return None, None
        return h.digest(), None
    return None, None


def _file_digest(path, size: int):
    """``(digest, data)`` of a regular file of ``size`` bytes (as :func:`content_digest`); ``(None, None)`` when
    it cannot be read."""
    try:
        with open(path, "rb") as f:
            if size > READ_WHOLE_MAX_BYTES:
                h = hashlib.sha256(b"encoded\0")
                while block := f.read(2**22):
                    h.update(block)
                return h.digest(), None
            data = f.read()
    except OSError:
        return None, None
    return hashlib.sha256(b"encoded\0" + data).digest(), (data or None)


def _absolute(paths) -> list:
    """Absolute forms of file paths (relative ones joined to the working folder; not normalised: the status
    check, device and inode included, tells whether two spellings name the same file)."""
    cwd = os.getcwd()
    return [os.path.join(cwd, os.fspath(p)) for p in paths]


def _crc(key: bytes, data: bytes) -> int:
    """CRC-32 of a row's key and bytes: a damaged row, or a valid row under another key, reads as a miss."""
    return zlib.crc32(data, zlib.crc32(key))


def _status(info) -> str:
    """What identifies a file's state without reading it: device, inode, size, modification and change times."""
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def entry_key(config: str, digest: bytes) -> bytes:
    """The row key of an image content under a configuration id."""
    return hashlib.sha256(config.encode() + digest).digest()


# --------------------------------------------------------------------------- reading (workers)
_LOCAL = threading.local()


@dataclasses.dataclass(frozen=True)
class CacheReader:
    """What a worker needs to read the cache: the database path and each kernel's configuration id."""

    path: str
    configs: tuple

    def _conn(self):
        """This thread's connection to the database, kept between chunks; a new one when the file was replaced
        (a cache deleted or cleared by hand meanwhile is not read through a stale handle)."""
        conns = getattr(_LOCAL, "conns", None)
        if conns is None or getattr(_LOCAL, "pid", None) != os.getpid():
            conns = _LOCAL.conns = {}
            _LOCAL.pid = os.getpid()
        try:
            inode = os.stat(self.path).st_ino
        except OSError:  # deleted: every row a miss (sqlite would create an empty file)
            raise sqlite3.OperationalError(f"{self.path} no longer exists") from None
        conn, known = conns.get(self.path, (None, None))
        if conn is None or known != inode:
            if conn is not None:
                conn.close()
            conn = _connect(self.path, create=False)
            conns[self.path] = (conn, inode)
        return conn

    def digests(self, sources) -> tuple[list, list]:
        """``(contents, memos)``: :func:`content_digest` of each source, a file's from its status when it can.

        A file whose path, device, inode, size, modification and change times (ns) are
        those recorded when it was last hashed is not read again: its recorded digest is
        used, and it is decoded from its path if a row is missing. This is the rule of git's
        index and DVC's state database; any write to a file changes its change time
        (``st_ctime``, which no program can set back). Files changed less than
        :data:`RACY_S` seconds before they were hashed are never remembered. ``memos`` are
        ``(path, status, digest)`` of the files hashed here that may be remembered (the
        calling process writes them).
        """
        contents = [None] * len(sources)
        files = {}
        cwd = os.getcwd()
        for i, source in enumerate(sources):
            if isinstance(source, (str, os.PathLike)):
                path = os.path.join(cwd, os.fspath(source))
                try:
                    info = os.stat(path)
                except OSError:
                    contents[i] = (None, None)  # decoding names what is wrong
                    continue
                if stat.S_ISREG(info.st_mode) and info.st_size > 0:
                    files[i] = (path, _status(info), info)
                    continue
            contents[i] = content_digest(source)
        known = self._known([path for path, _, _ in files.values()]) if files else {}
        memos = []
        now = time.time()
        for i, (path, status, info) in files.items():
            if known.get(path, (None,))[0] == status:
                contents[i] = (known[path][1], None)
                continue
            contents[i] = _file_digest(path, info.st_size)  # its status is known: not asked again
            if contents[i][0] is not None and now - max(info.st_mtime_ns, info.st_ctime_ns) / 1e9 > RACY_S:
                memos.append((path, status, contents[i][0]))
        return contents, memos

    def remembered(self, sources) -> dict:
        """``{index: rows}``: the files found whole in the cache without reading them (run in the calling process).

        A file qualifies when its digest is remembered for its current status (see
        :meth:`digests`) and the row of every configuration is cached and valid; ``rows``
        holds those rows (float32, one per configuration). Nothing is read but the cache.
        """
        paths = _absolute(sources)
        conn = _connect(self.path, create=False)
        try:
            known = self._known(paths, conn)  # the file system is asked only about the files remembered
            keys = {}
            for i, path in enumerate(paths):
                if path in known:
                    try:
                        same = _status(os.stat(path)) == known[path][0]
                    except OSError:
                        continue
                    if same:
                        keys[i] = [entry_key(c, known[path][1]) for c in self.configs]
            found = self.fetch([key for row in keys.values() for key in row], conn)
        finally:
            conn.close()
        return {i: [found[key] for key in row] for i, row in keys.items() if all(key in found for key in row)}

    def _known(self, paths, conn=None) -> dict:
        """``{path: (status, digest)}`` recorded for these paths."""
        found = {}
        try:
            conn = conn or self._conn()
        except (sqlite3.Error, CacheError):  # deleted or unreadable meanwhile: hash the files
            return found
        for s in range(0, len(paths), 500):  # SQLite's limit on host parameters
            part = paths[s : s + 500]
            try:
                found.update((path, (status, digest)) for path, status, digest in conn.execute(
                    f"SELECT path, stat, digest FROM files WHERE path IN ({','.join('?' * len(part))})", part))
            except sqlite3.DatabaseError:  # damaged pages: hash the files
                return {}
        return found

    def fetch(self, keys, conn=None) -> dict:
        """``{key: row}`` for the keys found with a valid row (float32, read-only); damaged rows are left out."""
        found = {}
        try:
            conn = conn or self._conn()
        except (sqlite3.Error, CacheError):  # deleted or unreadable meanwhile: every row a miss
            return found
        keys = list(keys)
        for s in range(0, len(keys), 500):  # SQLite's limit on host parameters
            part = keys[s : s + 500]
            try:
                rows = conn.execute(f"SELECT key, n_features, crc, data FROM features WHERE key IN "
                                    f"({','.join('?' * len(part))})", part).fetchall()
            except sqlite3.DatabaseError:  # damaged pages: recompute (the parent reports a write failure)
                return found
            for key, n_features, crc, data in rows:
                if len(data) == 4 * n_features and _crc(key, data) == crc:
                    found[key] = np.frombuffer(data, dtype=np.float32)
        return found


# --------------------------------------------------------------------------- writing (the calling process)
class CacheWriter:
    """The calling process's writer: registers configurations, and writes each chunk's rows in one transaction.

    Rows are written by a thread of their own (SQLite releases the GIL while it writes),
    so the extraction goes on while a chunk is committed; at most :data:`WRITE_QUEUE`
    chunks wait. A process killed meanwhile loses only the chunks not yet committed
    (they are computed again by the next run). :meth:`close` waits for every chunk.
    """

    def __init__(self, path: str):
        self.path = path
        self.conn = _connect(path, create=False)
        self.error = None
        self._queue = None
        self._thread = None

    def register(self, config: str, extractor: str, description: dict) -> None:
        text = json.dumps(_canonical(description), sort_keys=True)
        self._write(self.conn, "INSERT OR IGNORE INTO configs VALUES (?, ?, ?, ?)",
                    [(config, extractor, text, time.time())])

    def store(self, rows) -> None:
        """Queue ``(key, config, row)`` triples for one transaction (replacing damaged rows)."""
        self._put("features", list(rows))

    def store_digests(self, memos) -> None:
        """Queue ``(path, status, digest)`` of files hashed (:meth:`CacheReader.digests`) for one transaction."""
        self._put("files", list(memos))

    def _put(self, table, rows) -> None:
        if not rows or self.error is not None:
            return
        if self._thread is None:
            import queue

            self.conn.close()  # the thread has its own connection
            self._queue = queue.Queue(maxsize=WRITE_QUEUE)
            self._thread = threading.Thread(target=self._run, name="featclf-cache-writer", daemon=True)
            self._thread.start()
        self._queue.put((table, rows))

    def _run(self):
        conn = _connect(self.path, create=False)
        try:
            while (item := self._queue.get()) is not None:
                if self.error is not None:
                    continue  # drain: the extraction goes on without the cache
                table, rows = item
                now = time.time()
                if table == "files":
                    self._write(conn, "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                                [(path, status, digest, now) for path, status, digest in rows])
                    continue
                params = []
                for key, config, row in rows:
                    data = np.ascontiguousarray(row, dtype=np.float32).tobytes()
                    params.append((key, config, len(data) // 4, _crc(key, data), data, now))
                self._write(conn, "INSERT OR REPLACE INTO features VALUES (?, ?, ?, ?, ?, ?)", params)
        finally:
            conn.close()

    def _write(self, conn, sql, params) -> None:
        try:
            with conn:
                conn.executemany(sql, params)
        except sqlite3.Error as exc:  # disk full, a lock held too long, damage: the extraction goes on
            self.error = exc

    def close(self) -> None:
        """Wait for every queued chunk to be committed; warn (CacheWarning) if the cache could not be written."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        else:
            self.conn.close()
        if self.error is not None:
            warnings.warn(
                f"The rows computed were not all written to the feature cache, which {_trouble(self.path, self.error)} "
                "The extraction went on without writing to it (its features are right; rows written before stay "
                "valid).", CacheWarning, stacklevel=user_stacklevel(),
            )


# --------------------------------------------------------------------------- info and clearing
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text) -> float:
    """Seconds in an age such as ``'7d'``, ``'12h'``, ``'30m'``, ``'90s'``, ``'2w'`` (or a number of seconds).

    Raises
    ------
    InvalidParameterError
        Not a number followed by one of s, m, h, d, w.
    """
    from ..exceptions import InvalidParameterError

    if isinstance(text, (int, float)) and not isinstance(text, bool) and text >= 0:
        return float(text)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", str(text))
    if not match:
        raise InvalidParameterError(
            f"The 'older_than' parameter must be an age such as '7d', '12h', '30m', '90s' or '2w' (or seconds). "
            f"Got {text!r} instead."
        )
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _existing(cache_dir) -> str | None:
    from .._config import resolve_cache_dir

    folder = resolve_cache_dir(cache_dir, "the feature cache")
    if folder is None:
        raise CacheError(f"No cache folder given: pass cache_dir (--cache-dir DIR), or set it with "
                         f"featclf.set_config(cache_dir=...) or ${CACHE_DIR_ENV}.")
    folder = os.path.abspath(os.fspath(folder))
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CacheError(f"The cache folder {folder} is a file, not a folder. Give the cache's folder (--cache-dir, "
                         f"${CACHE_DIR_ENV}).")
    path = os.path.join(folder, DB_NAME)
    return path if os.path.isfile(path) else None


def cache_info(cache_dir=None) -> dict:
    """What a feature cache holds.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        The cache folder; default: the one set (:func:`featclf.set_config`,
        ``$FEATCLF_CACHE_DIR``).

    Returns
    -------
    dict
        ``path`` (the database file), ``size_bytes`` (the database and its journal on
        disk), ``entries`` (feature rows), and ``extractors``: one dict per extractor
        configuration with ``extractor`` (its class), ``config`` (its id, the first 12
        hex digits), ``entries``, ``oldest`` and ``newest`` (Unix times), and
        ``description`` (the configuration keyed). An empty cache (or a folder without
        one yet) has ``entries=0``.

    Raises
    ------
    CacheError
        No cache folder given or set; a damaged database.

    Examples
    --------
    >>> import featclf, tempfile
    >>> featclf.cache_info(tempfile.mkdtemp())["entries"]
    0
    """
    path = _existing(cache_dir)
    if path is None:
        from .._config import resolve_cache_dir

        folder = os.path.abspath(resolve_cache_dir(cache_dir))
        return {"path": os.path.join(folder, DB_NAME), "size_bytes": 0, "entries": 0, "extractors": []}
    conn = _connect(path, create=True)
    try:
        rows = conn.execute(
            "SELECT c.extractor, c.config, c.description, COUNT(f.key), MIN(f.created), MAX(f.created) "
            "FROM configs c JOIN features f ON f.config = c.config GROUP BY c.config ORDER BY c.extractor, c.config"
        ).fetchall()
        (entries,) = conn.execute("SELECT COUNT(*) FROM features").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from None
    finally:
        conn.close()
    size = sum(os.path.getsize(path + suffix) for suffix in ("", "-wal", "-shm") if os.path.exists(path + suffix))
    extractors = [{"extractor": name, "config": config[:12], "entries": count, "oldest": oldest, "newest": newest,
                   "description": json.loads(description)}
                  for name, config, description, count, oldest, newest in rows]
    return {"path": path, "size_bytes": size, "entries": int(entries), "extractors": extractors}


def clear_cache(cache_dir=None, *, older_than=None) -> int:
    """Delete rows from a feature cache: all of them, or those written more than ``older_than`` ago.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        The cache folder; default: the one set (:func:`featclf.set_config`,
        ``$FEATCLF_CACHE_DIR``).
    older_than : str or float, optional
        An age (``'7d'``, ``'12h'``, ``'30m'``, ``'90s'``, ``'2w'``, or seconds): only rows
        written before it go. Default: every row.

    Returns
    -------
    int
        The number of rows deleted. The file shrinks when no other process is using the
        cache (SQLite ``VACUUM``); otherwise its free pages are reused.

    Raises
    ------
    CacheError
        No cache folder given or set; a damaged database.
    InvalidParameterError
        A bad ``older_than``.
    """
    cutoff = None if older_than is None else time.time() - parse_age(older_than)
    path = _existing(cache_dir)
    if path is None:
        return 0
    conn = _connect(path, create=True)
    try:
        with conn:
            if cutoff is None:
                deleted = conn.execute("DELETE FROM features").rowcount
                conn.execute("DELETE FROM files")
            else:
                deleted = conn.execute("DELETE FROM features WHERE created < ?", (cutoff,)).rowcount
                conn.execute("DELETE FROM files WHERE created < ?", (cutoff,))
            conn.execute("DELETE FROM configs WHERE config NOT IN (SELECT DISTINCT config FROM features)")
        try:
            conn.execute("VACUUM")
        except sqlite3.OperationalError:  # another process is using it: the free pages are reused instead
            pass
    except sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from None
    finally:
        conn.close()
    return int(deleted)


__all__ = ["FEATURE_FORMAT", "RUN_ONLY_PARAMS", "CacheReader", "CacheWriter", "cache_info", "check_cache_dir",
           "check_cache_param",
           "clear_cache", "config_id", "content_digest", "entry_key", "kernel_state", "library_versions",
           "parse_age"]

"""``keras.datasets.data_utils``: the cache folder, ``get_file`` and reading its Python 2 files.

The cache folder is ``~/.keras/datasets`` (the 0.x one), or the folder named by
the environment variable ``KERAS_LEGACY_DATASETS`` when it is set.

``get_file(fname, origin)`` returns ``<cache>/<fname>``; when that file is not
there it is downloaded from ``origin`` first (with the 0.x progress bar).  With
``untar=True`` the download is ``<cache>/<fname>.tar.gz`` and the returned path
is the folder ``<cache>/<fname>``, extracted from the tarball unless it already
exists (an existing folder wins over the tarball, as in 0.x).

Differences from 0.x, all about failures: a download goes to ``<file>.part``
and is renamed only when complete, and a tarball is extracted into a scratch
folder that is renamed only when extraction succeeded, so an interrupted run
never leaves a half file or folder that later runs would take for the real one.
A file that cannot be fetched raises :class:`DatasetNotFoundError`; a file that
cannot be read (truncated gzip/tar/pickle) raises :class:`DamagedDatasetError`.
Both are ``OSError`` subclasses whose message names the file, the address it
comes from and where to put it.
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib

from keras_legacy.utils.generic_utils import Progbar

CACHE_ENV = "KERAS_LEGACY_DATASETS"
_CHUNK = 1 << 16


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is not in the cache folder and could not be downloaded."""


class DamagedDatasetError(OSError):
    """A dataset file in the cache folder cannot be read (truncated or not the expected format)."""


class ParanoidURLopener:
    """The 0.x opener that turns any HTTP error status into an exception.

    Kept for code that imports it; :func:`get_file` downloads with
    ``urllib.request.urlopen``, which raises on HTTP errors by itself.
    """

    def http_error_default(self, url, fp, errcode, errmsg, headers):
        raise OSError(f"URL fetch failure on {url}: {errcode} -- {errmsg}")


def cache_dir():
    """The dataset cache folder: ``$KERAS_LEGACY_DATASETS`` or ``~/.keras/datasets``."""
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return os.path.expanduser(override)
    return os.path.join(os.path.expanduser("~"), ".keras", "datasets")


def _where_to_put(fpath, origin):
    return (
        f"Download {origin} yourself and save it as {fpath} (the cache folder is "
        f"~/.keras/datasets, or ${CACHE_ENV} when set)."
    )


def _download(origin, fpath):
    """Fetch ``origin`` into ``fpath`` through ``fpath + '.part'``, showing a Progbar."""
    partial = fpath + ".part"
    try:
        with urllib.request.urlopen(origin, timeout=60) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            progbar = Progbar(total) if total > 0 else None
            received = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                if progbar is not None:
                    progbar.update(min(received, total))
        if total > 0 and received != total:
            raise DatasetNotFoundError(
                f"The download of {os.path.basename(fpath)} from {origin} stopped after "
                f"{received} of {total} bytes. Run again, or: {_where_to_put(fpath, origin)}"
            )
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if os.path.exists(partial):
            os.remove(partial)
        if isinstance(exc, DatasetNotFoundError):
            raise
        raise DatasetNotFoundError(
            f"Dataset file {os.path.basename(fpath)} is not in the cache and could not be "
            f"downloaded from {origin} ({exc}). {_where_to_put(fpath, origin)}"
        ) from exc
    os.replace(partial, fpath)


def _extract(tarball, datadir, folder, origin):
    """Extract ``tarball`` into ``datadir`` so that ``datadir/folder`` appears only when complete."""
    scratch = tempfile.mkdtemp(prefix=".extract-", dir=datadir)
    try:
        try:
            with tarfile.open(tarball, "r:gz") as archive:
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(scratch, filter="data")
                else:  # Python before 3.11.4: no extraction filters
                    archive.extractall(scratch)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise DamagedDatasetError(
                f"The cached archive {tarball} is damaged ({type(exc).__name__}: {exc}). "
                f"Delete it to download it again from {origin}, or replace it with a good copy."
            ) from exc
        for name in os.listdir(scratch):
            target = os.path.join(datadir, name)
            if not os.path.exists(target):
                os.replace(os.path.join(scratch, name), target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not os.path.isdir(os.path.join(datadir, folder)):
        raise DamagedDatasetError(
            f"The archive {tarball} does not hold a folder {folder!r}: it is not the file "
            f"from {origin}. Delete it to download it again."
        )


def get_file(fname, origin, untar=False):
    """The path of ``fname`` in the cache folder, downloading it from ``origin`` if missing.

    With ``untar=True`` the cached file is ``<fname>.tar.gz`` and the result is
    the folder ``<fname>`` extracted from it.
    """
    datadir = cache_dir()
    os.makedirs(datadir, exist_ok=True)
    target = os.path.join(datadir, fname)
    fpath = target + ".tar.gz" if untar else target
    if untar and os.path.isdir(target):
        return target
    if not os.path.isfile(fpath):
        print("Downloading data from", origin)
        _download(origin, fpath)
    if untar:
        print("Untaring file...")
        _extract(fpath, datadir, fname, origin)
    return target


def load_pickle(path, origin=None):
    """Unpickle ``path`` (gzip-compressed if it ends in ``.gz``) as Python 2 wrote it.

    Python 2 byte strings come back as ``str`` decoded as Latin-1 (so NumPy
    arrays load and dictionary keys are text).  A truncated or foreign file
    raises :class:`DamagedDatasetError`.
    """
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return pickle.load(handle, encoding="latin1")
    except FileNotFoundError as exc:
        where = f" It comes from {origin}." if origin else ""
        raise DatasetNotFoundError(f"Dataset file {path} does not exist.{where}") from exc
    except (pickle.UnpicklingError, EOFError, gzip.BadGzipFile, zlib.error, ValueError,
            TypeError, AttributeError, ImportError, IndexError, KeyError) as exc:
        again = f" to download it again from {origin}" if origin else ""
        raise DamagedDatasetError(
            f"The dataset file {path} is damaged or not a pickle of the expected data "
            f"({type(exc).__name__}: {exc}). Delete it{again}, or replace it with a good copy."
        ) from exc

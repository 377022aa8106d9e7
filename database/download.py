"""Fetch the IMDb files from a base URL into a cache, or find them in a local directory.

A download goes to ``<name>.part`` and is renamed into place only when complete: the byte count
must match ``Content-Length`` and the gzip stream must end cleanly, so a partial download never
passes for a complete one. The server's ``ETag``/``Last-Modified`` are kept beside the file and
sent back as ``If-None-Match``/``If-Modified-Since``: an unchanged file is not downloaded again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urljoin, urlparse

import requests
from tqdm import tqdm

CHUNK = 1 << 20
TIMEOUT = (15, 120)  # connect, read (seconds)


class DownloadError(Exception):
    pass


def is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


def cache_folder(base_url: str, cache_root: Path) -> Path:
    """One cache folder per base URL (so two mirrors never mix their files)."""
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:12]
    host = urlparse(base_url).hostname or "local"
    return cache_root / f"{host}-{digest}"


def _gzip_is_complete(path: Path) -> bool:
    try:
        with gzip.open(path, "rb") as f:
            while f.read(CHUNK):
                pass
        return True
    except (EOFError, OSError, zlib.error):
        return False


def _cache_is_intact(target: Path, meta_path: Path) -> bool:
    """The cached file still has the size it was downloaded with and, if gzip, a whole stream:
    a truncated or corrupted cache must not pass for unchanged on a 304."""
    try:
        size = json.loads(meta_path.read_text()).get("size")
    except (OSError, ValueError):
        return False
    if size is not None and target.stat().st_size != size:
        return False
    return not target.name.endswith(".gz") or _gzip_is_complete(target)


def _download(url: str, target: Path, echo: Callable[[str], None]) -> str:
    """Download ``url`` to ``target`` if changed; returns 'downloaded', 'unchanged' or 'missing'."""
    meta_path = target.with_name(target.name + ".meta.json")
    headers = {}
    if target.exists() and meta_path.exists() and not _cache_is_intact(target, meta_path):
        echo(f"{target.name}: the cached copy is damaged (size or gzip stream): fetching again")
        target.unlink()
        meta_path.unlink()
    if target.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    try:
        response = requests.get(url, headers=headers, stream=True, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise DownloadError(f"{url}: {exc}") from exc
    with response:
        if response.status_code == 304:
            return "unchanged"
        if response.status_code == 404:
            return "missing"
        if response.status_code != 200:
            raise DownloadError(f"{url}: HTTP {response.status_code}")
        expected = response.headers.get("Content-Length")
        part = target.with_name(target.name + ".part")
        received = 0
        total = int(expected) if expected else None
        with (
            open(part, "wb") as out,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=target.name,
                leave=False,
                disable=None,  # no bar when the output is not a terminal
            ) as bar,
        ):
            try:
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            except requests.RequestException as exc:
                raise DownloadError(f"{url}: interrupted after {received} bytes: {exc}") from exc
    if total is not None and received != total:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{url}: incomplete download, {received} of {total} bytes")
    if target.name.endswith(".gz") and not _gzip_is_complete(part):
        part.unlink(missing_ok=True)
        raise DownloadError(f"{url}: the downloaded file is not a complete gzip stream")
    os.replace(part, target)
    meta_path.write_text(
        json.dumps(
            {
                "url": url,
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
                "size": received,
            }
        )
    )
    echo(f"downloaded {target.name} ({received:,} bytes)")
    return "downloaded"


def fetch(
    source: str, names: Iterable[str], cache_root: Path, echo: Callable[[str], None] = print
) -> dict[str, Path | None]:
    """Local paths of the files (None when the source does not have one)."""
    names = list(names)
    if not is_url(source):
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise DownloadError(f"{source}: not a directory nor an http(s) URL")
        return {n: (folder / n if (folder / n).is_file() else None) for n in names}
    base = source if source.endswith("/") else source + "/"
    folder = cache_folder(base, cache_root)
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path | None] = {}
    for name in names:
        status = _download(urljoin(base, name), folder / name, echo)
        if status == "unchanged":
            echo(f"{name}: unchanged since last download (cached)")
        found[name] = None if status == "missing" else folder / name
    return found


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()

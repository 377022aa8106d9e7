"""What an import will take, said before it starts: the files, the disk and the time.

The ratios come from the measurements at the full dump's size (200 M IMDb-shaped rows, 1.97 GB of
gzip, on 2 cores, docs/benchmarks.md). Every title type (7e3dcda): the data directory peaked
44.8 GB above its level before the import (23 times the gzip), the database ended at 28.7 GB
(15 times) and the import took 19.6 min (600 s per GB of gzip). Without the episodes (the default
types; 9ede67b, whose staging leaves their lines out): peak 20.1 GB (10 times), database 13.2 GB
(7 times), 8.5 min on a fast day and about 11 on the slower one (330 s per GB). A first import is
refused when the free disk is below the peak: on a laptop, finding out at 90 % is worse.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from database.download import TIMEOUT, is_url

PEAK_PER_GZIP_BYTE = 23
FINAL_PER_GZIP_BYTE = 15
SECONDS_PER_GZIP_GB = 600
# a subset without the episodes (three quarters of the titles, most of the credits)
NO_EPISODES = {"peak": 10, "final": 7, "seconds": 330}
GB = 1024**3


class NotEnoughDisk(Exception):
    pass


@dataclass
class Plan:
    files: dict[str, int | None]  # size in bytes, None when the server does not say
    free: int | None  # free bytes where the database lives, None when unknown (a remote server)
    episodes: bool = True  # False: a subset of the title types without tvEpisode

    @property
    def gzip_bytes(self) -> int:
        return sum(size or 0 for size in self.files.values())

    @property
    def peak(self) -> int:
        return self.gzip_bytes * (PEAK_PER_GZIP_BYTE if self.episodes else NO_EPISODES["peak"])

    @property
    def final(self) -> int:
        return self.gzip_bytes * (FINAL_PER_GZIP_BYTE if self.episodes else NO_EPISODES["final"])

    @property
    def minutes(self) -> float:
        seconds = SECONDS_PER_GZIP_GB if self.episodes else NO_EPISODES["seconds"]
        return self.gzip_bytes / GB * seconds / 60

    def render(self) -> str:
        known = sum(size is not None for size in self.files.values())
        free = f"{self.free / GB:.1f} GB free" if self.free is not None else "free space unknown"
        what = "every title type" if self.episodes else "without the episodes"
        return (
            f"import plan: {known} of {len(self.files)} files, {self.gzip_bytes / GB:.2f} GB of "
            f"gzip; {what}, the database needs about {self.peak / GB:.1f} GB at its peak and "
            f"{self.final / GB:.1f} GB after ({free}); about {self.minutes:.0f} min on 2 cores"
        )

    def check(self) -> None:
        """Refuse when the disk cannot hold the peak (and the downloads)."""
        needed = self.peak + self.gzip_bytes
        if self.free is not None and self.free < needed:
            raise NotEnoughDisk(
                f"not enough disk for this import: about {needed / GB:.1f} GB needed, "
                f"{self.free / GB:.1f} GB free. Import a subset (e.g. --title-types "
                "movie,tvMovie,tvSeries,tvMiniSeries --min-votes 100), free some space, or "
                "pass --no-disk-check"
            )


def source_sizes(source: str, names: list[str]) -> dict[str, int | None]:
    """Each file's size: from the directory, or the server's Content-Length (HEAD)."""
    if not is_url(source):
        folder = Path(source).expanduser()
        return {n: (folder / n).stat().st_size if (folder / n).is_file() else None for n in names}
    base = source if source.endswith("/") else source + "/"
    sizes: dict[str, int | None] = {}
    for name in names:
        try:
            response = requests.head(urljoin(base, name), timeout=TIMEOUT, allow_redirects=True)
            length = response.headers.get("Content-Length") if response.ok else None
            sizes[name] = int(length) if length else None
        except requests.RequestException:
            sizes[name] = None
    return sizes


def plan(
    source: str,
    names: list[str],
    data_dir: Path | None,
    title_types: tuple[str, ...] | None = None,
) -> Plan:
    """``title_types``: the subset kept (None: every type)."""
    free = shutil.disk_usage(data_dir).free if data_dir is not None else None
    episodes = title_types is None or "tvEpisode" in title_types
    return Plan(source_sizes(source, names), free, episodes)

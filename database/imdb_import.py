"""Import the IMDb dataset files into the catalogue: stage, validate, build, swap.

1. **fetch**: local directory, or download from a base URL into the cache (database/download.py).
2. **stage**: each file streamed into its staging table with COPY (database/imdb_reader.py); the
   lines the server refuses are isolated and recorded in ``ops.import_reject``.
   The staging tables are typed, so COPY checks every value on the way in.
3. **build**, in one transaction: the typed tables in ``catalog_next``
   (database/catalog_build.py), then the **swap**: ``catalog`` dropped, ``catalog_next`` renamed to
   ``catalog``, every view and function over it re-created (repeatable migrations) — then COMMIT.

Readers see the old catalogue until that commit (they wait a moment on locks during the swap, they
never see a half-built one). An import killed at any point leaves the previous catalogue intact; its
run stays marked ``running``/``failed`` in ``ops.import_run``. With ``wal_level = minimal`` (the
embedded server's setting) tables created and filled in the same transaction skip the WAL.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from tqdm import tqdm

from database import config, kept_files
from database.analytics_upkeep import keep_up
from database.catalog_build import (
    BUILD_SETTINGS,
    CatalogBuilder,
    NotIncremental,
    Subset,
    enable_autovacuum,
    use_build_settings,
)
from database.catalog_delta import apply_delta
from database.catalog_refresh import apply_changes, record_changes
from database.derived_build import NEXT, PREBUILT, move_in, prebuild
from database.download import fetch, sha256
from database.file_diff import (
    DuplicateKey,
    FileDiff,
    TooManyChanges,
    imdb_number,
    lines_of,
    timed_diff,
)
from database.imdb_files import FILES, ImdbFile
from database.imdb_reader import (
    ImportFileError,
    StagingCopier,
    check_header,
    prefetch,
    read_blocks,
)
from database.kept_titles import KeptTitles
from database.migrate import apply_repeatables, lock_views

IMPORT_LOCK = 0x696D6462  # "imdb"
CREW, NAMES = "title.crew.tsv.gz", "name.basics.tsv.gz"
BASICS = "title.basics.tsv.gz"

STORED_SQL = {
    "title.basics.tsv.gz": "SELECT count(*) FROM catalog_next.title WHERE NOT is_placeholder",
    "title.akas.tsv.gz": "SELECT count(*) FROM catalog_next.aka",
    "title.crew.tsv.gz": """SELECT count(*) FROM staging.title_crew c WHERE EXISTS (
        SELECT 1 FROM catalog_next.title t WHERE t.title_id = substr(c.tconst, 3)::integer)""",
    "title.episode.tsv.gz": "SELECT count(*) FROM catalog_next.episode",
    "title.principals.tsv.gz": "SELECT count(*) FROM catalog_next.principal",
    "title.ratings.tsv.gz": "SELECT count(*) FROM catalog_next.rating",
    "name.basics.tsv.gz": "SELECT count(*) FROM catalog_next.person WHERE NOT is_placeholder",
}


class ImportFailed(Exception):
    """The import was refused; the previous catalogue is untouched."""


@dataclass
class ImportOptions:
    title_types: tuple[str, ...] | None = None
    min_votes: int | None = None
    force: bool = False
    full: bool = False  # rebuild and swap even when the catalogue could be refreshed in place
    max_reject_rate: float = 0.001  # fail when a file rejects more than 0.1 % of its lines...
    max_rejects: int = 100  # ...and more than this many lines
    validate_foreign_keys: bool = False  # True: check every foreign key with a scan
    every_line: bool = False  # a refresh reads every line even where the changed ones would do


@dataclass
class FileReport:
    present: bool = False
    read: int = 0
    stored: int = 0
    rejected: int = 0
    filtered: int = 0
    seconds: float = 0.0


@dataclass
class ImportReport:
    source: str
    run_id: int | None = None
    status: str = "running"
    mode: str = "rebuild"  # or "refresh": only the changes applied (database/catalog_refresh.py)
    # a refresh from "changed lines" (database/catalog_delta.py) or from "every line"
    scope: str = ""
    files: dict[str, FileReport] = field(default_factory=dict)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)  # refresh: per table
    placeholder_titles: int = 0
    placeholder_people: int = 0
    duplicate_list_entries: int = 0
    # a refresh: titles and people with a row written (ops.title_change, ops.person_change)
    titles_changed: int | None = None
    people_changed: int | None = None
    phases: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> str:
        return json.dumps(asdict(self))

    def render(self) -> str:
        if self.status == "unchanged":
            return f"Catalogue already built from these files ({self.source}): nothing to do."
        lines = [
            f"Import run {self.run_id} from {self.source}: {self.status} in {self.seconds:.1f} s"
            f" ({self.mode}{' from ' + self.scope if self.scope else ''})",
            f"{'file':<26}{'read':>12}{'stored':>12}{'rejected':>10}{'filtered':>12}{'rows/s':>11}",
        ]
        for name, f in self.files.items():
            if not f.present:
                lines.append(f"{name:<26}{'missing: nothing imported from this file':>57}")
                continue
            rate = f.read / f.seconds if f.seconds else 0
            lines.append(
                f"{name:<26}{f.read:>12,}{f.stored:>12,}{f.rejected:>10,}"
                f"{f.filtered:>12,}{rate:>11,.0f}"
            )
        lines.append(
            f"placeholders created: {self.placeholder_people:,} unnamed people, "
            f"{self.placeholder_titles:,} titles absent from title.basics; "
            f"duplicate list entries dropped: {self.duplicate_list_entries:,}"
        )
        if self.mode == "refresh":
            changed = {t: c for t, c in self.changes.items() if any(c.values())}
            lines.append(
                "changes applied (table: inserted/updated/deleted): "
                + (
                    ", ".join(
                        f"{t} {c['inserted']:,}/{c['updated']:,}/{c['deleted']:,}"
                        for t, c in changed.items()
                    )
                    or "none"
                )
            )
        lines.append("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()))
        lines.append(
            f"rejected lines: SELECT * FROM ops.import_reject WHERE run_id = {self.run_id};"
        )
        return "\n".join(lines)


class Importer:
    def __init__(
        self, url: str, source: str, options: ImportOptions, echo: Callable[[str], None] = print
    ):
        self.url = url
        self.source = source
        self.options = options
        self.echo = echo
        self.report = ImportReport(source=source)

    @contextmanager
    def timer(self, phase: str) -> Iterator[None]:
        """Times a phase into the report, and says it is done: at full size an import is half an
        hour of phases, and a silent one looks stuck."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.report.phases[phase] = round(time.perf_counter() - start, 3)
            self.echo(f"  {phase}: {self.report.phases[phase]:,.1f} s")

    # ------------------------------------------------------------------ bookkeeping
    def _unchanged(self, admin: psycopg.Connection, digests: dict[str, str]) -> bool:
        rows = admin.execute(
            """SELECT s.file_name, s.sha256, r.options FROM ops.catalog_source s
               JOIN ops.import_run r USING (run_id)"""
        ).fetchall()
        if not rows or any(r[2] != self._options_json() for r in rows):
            return False
        return {r[0]: r[1] for r in rows} == digests

    def _options_json(self) -> dict:
        return {
            "title_types": list(self.options.title_types or []) or None,
            "min_votes": self.options.min_votes,
        }

    def _rejects(self, conn: psycopg.Connection, file_name: str) -> int:
        return conn.execute(
            "SELECT count(*) FROM ops.import_reject WHERE run_id = %s AND file_name = %s",
            (self.report.run_id, file_name),
        ).fetchone()[0]

    def _check_threshold(self, spec: ImdbFile, rejected: int, read: int) -> None:
        allowed = max(self.options.max_rejects, int(self.options.max_reject_rate * read))
        if rejected > allowed:
            raise ImportFailed(
                f"{spec.name}: {rejected:,} of {read:,} lines rejected, more than the "
                f"{allowed:,} allowed (max(--max-rejects {self.options.max_rejects}, "
                f"{self.options.max_reject_rate:.2%} of the lines)); see "
                f"ops.import_reject WHERE run_id = {self.report.run_id}. "
                "The previous catalogue is untouched."
            )

    # ------------------------------------------------------------------ phases
    def stage(
        self, spec: ImdbFile, path: Path | None, kept: Future[KeptTitles] | None = None
    ) -> None:
        """COPY one file into staging, on connections of its own (files load in parallel);
        rejected lines are recorded (committed) as they are found. ``kept``: only the lines of
        these titles (database/kept_titles.py), once title.basics is staged."""
        f = self.report.files[spec.name]
        titles = kept.result() if kept is not None and path is not None else None
        start = time.perf_counter()
        with psycopg.connect(self.url) as conn, psycopg.connect(self.url, autocommit=True) as log:
            copier = StagingCopier(conn, spec)
            with conn.transaction():
                copier.prepare()
                if path is None:
                    return
                f.present = True
                blocks = read_blocks(path, spec)
                if titles is not None:  # filtered in the reading thread, beside the COPY
                    blocks = titles.filtered(blocks)
                # a progress bar on a terminal only (disable=None)
                with tqdm(desc=spec.name, unit=" lines", unit_scale=True, disable=None) as bar:
                    for block in prefetch(blocks):
                        f.read += block.n_lines
                        bar.update(block.n_lines)
                        rejects = copier.load(block)
                        if rejects:
                            self._record_rejects(log, spec, rejects)
                            f.rejected += len(rejects)
                            self._check_threshold(spec, f.rejected, f.read)
        f.seconds = time.perf_counter() - start
        self.report.phases[f"stage:{spec.name}"] = round(f.seconds, 3)

    def stage_basics(self, spec: ImdbFile, path: Path, kept: Future[KeptTitles]) -> None:
        """title.basics, then the ids of the titles of the kept types for the other files."""
        try:
            self.stage(spec, path)
            start = time.perf_counter()
            with psycopg.connect(self.url) as conn:
                kept.set_result(KeptTitles.staged(conn, self.options.title_types or ()))
            self.report.phases["stage:kept titles"] = round(time.perf_counter() - start, 3)
        except BaseException as exc:  # the files waiting for it fail too
            kept.set_exception(exc)
            raise

    def _record_rejects(self, log: psycopg.Connection, spec: ImdbFile, rejects) -> None:
        with log.cursor().copy(
            "COPY ops.import_reject (run_id, file_name, line_no, reason, raw_line) FROM STDIN"
        ) as copy:
            for r in rejects:
                raw = r.raw.decode("utf-8", "backslashreplace").replace("\x00", "\\0")
                copy.write_row((self.report.run_id, spec.name, r.line_no, r.reason, raw))

    def stage_all(self, paths: dict[str, Path | None]) -> None:
        """Largest files first, ``NETFLOOX_IMPORT_WORKERS`` (default 2) at a time. A subset of
        the title types stages title.basics first (beside name.basics): the other title files
        then keep only the lines of its titles of those types (database/kept_titles.py)."""
        order = sorted(FILES, key=lambda s: -(paths[s.name].stat().st_size if paths[s.name] else 0))
        kept: Future[KeptTitles] | None = None
        if self.options.title_types:
            kept = Future()
            order.sort(key=lambda s: s.name not in (BASICS, NAMES))  # stable: sizes kept
            order.sort(key=lambda s: s.name != BASICS)
        with self.timer("stage"), ThreadPoolExecutor(config.import_workers()) as pool:
            futures = []
            for spec in order:
                path = paths[spec.name]
                self.echo(f"staging {spec.name}{'' if path else ' (missing: skipped)'}")
                if kept is not None and spec.name == BASICS:
                    futures.append(pool.submit(self.stage_basics, spec, path, kept))
                else:  # name.basics is not keyed by title
                    filtered = kept if spec.name != NAMES else None
                    futures.append(pool.submit(self.stage, spec, path, filtered))
            for future in futures:
                future.result()

    def build_and_swap(self, conn: psycopg.Connection, digests: dict[str, str]) -> None:
        """Two transactions. The first builds ``catalog_next`` and commits it: readers still see
        ``catalog``, so nothing changes for them, and the staged rows can be emptied before the
        derived views are built (at full size they are as big as the catalogue: without this
        the data directory held staging, the new catalogue and the old one at once). Then the
        heavy analytics views are built on it beside the live ones, two at a time
        (database/derived_build.py). The second transaction swaps the schemas, moves those views
        in and rebuilds the other derived views and functions: atomic for readers, who wait only
        for that."""
        self.build_next(conn)
        with self.timer("prebuilt views"):  # the heavy analytics views, beside the live ones
            for name, took in prebuild(self.url, BUILD_SETTINGS).items():
                self.report.phases[f"prebuilt:{name.removesuffix('.sql')}"] = took
        with conn.transaction():
            use_build_settings(conn)
            with self.timer("swap"):
                lock_views(conn)
                conn.execute("DROP SCHEMA catalog CASCADE")
                conn.execute("ALTER SCHEMA catalog_next RENAME TO catalog")
                conn.execute(
                    "COMMENT ON SCHEMA catalog IS 'Typed, normalised IMDb catalogue; "
                    "replaced atomically by each import.'"
                )
                conn.execute("REVOKE ALL ON SCHEMA catalog FROM PUBLIC")
                enable_autovacuum(conn)
                move_in(conn)
            self._mark_finished(conn)
            with self.timer("derived views"):  # the other views and functions: same transaction
                for name, took in apply_repeatables(conn, built=PREBUILT).items():
                    self.report.phases[f"derived:{name.removesuffix('.sql')}"] = took
            self._succeed(conn, digests)

    def _succeed(self, conn: psycopg.Connection, digests: dict[str, str]) -> None:
        """Record the files the catalogue now comes from, and the run, in the caller's
        transaction (the one that makes the new catalogue visible)."""
        conn.execute("DELETE FROM ops.catalog_source")
        for name, digest in digests.items():
            conn.execute(
                "INSERT INTO ops.catalog_source (file_name, run_id, sha256) VALUES (%s, %s, %s)",
                (name, self.report.run_id, digest),
            )
        self.report.status = "succeeded"
        self.report.seconds = round(time.perf_counter() - self._start, 3)
        self._mark_finished(conn)

    def _mark_finished(self, conn: psycopg.Connection) -> None:
        """The run as succeeded, in the transaction that publishes its catalogue: called before
        the derived views are built too, so that analytics.key_figures dates the new catalogue
        (and again at the end, with the full report)."""
        conn.execute(
            """UPDATE ops.import_run SET status = 'succeeded', finished_at = now(),
               report = %s WHERE run_id = %s""",
            (self.report.as_json(), self.report.run_id),
        )

    def build_and_apply(self, conn: psycopg.Connection, digests: dict[str, str]) -> None:
        """The incremental import: catalog_next is built as for a swap (same code, same rows),
        then one transaction applies only the differences to the live catalogue and refreshes
        the materialized views over it (database/catalog_refresh.py)."""
        self.build_next(conn)
        with conn.transaction():
            use_build_settings(conn)
            with self.timer("apply changes"):
                changes = apply_changes(conn)
            self.report.changes = {t: asdict(c) for t, c in changes.items()}
            self._mark_finished(conn)
            self._refresh_derived(conn)
            self._succeed(conn, digests)

    def _keep_files(
        self, admin: psycopg.Connection, copy: kept_files.Copy, digests: dict[str, str]
    ) -> None:
        """The copy of the files just imported (made while the import ran), for the next
        refresh to compare with; the import has succeeded already: a copy that fails (a full
        disk) only costs the next refresh its shortcut (it reads every line), and says so."""
        with self.timer("keep files"):  # what the copy took beyond the import
            try:
                kept_files.keep(admin, copy, digests)
            except OSError as exc:
                kept_files.forget(admin)
                self.echo(
                    f"warning: no copy of the files kept ({exc}): the next refresh reads every line"
                )

    def _refresh_derived(
        self, conn: psycopg.Connection, moved: dict[str, int] | None = None
    ) -> None:
        """After a refresh's changes: the analytics tables' rows of what changed
        (database/analytics_upkeep.py); ``moved``: see ``keep_up``. The titles changed are
        recorded for the models' refresh."""
        titles, people = record_changes(conn, self.report.run_id)
        self.report.titles_changed, self.report.people_changed = titles, people
        with self.timer("analytics"):
            for name, took in keep_up(conn, moved).items():
                self.report.phases[f"refresh:{name}"] = took

    def _can_refresh(self, admin: psycopg.Connection) -> bool:
        """A catalogue built by an import with the same options is there to refresh."""
        row = admin.execute(
            """SELECT r.options FROM ops.catalog_source s JOIN ops.import_run r USING (run_id)
               LIMIT 1"""
        ).fetchone()
        return bool(row and row[0] == self._options_json())

    # ------------------------------------------------------------------ changed lines only
    MAX_CHANGED_SHARE = 0.25  # beyond this share of a file's lines changed, read every line

    def _not_incremental(self, admin: psycopg.Connection, paths: dict[str, Path | None]) -> str:
        """Why the changed lines alone would not give the full import's catalogue ('' if they
        would): the conditions of database/catalog_delta.py."""
        if self.options.every_line:
            return "--every-line"
        if self.options.min_votes is not None:
            return "a vote floor is kept (a title's votes move it in or out)"
        previous = admin.execute(
            """SELECT count(*) FROM ops.import_reject WHERE run_id =
               (SELECT run_id FROM ops.catalog_source LIMIT 1)"""
        ).fetchone()[0]
        if previous:
            return f"the catalogue's import rejected {previous:,} lines"
        if any(p is None for p in paths.values()):
            return "a file is missing"
        return ""

    def compare(self, paths: dict[str, Path], old: dict[str, Path]) -> dict[str, FileDiff]:
        """Each new file against its kept previous version, in two processes (the largest
        first: the principals take about half the time)."""
        order = sorted(FILES, key=lambda s: -paths[s.name].stat().st_size)
        two = ("title.akas.tsv.gz", "title.principals.tsv.gz")  # keyed by id and ordering
        keys = [2 if s.name in two else 1 for s in order]
        diffs = {}
        with (
            self.timer("compare"),
            ProcessPoolExecutor(
                config.import_workers(), mp_context=multiprocessing.get_context("forkserver")
            ) as pool,
        ):
            done = pool.map(
                timed_diff,
                [old[s.name] for s in order],
                [paths[s.name] for s in order],
                keys,
                [self.MAX_CHANGED_SHARE] * len(order),
            )
            for spec, (diff, seconds) in zip(order, done, strict=True):
                check_header(spec, diff.header)
                self.report.phases[f"compare:{spec.name}"] = round(seconds, 3)
                diffs[spec.name] = diff
        return diffs

    def stage_changes(self, conn: psycopg.Connection, diffs: dict[str, FileDiff]) -> None:
        """The changed lines into staging (checked by COPY as usual), the keys of the lines gone
        into staging.removed_line; a rejected line stops here (the full read records it)."""
        with self.timer("stage changes"), conn.transaction():
            for spec in FILES:
                diff = diffs[spec.name]
                copier = StagingCopier(conn, spec)
                copier.prepare()
                for reject in copier.load_lines(diff.added):
                    raise NotIncremental(f"{spec.name}, line {reject.line_no}: {reject.reason}")
                with conn.cursor().copy(
                    "COPY staging.removed_line (file_name, owner, ordering) FROM STDIN"
                ) as copy:
                    for key in _removed_keys(spec, diff.removed):
                        copy.write_row((spec.name, *key))

    def _stage_people(self, conn: psycopg.Connection, paths: dict, ids: list[int]) -> None:
        """A subset's refresh: the lines of name.basics of these people (changed or not)
        staged beside the changed lines."""
        spec = next(f for f in FILES if f.name == NAMES)
        with self.timer("stage people now credited"):
            for reject in StagingCopier(conn, spec).load_lines(lines_of(paths[NAMES], ids)):
                raise NotIncremental(f"{NAMES}, line {reject.line_no}: {reject.reason}")

    def _previous_stored(self, admin: psycopg.Connection) -> dict[str, int]:
        row = admin.execute(
            """SELECT r.report FROM ops.import_run r
               WHERE r.run_id = (SELECT run_id FROM ops.catalog_source LIMIT 1)"""
        ).fetchone()
        files = (row[0] or {}).get("files", {}) if row else {}
        return {name: f.get("stored", 0) for name, f in files.items()}

    def refresh_changes(
        self,
        admin: psycopg.Connection,
        conn: psycopg.Connection,
        paths: dict[str, Path | None],
        digests: dict[str, str],
    ) -> bool:
        """The incremental import from the changed lines (database/catalog_delta.py); False,
        with nothing changed, where it does not apply: the caller then reads every line."""
        why = self._not_incremental(admin, paths)
        old = None if why else kept_files.kept(admin)
        if not why and old is None:
            why = "no copy of the files the catalogue was built from"
        elif not why and set(old) != set(paths):
            why = "not the same files as the catalogue's import"
        if why:
            self.echo(f"refreshing from every line: {why}")
            return False
        stored = self._previous_stored(admin)
        try:
            diffs = self.compare(paths, old)
            self.stage_changes(conn, diffs)
            self.echo(
                "applying the changed lines: "
                + ", ".join(f"{n} +{len(d.added):,}/-{len(d.removed):,}" for n, d in diffs.items())
            )
            subset = Subset(self.options.title_types, self.options.min_votes)
            with self.timer("build"):
                builder = CatalogBuilder(conn, self.report.run_id, subset, self.timer)
                stats = builder.build_changes(
                    lambda ids: self._stage_people(conn, paths, ids), _largest_title(diffs)
                )
            with conn.transaction():
                use_build_settings(conn)
                with self.timer("apply changes"):
                    changes, moved = apply_delta(conn, subset.active)
                    if subset.active:
                        moved[CREW] -= _unchanged_crew_of_gone(conn, paths[CREW])
                self.report.scope = "changed lines"
                self.report.changes = {t: asdict(c) for t, c in changes.items()}
                self.report.duplicate_list_entries = stats.duplicate_list_entries
                self.report.placeholder_titles = stats.placeholder_titles
                self.report.placeholder_people = stats.placeholder_people
                for spec in FILES:
                    f, diff = self.report.files[spec.name], diffs[spec.name]
                    f.present, f.read = True, diff.lines
                    f.stored = (
                        f.read
                        if spec.name == CREW and not subset.active
                        else (stored.get(spec.name, 0) + moved[spec.name])
                    )
                    f.filtered = f.read - f.stored
                    f.seconds = self.report.phases.get(f"compare:{spec.name}", 0.0)
                self._mark_finished(conn)
                named = moved[NAMES]
                people = changes["person"].inserted - changes["person"].deleted
                self._refresh_derived(
                    conn,
                    {
                        "titles": moved["title.basics.tsv.gz"],
                        "people": named,
                        "unnamed_people": people - named,
                    },
                )
                self._succeed(conn, digests)
            return True
        except (NotIncremental, TooManyChanges, DuplicateKey) as exc:
            conn.rollback()
            _empty_staging(admin)
            admin.execute("DROP SCHEMA IF EXISTS catalog_next CASCADE")
            self.report.files = {f.name: FileReport() for f in FILES}
            self.report.changes = {}
            self.echo(f"refreshing from every line: {exc}")
            return False

    def build_next(self, conn: psycopg.Connection) -> None:
        """Build catalog_next and commit it (readers still use catalog), then empty the staged
        rows: at full size they weigh as much as the catalogue."""
        with self.timer("build"):  # wall time: the steps' own times overlap in two lanes
            self.build(conn)
        _empty_staging(conn)
        conn.commit()

    def build(self, conn: psycopg.Connection) -> None:
        """Build catalog_next from staging (committed as it goes: database/catalog_build.py)
        and count what each file stored."""
        subset = Subset(self.options.title_types, self.options.min_votes)
        builder = CatalogBuilder(
            conn,
            self.report.run_id,
            subset,
            self.timer,
            self.options.validate_foreign_keys,
            url=self.url if config.import_workers() > 1 else None,
        )
        stats = builder.build()
        self.report.placeholder_titles = stats.placeholder_titles
        self.report.placeholder_people = stats.placeholder_people
        self.report.duplicate_list_entries = stats.duplicate_list_entries
        for spec in FILES:
            f = self.report.files[spec.name]
            if f.present:
                f.stored = conn.execute(STORED_SQL[spec.name]).fetchone()[0]
                # duplicates found while building are rejects too (recorded in this transaction)
                f.rejected = self._rejects(conn, spec.name)
                f.filtered = f.read - f.stored - f.rejected

    # ------------------------------------------------------------------ main
    def run(self) -> ImportReport:
        self._start = time.perf_counter()
        with self.timer("fetch"):
            paths = fetch(self.source, [f.name for f in FILES], config.cache_dir(), self.echo)
        if paths.get("title.basics.tsv.gz") is None:
            raise ImportFailed(f"{self.source}: title.basics.tsv.gz is missing; nothing to import")
        with self.timer("checksum"):
            digests = {n: sha256(p) for n, p in paths.items() if p is not None}
        with psycopg.connect(self.url, autocommit=True) as admin, _exclusive(admin):
            if not self.options.force and self._unchanged(admin, digests):
                self.report.status = "unchanged"
                return self.report
            self.report.run_id = admin.execute(
                "INSERT INTO ops.import_run (source, options) VALUES (%s, %s) RETURNING run_id",
                (self.source, json.dumps(self._options_json())),
            ).fetchone()[0]
            self.report.files = {f.name: FileReport() for f in FILES}
            copy = kept_files.start_copy(admin, paths)
            try:
                refresh = not self.options.full and self._can_refresh(admin)
                self.report.mode = "refresh" if refresh else "rebuild"
                with psycopg.connect(self.url) as conn:
                    if not (refresh and self.refresh_changes(admin, conn, paths, digests)):
                        self.stage_all(paths)
                        if refresh:
                            self.report.scope = "every line"
                            self.echo("building the typed catalogue, applying what changed")
                            self.build_and_apply(conn, digests)
                        else:
                            self.echo("building the typed catalogue and swapping it in")
                            self.build_and_swap(conn, digests)
                self._keep_files(admin, copy, digests)
            except BaseException as exc:
                kept_files.discard(copy)
                self.report.status = "failed"
                admin.execute(
                    """UPDATE ops.import_run SET status = 'failed', finished_at = now(),
                       error = %s, report = %s WHERE run_id = %s""",
                    (str(exc), self.report.as_json(), self.report.run_id),
                )
                if isinstance(exc, ImportFileError | ValueError):
                    raise ImportFailed(f"{exc}. The previous catalogue is untouched.") from exc
                raise
            finally:
                _empty_staging(admin)
                # a run stopped between the build and the swap leaves its unswapped catalogue
                admin.execute("DROP SCHEMA IF EXISTS catalog_next CASCADE")
                admin.execute(f"DROP SCHEMA IF EXISTS {NEXT} CASCADE")
        return self.report


@contextlib.contextmanager
def _exclusive(admin: psycopg.Connection):
    """One import at a time on a database: its advisory lock, released here rather than by
    closing the connection (the server ends the session a moment after the client has gone, and
    an import started at once could still find the lock held)."""
    if not admin.execute("SELECT pg_try_advisory_lock(%s)", (IMPORT_LOCK,)).fetchone()[0]:
        raise ImportFailed("another import is running on this database")
    try:
        yield
    finally:
        with contextlib.suppress(psycopg.Error):
            admin.execute("SELECT pg_advisory_unlock(%s)", (IMPORT_LOCK,))


def _largest_title(diffs: dict[str, FileDiff]) -> int:
    """The largest title id that keys a line of the previous files (the last line of each title
    file: IMDb's files are sorted by id)."""
    keys = [d.old_last_key for name, d in diffs.items() if name.startswith("title.")]
    return max((imdb_number(k) for k in keys), default=0)


def _unchanged_crew_of_gone(conn: psycopg.Connection, crew: Path) -> int:
    """A subset's refresh: the crew lines, unchanged, of the titles it no longer keeps (stored
    before, filtered now; temporary table ``gone_title``, database/catalog_delta.py)."""
    gone = [r[0] for r in conn.execute("SELECT id FROM gone_title")]
    if not gone:
        return 0
    staged = {r[0] for r in conn.execute("SELECT line_no FROM staging.title_crew")}
    return sum(1 for line_no, _ in lines_of(crew, gone) if line_no not in staged)


def _removed_keys(spec: ImdbFile, lines: list[bytes]) -> Iterator[tuple[int, int | None]]:
    """(owner id, ordering or None) of each line: the key of its rows in the catalogue."""
    ordered = spec.name in ("title.akas.tsv.gz", "title.principals.tsv.gz")
    for line in lines:
        fields = line.split(b"\t", 2)
        try:
            yield int(fields[0][2:]), int(fields[1]) if ordered else None
        except (ValueError, IndexError):
            raise NotIncremental(f"{spec.name}: a removed line without a key") from None


def _empty_staging(conn: psycopg.Connection) -> None:
    """The raw staged rows are scratch: once the catalogue is built (or refused) they only take
    disk, as much as the catalogue at full size. Rejected lines stay in ops.import_reject."""
    sql = "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables"
    sql += " WHERE schemaname = %s"
    tables = [r[0] for r in conn.execute(sql, ("staging",))]
    if tables:
        conn.execute(f"TRUNCATE {', '.join(tables)}")


def run_import(
    url: str, source: str, options: ImportOptions | None = None, echo: Callable[[str], None] = print
) -> ImportReport:
    """Import the IMDb files of ``source`` (a directory or base URL) into the database ``url``."""
    return Importer(url, source, options or ImportOptions(), echo).run()

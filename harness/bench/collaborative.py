"""``netfloox bench collaborative``: the collaborative model (EASE, ml/collaborative.py) on a
generated client log shaped like a real one, timed and measured in a child process.

The log: a power law of ratings per client and per film (Zipf-like popularity), ``clients``
clients, ``films`` films, about ``ratings`` ratings of which the likes (about half, as in
MovieLens) enter the model. The child process builds the item vectors as training does and
reports its wall time and peak memory (``ru_maxrss``). Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable

import numpy as np

from harness import reports
from ml.collaborative import MAX_FILMS, item_vectors


def power_law_log(
    ratings: int, clients: int, films: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(film row, client) likes: film popularity ~ 1/rank^0.9, client activity ~ Pareto(1.2);
    duplicate pairs dropped (a client rates a film once)."""
    rng = np.random.default_rng(seed)
    film_p = 1.0 / np.arange(1, films + 1) ** 0.9
    film_p /= film_p.sum()
    activity = rng.pareto(1.2, clients) + 1
    client_p = activity / activity.sum()
    likes = ratings // 2  # ratings of 4 or more: about half of a MovieLens log
    rows = rng.choice(films, likes, p=film_p).astype(np.int32)
    who = rng.choice(clients, likes, p=client_p).astype(np.int32)
    pairs = np.unique(rows.astype(np.int64) * clients + who)
    return (pairs // clients).astype(np.int32), (pairs % clients).astype(np.int32)


def _train(args, queue) -> None:
    ratings, clients, films = args
    start = time.perf_counter()
    rows, who = power_law_log(ratings, clients, films)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    got = item_vectors(rows, who, films, dim=64)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB -> GiB
    kept = int((got.likes > 0).sum())
    queue.put((len(rows), generated, seconds, peak, kept, got.clients))


def measure(ratings: int, clients: int, films: int) -> tuple:
    queue = multiprocessing.get_context("spawn").Queue()
    child = multiprocessing.get_context("spawn").Process(
        target=_train, args=((ratings, clients, films), queue)
    )
    child.start()
    result = queue.get()
    child.join()
    return result


def main(
    ratings: int = 20_000_000,
    clients: int = 300_000,
    films: int = 50_000,
    echo: Callable[[str], None] = print,
) -> None:
    likes, generated, seconds, peak, kept, active = measure(ratings, clients, films)
    body = f"""A generated log of {ratings:,} ratings ({likes:,} distinct likes) by {clients:,}
clients on {films:,} films (popularity ~ 1/rank^0.9, client activity Pareto(1.2)); EASE over the
{kept:,} most-liked films (cap {MAX_FILMS:,}), {active:,} clients with a like.

| step | wall time | peak memory (process) |
| --- | ---: | ---: |
| generate the log | {generated:.0f} s | |
| EASE item vectors (Gram, inverse, SVD to 64 dims) | **{seconds:.0f} s** | **{peak:.1f} GiB** |

Targets (issue 19): training at this size within 15 min and 8 GB. What this does not measure yet:
`netfloox import ratings` of such a log and the rest of `netfloox train` (content vectors,
neighbour lists), which do not depend on the log's size."""
    reports.write_section(
        "Collaborative model at a service's scale",
        f"netfloox bench collaborative --ratings {ratings} --clients {clients} --films {films}",
        body,
    )
    echo(body)

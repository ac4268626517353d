"""What every benchmark shares: its own database, figures against a floor, one results table.

A benchmark script

- runs in a database of its own: :func:`own_database` creates an empty one (PostgreSQL: a new
  database on the server of ``DATABASE_URL``, named after the script; otherwise a SQLite file in
  a temporary folder), migrates it — the shipped reference rows come with the migrations — and
  drops it at the end, so no script depends on another's leftovers;
- measures the platform and, in the same run on the same data, a floor (the least any
  implementation must do: a raw SQL statement, a bare parse, a write-only workbook) with
  :func:`measure`: the median time of a few runs, the queries of one run and its peak memory;
- states each goal as a ratio to its floor (:meth:`Bench.compare`), prints a line per figure and
  writes them, as JSON lines, to ``BENCH_RESULTS`` when set: ``make bench`` runs every script
  and turns the lines into one Markdown table (``bench/report.py``), the README's performance
  section.

Peak memory is measured in a forked child (``fork`` start method: the child inherits the data
and the code, and its ``ru_maxrss`` is its own), so one step's memory is not hidden by what the
process held before.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --- the database -------------------------------------------------------------------------------


def _admin_connect(url: urllib.parse.ParseResult):
    import psycopg

    admin = url._replace(path="/postgres").geturl()
    return psycopg.connect(admin, autocommit=True)


@contextlib.contextmanager
def own_database(name: str) -> Iterator[str]:
    """Set ``DATABASE_URL`` to a new, empty database for this benchmark and drop it afterwards.

    With ``DATABASE_URL`` pointing at PostgreSQL the new database is ``bench_<name>_<pid>`` on the
    same server (the database named there is never touched); without it, a SQLite file."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        folder = tempfile.mkdtemp(prefix=f"bench-{name}-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        try:
            yield os.environ["DATABASE_URL"]
        finally:
            os.environ["DATABASE_URL"] = given
        return
    url = urllib.parse.urlparse(given)
    database = f"bench_{name}_{os.getpid()}"
    with _admin_connect(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    os.environ["DATABASE_URL"] = url._replace(path=f"/{database}").geturl()
    try:
        yield os.environ["DATABASE_URL"]
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with _admin_connect(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        os.environ["DATABASE_URL"] = given


def setup_django() -> None:
    """Django with the test settings (no broker needed: jobs run in the benchmark's process)
    on the database :func:`own_database` chose, migrated."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


# --- measuring ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Figure:
    """One measured step: median milliseconds, queries of one run, peak memory (MB)."""

    ms: float
    queries: int | None = None
    peak_mb: float | None = None


def _queries_and_time(step: Callable[[], object]) -> tuple[float, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        step()
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, len(captured)


def _peak_in_child(step: Callable[[], object]) -> float:
    """The peak resident memory (MB) of a forked child that runs ``step`` once."""
    from django.db import connections

    connections.close_all()  # the child opens its own

    def run(queue) -> None:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        step()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        queue.put((before, after))

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=run, args=(queue,))
    child.start()
    before, after = queue.get(timeout=3600)
    child.join()
    # ru_maxrss is in kilobytes on Linux; the growth while the step ran is what it needed
    return max(after - before, 0) / 1024


def measure(step: Callable[[], object], *, repeat: int = 3, memory: bool = False) -> Figure:
    """Run ``step`` once to count its queries (and warm caches), then ``repeat`` more times for
    the median time; with ``memory``, once more in a forked child for its peak memory."""
    first_ms, queries = _queries_and_time(step)
    timings = [first_ms] if repeat <= 1 else []
    for _ in range(max(repeat - len(timings), 0)):
        start = time.perf_counter()
        step()
        timings.append((time.perf_counter() - start) * 1000)
    figure = Figure(ms=statistics.median(timings), queries=queries)
    if memory:
        figure.peak_mb = _peak_in_child(step)
    return figure


# --- reporting ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Bench:
    """The figures of one benchmark script, printed and written to ``BENCH_RESULTS``."""

    script: str
    dataset: str
    results: list[dict] = dataclasses.field(default_factory=list)

    def compare(
        self,
        what: str,
        platform: Figure,
        floor: Figure | None,
        *,
        floor_name: str = "",
        goal: float | None = None,
        memory_goal: float | None = None,
        query_goal: int | None = None,
    ) -> bool:
        """Record ``platform`` against ``floor``: the time ratio (goal: at most ``goal``), the
        memory ratio (at most ``memory_goal``) and the queries (at most ``query_goal``)."""
        ratio = platform.ms / floor.ms if floor and floor.ms else None
        memory_ratio = (
            platform.peak_mb / floor.peak_mb
            if floor and platform.peak_mb is not None and floor.peak_mb
            else None
        )
        met = (
            (goal is None or (ratio is not None and ratio <= goal))
            and (memory_goal is None or (memory_ratio is not None and memory_ratio <= memory_goal))
            and (query_goal is None or (platform.queries or 0) <= query_goal)
        )
        row = {
            "script": self.script,
            "dataset": self.dataset,
            "what": what,
            "ms": round(platform.ms, 1),
            "queries": platform.queries,
            "peak_mb": None if platform.peak_mb is None else round(platform.peak_mb, 1),
            "floor": floor_name,
            "floor_ms": None if floor is None else round(floor.ms, 1),
            "floor_peak_mb": None
            if floor is None or floor.peak_mb is None
            else round(floor.peak_mb, 1),
            "ratio": None if ratio is None else round(ratio, 2),
            "memory_ratio": None if memory_ratio is None else round(memory_ratio, 2),
            "goal": _goal_text(goal, memory_goal, query_goal),
            "met": met,
        }
        self.results.append(row)
        print(_line(row), flush=True)
        target = os.environ.get("BENCH_RESULTS")
        if target:
            with open(target, "a", encoding="utf-8") as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return met

    def note(self, text: str) -> None:
        """A line for people (an EXPLAIN plan, the sizes built) — printed, not tabled."""
        print(text, flush=True)

    def sizes(self, limit: int = 8) -> None:
        """Note the largest tables on PostgreSQL: rows, heap and total size with indexes (what
        the README's capacity section extrapolates from)."""
        from django.db import connection

        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid), "
                "pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                "ORDER BY 4 DESC LIMIT %s",
                [limit],
            )
            rows = cursor.fetchall()
            cursor.execute("SELECT pg_database_size(current_database())")
            (database,) = cursor.fetchone()
        mb = 2**20
        self.note(f"database {database / mb:,.0f} MB; largest tables (rows, heap, with indexes):")
        for name, count, heap, total in rows:
            sizes = f"{heap / mb:>9,.1f} MB {total / mb:>9,.1f} MB"
            self.note(f"  {name:<32} {max(count, 0):>12,} {sizes}")

    def finish(self) -> int:
        """The exit status: 1 when a goal was missed."""
        missed = [row["what"] for row in self.results if not row["met"]]
        if missed:
            print(f"\ngoals missed: {', '.join(missed)}")
        return 1 if missed else 0


def _goal_text(goal, memory_goal, query_goal) -> str:
    parts = []
    if goal is not None:
        parts.append(f"≤ {goal:g}×")
    if memory_goal is not None:
        parts.append(f"memory ≤ {memory_goal:g}×")
    if query_goal is not None:
        parts.append(f"≤ {query_goal} queries")
    return ", ".join(parts)


def _line(row: dict) -> str:
    text = f"{row['what']:<58} {row['ms']:>10.1f} ms"
    if row["queries"] is not None:
        text += f" {row['queries']:>5} q"
    if row["peak_mb"] is not None:
        text += f" {row['peak_mb']:>7.1f} MB"
    if row["floor_ms"] is not None:
        text += f"  | floor {row['floor_ms']:.1f} ms"
        if row["floor_peak_mb"] is not None:
            text += f" {row['floor_peak_mb']:.1f} MB"
        text += f"  ratio {row['ratio']}"
        if row["memory_ratio"] is not None:
            text += f" (memory {row['memory_ratio']})"
    if row["goal"]:
        text += f"  goal {row['goal']} {'met' if row['met'] else 'MISSED'}"
    return text


def arguments(description: str, **sizes: int) -> argparse.Namespace:
    """The command line of a benchmark: one ``--<size>`` option per dataset size."""
    parser = argparse.ArgumentParser(description=description)
    for name, default in sizes.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return parser.parse_args()

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

Peak memory (:func:`_peak_in_child`) is the most memory the step itself had at once: the peak
growth, while it ran, of the anonymous memory of a forked child running it once (``fork`` start
method: the child inherits the data and the code). Anonymous memory is what the step allocates:
Python objects, ``malloc`` (libpq's results, lxml's trees, zlib's buffers), its own ``mmap``; not
the pages of code and read-only data of the shared libraries it runs. Before the baseline the
child — identically for a floor and for the platform —

- collects garbage (``gc.collect()``) and gives the C heap's free pages back to the system
  (glibc's ``malloc_trim(0)``);
- takes every free block left in Python's small-object allocator (pymalloc keeps an arena, with
  all its freed blocks, resident while one object in it lives). The child inherits the
  parent's heap, and what earlier runs freed there would otherwise take the step's allocations
  without any growth — more or less of it from one run to the next (a floor's figure swung from
  0.3 to 1.3 MB), and up to all of a small step;
- maps every file the process has mapped into its page tables (``madvise(MADV_POPULATE_READ)``,
  from the page cache): a forked child gets none of its parent's file-backed page-table
  entries, so the code a step runs (libpq, psycopg's C extension, lxml) would otherwise be
  faulted in and counted as the step's — about 2 MB for a step that opens a database
  connection where its floor opens none;
- resets the kernel's high-water mark of its resident memory (``5`` to ``/proc/self/clear_refs``).

The figure is then ``VmHWM`` (the exact peak of resident memory, kept by the kernel: no sampling
misses a short peak) less the resident memory at the baseline, less what file-backed and shared
memory grew by meanwhile (``RssFile``, ``RssShmem``: files the step maps itself, normally
nothing). Inherited pages the step only writes to (copy-on-write) are resident before and after
and count nothing. Sanity checks: a step that allocates a 50 MB ``bytearray`` measures 50 MB,
one that only opens a database connection and runs ``SELECT 1`` 0.0 MB, one that builds 300,000
small tuples the same 54 MB whether the parent's heap is fresh or fragmented. Without ``/proc``
(not Linux) the growth of ``ru_maxrss`` is taken instead, with none of these corrections.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import gc
import json
import multiprocessing
import os
import re
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


#: madvise(2): populate (prefault) page tables readable, Linux 5.14 and later
_MADV_POPULATE_READ = 22


def _status() -> dict[str, int]:
    """The memory lines of ``/proc/self/status``, in kB."""
    figures = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _colon, value = line.partition(":")
            if name.startswith(("Vm", "Rss")):
                figures[name] = int(value.split()[0])
    return figures


def _give_back_free_memory() -> None:
    """Garbage collected, the C heap's free pages returned to the system (glibc) and pymalloc's
    free blocks taken."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
    _occupy_free_blocks()


def _allocator_stats() -> str:
    """What ``sys._debugmallocstats()`` writes (to the C ``stderr``): pymalloc's size classes."""
    with tempfile.TemporaryFile() as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        return out.read().decode("ascii", "replace")


_SIZE_CLASS = re.compile(r"^\s*\d+\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s*$", re.MULTILINE)
_UNUSED_POOLS = re.compile(r"^(\d+) unused pools \* (\d+) bytes", re.MULTILINE)


def _occupy_free_blocks() -> None:
    """Python's small-object allocator (pymalloc) never returns a pool's free blocks to the
    system while its arena holds a live object: a forked child inherits, resident, every block
    its parent freed there, and a step would reuse them without growing. They are taken here
    (allocated and never freed: the child exits after the step), until the allocator has
    nothing free left in the arenas it has, so the step's objects go to new memory."""
    malloc = ctypes.pythonapi.PyObject_Malloc
    malloc.argtypes, malloc.restype = (ctypes.c_size_t,), ctypes.c_void_p
    for _round in range(4):
        stats = _allocator_stats()
        free = [(int(size), int(count)) for size, count in _SIZE_CLASS.findall(stats)]
        pools = _UNUSED_POOLS.search(stats)
        if not pools and not free:
            return  # not pymalloc (PYTHONMALLOC=malloc, a debug build): malloc_trim did it
        unused, pool_size = (int(pools[1]), int(pools[2])) if pools else (0, 0)
        if sum(size * count for size, count in free) + unused * pool_size < 64 * 1024:
            return
        for size, count in free:  # the free blocks of the pools in use, size class by class
            for _block in range(count):
                malloc(size)
        largest = max((size for size, _count in free), default=512)
        for _block in range(unused * ((pool_size - 48) // largest)):  # then the empty pools
            malloc(largest)  # (48: a pool's header, on a 64-bit build)


def _map_files() -> None:
    """Every readable file-backed mapping of the process put in its page tables, so that the
    code a step runs is not counted as the step's memory when it is first touched."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        lines = maps.readlines()
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or not fields[5].startswith("/") or "r" not in fields[1]:
            continue  # anonymous, the stack, [vdso] and the like, or unreadable
        low, high = (int(bound, 16) for bound in fields[0].split("-"))
        libc.madvise(low, high - low, _MADV_POPULATE_READ)  # a failure: counted, as before


def _step_memory(step: Callable[[], object]) -> float:
    """In the child: the peak growth (MB) of its anonymous memory while ``step`` ran."""
    if not os.path.exists("/proc/self/clear_refs"):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        step()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return max(after - before, 0) / 1024  # kB on Linux
    _give_back_free_memory()
    _map_files()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")  # VmHWM from now on
    before = _status()
    step()
    after = _status()
    files = max(after["RssFile"] - before["RssFile"], 0)
    shared = max(after.get("RssShmem", 0) - before.get("RssShmem", 0), 0)
    return max(after["VmHWM"] - before["VmRSS"] - files - shared, 0) / 1024


def _peak_in_child(step: Callable[[], object]) -> float:
    """The peak memory (MB) ``step`` needed, run once in a forked child (see the module's
    docstring: anonymous memory, above a baseline taken after the child settled)."""
    from django.db import connections

    connections.close_all()  # the child opens its own

    def run(queue) -> None:
        queue.put(_step_memory(step))

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=run, args=(queue,))
    child.start()
    peak = queue.get(timeout=3600)
    child.join()
    return peak


def measure(
    step: Callable[[], object],
    *,
    repeat: int = 3,
    memory: bool = False,
    setup: Callable[[], object] | None = None,
) -> Figure:
    """Run ``step`` once to count its queries (and warm caches), then ``repeat`` more times for
    the median time; with ``memory``, once more in a forked child for its peak memory.
    ``setup``, when given, runs before each of these, untimed (e.g. :func:`vacuum`)."""
    prepare = setup or (lambda: None)
    prepare()
    first_ms, queries = _queries_and_time(step)
    timings = [first_ms] if repeat <= 1 else []
    for _ in range(max(repeat - len(timings), 0)):
        prepare()
        start = time.perf_counter()
        step()
        timings.append((time.perf_counter() - start) * 1000)
    figure = Figure(ms=statistics.median(timings), queries=queries)
    if memory:
        prepare()
        figure.peak_mb = _peak_in_child(step)
    return figure


def vacuum() -> None:
    """``VACUUM ANALYZE`` on PostgreSQL (nothing elsewhere): what autovacuum does on a server
    where it runs, between the runs of a step that writes and rolls back — the dead rows each
    run leaves would otherwise slow the next one's reads, more with each run, on a server with
    autovacuum off."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


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

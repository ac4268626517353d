"""Benchmark: the project detail API under gunicorn, against a bare Django JSON view.

Starts gunicorn with ``gunicorn.conf.py`` (its workers, timeouts and access log; bound to a
free port on 127.0.0.1, ``--max-requests 0`` so that no worker restarts in the middle of a
measurement) on a database of its own with N projects, the test settings (``DEBUG`` off,
connections kept ``DB_CONN_MAX_AGE`` seconds as in production). Then a few client processes,
each on its own keep-alive connection (``http.client``), request for some seconds

- ``/api/v1/projects/<id>/`` with a token (authentication, scope, lights, serializer);
- the floor ``/bench/floor/projects/<id>/`` (``bench/urls_floor.py``, not in the platform's
  URLs): the project's columns by ``.values()`` as JSON, through the same middleware;
- for reference, ``/bench/floor-drf/projects/<id>/``: the same row through a REST framework
  view behind the API's token authentication — what the framework alone costs;

and reports requests per second and the p50/p99 latency of each. Goals (issue 21): the API at
least 50 % of the floor's requests per second, its p99 at most 5× its p50. For comparison, the
API once more with ``DB_CONN_MAX_AGE=0`` (a new database connection per request).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/api_detail.py [--seconds 15] [--clients 3]
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(**environment):
    """gunicorn serving ``urls_floor:application``; yields its port."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "ALLOWED_HOSTS": "127.0.0.1",
        **environment,
    }
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        f"{ROOT / 'bench'},{ROOT}",
        "--max-requests",
        "0",
        "urls_floor:application",
    ]
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/health/live")
                connection.getresponse().read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _client(port: int, path: str, headers: dict, seconds: float, queue) -> None:
    """Request ``path`` over and over for ``seconds``; put the latencies (ms) on ``queue``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, failures = [], 0
    end = time.perf_counter() + seconds
    while (start := time.perf_counter()) < end:
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures += 1
        except (OSError, http.client.HTTPException):
            failures += 1
            connection.close()
            continue
        latencies.append((time.perf_counter() - start) * 1000)
    queue.put((latencies, failures))


def load(port: int, path: str, headers: dict, seconds: float, clients: int) -> dict:
    """``clients`` processes requesting ``path`` for ``seconds`` (after a warm-up of the
    workers): requests per second, p50 and p99 latency."""
    context = multiprocessing.get_context("fork")
    for duration in (2.0, seconds):  # the first round warms every worker up
        queue = context.Queue()
        processes = [
            context.Process(target=_client, args=(port, path, headers, duration, queue))
            for _ in range(clients)
        ]
        for process in processes:
            process.start()
        results = [queue.get(timeout=duration + 120) for _ in processes]
        for process in processes:
            process.join()
    latencies = sorted(ms for batch, _failures in results for ms in batch)
    failures = sum(failures for _batch, failures in results)
    if failures or not latencies:
        raise RuntimeError(f"{path}: {failures} failed requests")
    return {
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "requests": len(latencies),
    }


def _queries(path: str, token: str) -> int:
    """The queries one request makes (in this process, through the test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(captured)


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], projects=10_000, seconds=15, clients=3)
    with harness.own_database("api_detail"):
        harness.setup_django()
        from django.db import connections
        from project_library import build
        from rest_framework.authtoken.models import Token

        from accounts.models import Region, Role, User
        from projects.models import Project

        build(args.projects)
        user = User.objects.create_user("bench_province", region=Region.objects.get(code="320000"))
        user.roles.set(Role.objects.filter(code="office_staff"))
        token = Token.objects.create(user=user).key
        project = Project.objects.first()  # the largest: the library's first row
        api_path = f"/api/v1/projects/{project.pk}/"
        floor_path = f"/bench/floor/projects/{project.pk}/"
        drf_path = f"/bench/floor-drf/projects/{project.pk}/"
        import urls_floor  # noqa: F401 (the floors' URLs, here too: their queries are counted)

        api_queries = _queries(api_path, token)
        drf_queries = _queries(drf_path, token)
        connections.close_all()

        bench = harness.Bench("api_detail", f"{args.projects:,} projects, {args.clients} clients")
        headers = {"Authorization": f"Token {token}"}
        with gunicorn() as port:
            floor = load(port, floor_path, {}, args.seconds, args.clients)
            api = load(port, api_path, headers, args.seconds, args.clients)
            drf = load(port, drf_path, headers, args.seconds, args.clients)
        with gunicorn(DB_CONN_MAX_AGE="0") as port:
            fresh = load(port, api_path, headers, args.seconds, args.clients)

        for name, figures in (
            ("floor", floor),
            ("API", api),
            ("REST framework floor", drf),
            ("API, DB_CONN_MAX_AGE=0", fresh),
        ):
            bench.note(
                f"{name:<24} {figures['rps']:7.1f} req/s  p50 {figures['p50']:6.1f} ms  "
                f"p99 {figures['p99']:6.1f} ms  ({figures['requests']} requests)"
            )
        # time per request = 1 / (requests per second): "≥ 50 % of the floor's requests per
        # second" is "≤ 2× the floor's time per request"
        per_request = harness.Figure(ms=1000 / api["rps"], queries=api_queries)
        bench.compare(
            "project detail API, ms per request (1 / req/s)",
            per_request,
            harness.Figure(ms=1000 / floor["rps"], queries=1),
            floor_name="bare Django JSON view (.values())",
            goal=2.0,
        )
        bench.compare(
            "project detail API, p99 / p50",
            harness.Figure(ms=api["p99"]),
            harness.Figure(ms=api["p50"]),
            floor_name="its p50",
            goal=5.0,
        )
        bench.compare(
            "REST framework view with token authentication (.values()), ms per request",
            harness.Figure(ms=1000 / drf["rps"], queries=drf_queries),
            harness.Figure(ms=1000 / floor["rps"], queries=1),
            floor_name="bare Django JSON view (.values())",
        )
        bench.compare(
            "project detail API against that REST framework view, ms per request",
            per_request,
            harness.Figure(ms=1000 / drf["rps"], queries=drf_queries),
            floor_name="REST framework view with token authentication",
        )
        bench.compare(
            "project detail API, DB_CONN_MAX_AGE=0, ms per request",
            harness.Figure(ms=1000 / fresh["rps"], queries=api_queries),
            harness.Figure(ms=1000 / floor["rps"], queries=1),
            floor_name="bare Django JSON view (.values())",
        )
        return bench.finish()


if __name__ == "__main__":
    sys.exit(main())

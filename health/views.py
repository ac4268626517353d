"""/healthz/: each component's state as JSON, 200 when every required one is healthy, 503
otherwise. No sign-in; the answer names components and states only (no address, no secret).

- ``/healthz/``: every component (monitoring);
- ``/healthz/web/``: what a web process needs to serve pages (database and storage) — for the
  web container's health check and a load balancer, so that a stopped beat or worker does not
  take the web out of service;
- ``/healthz/live/``: the process answers, nothing else is touched (a liveness probe).

Each component: ``status`` "ok", "error", "degraded" (working on a fallback) or "not
configured"; ``required``; ``seconds`` the check took; ``message`` when not ok; the beat and
the worker also ``last`` (when they were last seen) and ``age_seconds``.
"""

import asyncio
import logging

from django.http import JsonResponse
from health_check.exceptions import ServiceWarning
from health_check.views import HealthCheckView

from . import checks

#: component → (check, required)
COMPONENTS = {
    "database": (checks.Database, True),
    "broker": (checks.Broker, True),
    "storage": (checks.Storage, True),
    "beat": (checks.Beat, True),
    "worker": (checks.Worker, True),
    "cache": (checks.Cache, False),
}
WEB = ("database", "storage")

logger = logging.getLogger(__name__)


async def run(names) -> tuple[int, dict]:
    """Run the checks of these components side by side: (HTTP status, JSON body)."""
    names = list(names)
    results = await asyncio.gather(*(COMPONENTS[name][0]().get_result() for name in names))
    components = {}
    healthy = True
    for name, result in zip(names, results, strict=True):
        required = COMPONENTS[name][1]
        error = result.error
        entry = {"status": "ok", "required": required, "seconds": round(result.time_taken, 3)}
        if isinstance(error, checks.NotConfigured):
            entry.update(status="not configured", message=error.message)
        elif isinstance(error, ServiceWarning):
            entry.update(status="degraded", message=error.message)
        elif error is not None:
            entry.update(status="error", message=error.message)
            healthy = healthy and not required
        entry.update(getattr(result.check, "details", {}))
        components[name] = entry
    body = {"status": "ok" if healthy else "error", "components": components}
    failing = [
        f"{name}: {entry['message']}" for name, entry in components.items() if "message" in entry
    ]
    if failing:
        logger.warning("health: %s", "; ".join(failing))
    return (200 if healthy else 503), body


class HealthView(HealthCheckView):
    """django-health-check's view (never cached, outside any transaction), answering in the
    platform's JSON with 503 for an unhealthy component."""

    components = tuple(COMPONENTS)

    async def get(self, request, *args, **kwargs):
        status, body = await run(self.components)
        return JsonResponse(body, status=status)

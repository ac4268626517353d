"""``manage.py health [component …]``: run the /healthz/ checks in this process, print the JSON
and exit 0 when the required ones are healthy, 1 otherwise (every component when none is named).
The beat container's health check: ``manage.py health beat``."""

import json

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError

from health.views import COMPONENTS, run


class Command(BaseCommand):
    help = "Check the platform's components as /healthz/ does; exit 1 when one is unhealthy."

    def add_arguments(self, parser):
        parser.add_argument(
            "components", nargs="*", metavar="component", help=", ".join(COMPONENTS)
        )

    def handle(self, *args, components, **options):
        unknown = [name for name in components if name not in COMPONENTS]
        if unknown:
            raise CommandError(f"unknown component: {', '.join(unknown)}")
        # in this thread, as a request would: the checks that read the database use its connection
        status, body = async_to_sync(run)(components or COMPONENTS)
        self.stdout.write(json.dumps(body, ensure_ascii=False))
        if status != 200:
            raise SystemExit(1)

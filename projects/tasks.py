from celery import shared_task
from django.utils import timezone

from accounts.models import Region

from . import library


@shared_task(name="projects.tasks.propose_rollover")
def propose_rollover() -> int:
    """At the turn of the year: the new year's rollover of each top-level region proposed, on
    its office's to-do list until it is confirmed on the preview page. Answers how many projects
    the rule would move."""
    year = timezone.localdate().year
    return sum(
        library.propose(region, year).proposed_moves
        for region in Region.objects.filter(parent__isnull=True)
    )

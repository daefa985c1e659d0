"""Background work for open spaces: when the schedule is first published, tell each host and each person
who marked a session where and when their sessions are.

Who is told: people who want email about their projects (User.notify_by_email). Hosts are told whatever
they chose for how often (they are running a session: they need to know where, before the day); people who
only marked sessions are told if they chose emails "as it happens" (a weekly summary would arrive too late
for a meeting). Each person is claimed (a ScheduleNotice row, unique per open space and person) before their
email is queued, so a task run twice, or the schedule taken down and published again, never tells anyone
twice; someone who marks a session after the first publication is told at the next one.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_tasks import task

from copro.accounts.models import EmailFrequency, User
from copro.core.email import queue_email
from copro.unconference.models import Host, Interest, OpenSpace, ScheduleNotice, Session

BATCH_SIZE = 500


@task()
def tell_people_their_sessions(open_space_id: int) -> dict[str, int]:
    open_space = OpenSpace.objects.select_related("meeting", "project").filter(pk=open_space_id).first()
    if open_space is None or open_space.published_at is None:
        return {"sent": 0}
    placed = {
        s.pk: s
        for s in Session.objects.filter(open_space=open_space, withdrawn_at__isnull=True, slot__isnull=False)
        .select_related("room", "slot")
        .order_by("slot__starts_at", "room__position")
    }
    hosting: dict[int, list[int]] = defaultdict(list)
    for session_id, user_id in Host.objects.filter(session_id__in=placed).values_list("session_id", "user_id"):
        hosting[user_id].append(session_id)
    marked: dict[int, list[int]] = defaultdict(list)
    for session_id, user_id in Interest.objects.filter(session_id__in=placed).values_list("session_id", "user_id"):
        marked[user_id].append(session_id)
    told = set(ScheduleNotice.objects.filter(open_space=open_space).values_list("user_id", flat=True))
    wanted = sorted((set(hosting) | set(marked)) - told)
    board_url = settings.SITE_URL + reverse("unconference:board", args=[open_space.project.slug, open_space.meeting_id])
    sent = 0
    for start in range(0, len(wanted), BATCH_SIZE):
        people = User.objects.filter(
            pk__in=wanted[start : start + BATCH_SIZE], is_active=True, erased_at__isnull=True, notify_by_email=True
        ).order_by("pk")
        for person in people:
            hosts = hosting.get(person.pk, [])
            if not hosts and person.email_frequency != EmailFrequency.IMMEDIATE:
                continue
            mine = sorted(
                {*hosts, *marked.get(person.pk, [])},
                key=lambda sid: (placed[sid].slot.starts_at, placed[sid].room.position),  # type: ignore[union-attr]
            )
            try:
                with transaction.atomic():
                    ScheduleNotice.objects.create(open_space=open_space, user=person)
            except IntegrityError:
                continue  # told already, by another run
            queue_email(
                to=person.email,
                template="unconference/email/schedule_published",
                context={
                    "name": person.public_name,
                    "meeting": open_space.meeting,
                    "project": open_space.project,
                    "sessions": [(placed[sid], sid in hosts) for sid in mine],
                    "board_url": board_url,
                },
                language=person.preferred_language,
            )
            sent += 1
    return {"sent": sent}

"""The activity log: declared verbs, a hash chain that cannot be quietly changed, and who sees what."""

from __future__ import annotations

import io
import threading
import uuid
from datetime import date
from itertools import pairwise
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from copro.core import activity
from copro.core.forms import DuplicateSubmission
from copro.core.models import GENESIS_HASH, ActivityEntry, AppendOnlyError, Visibility
from copro.projects import services as project_services
from copro.projects.models import ProjectVisibility
from copro.updates import services as update_services
from copro.updates import tasks
from copro.updates.models import Subscription
from tests import factories
from tests.conftest import PERSONAS

MEMBERS = ["facilitator", "participant", "expert", "observer"]


def realistic_history(world: Any) -> list[ActivityEntry]:
    """A project's first weeks, written through the real services."""
    facilitator = world.facilitator
    project = project_services.project_create(
        user=facilitator,
        organisation=world.project.organisation,
        title="Library opening hours",
        purpose="Decide the opening hours together.",
        visibility=ProjectVisibility.PUBLIC,
        can_influence=["Opening hours"],
        fixed=[project_services.FixedLine("The budget", "Set by the council")],
    )
    project_services.phase_add(
        user=facilitator, project=project, name="Listen", starts_on=date(2025, 1, 6), ends_on=date(2025, 2, 7)
    )
    project_services.invitation_create(user=facilitator, project=project, email="new@example.org", role="participant")
    update_services.update_publish(user=facilitator, project=project, title="We have started", body="Hello")
    update_services.update_publish(
        user=facilitator, project=project, title="Draft plan", body="For members", visibility=Visibility.MEMBERS
    )
    subscription = update_services.subscribe(project=project, email="reader@example.org", language="cy")
    update_services.subscription_confirm(subscription=subscription)
    update_services.unsubscribe(subscription=subscription)
    project_services.project_update(user=facilitator, project=project, changes={"purpose": "Opening hours, together."})
    return list(ActivityEntry.objects.order_by("id"))


def new_entries_after(action: Any) -> list[tuple[str, str]]:
    """Run `action` and return the (verb, visibility) of the entries it wrote."""
    last = ActivityEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    action()
    return list(ActivityEntry.objects.filter(id__gt=last).order_by("id").values_list("verb", "visibility"))


def tamper(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def audit_verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


# --- 1. Declared verbs and the chain ------------------------------------------------------------------


def test_recording_a_verb_that_no_component_declares_is_refused_and_writes_nothing(db):
    for verb in ("updates.deleted_everything", "nonsense", "unknown.thing"):
        with pytest.raises(ValueError, match="not declared"):
            activity.record(verb=verb, actor=None, project=None)
    assert not ActivityEntry.objects.exists()


def test_each_entry_is_chained_to_the_one_before_and_a_realistic_history_verifies(world):
    entries = realistic_history(world)

    assert [e.verb for e in entries] == [
        "projects.created",
        "projects.phase_added",
        "projects.invited",
        "updates.published",
        "updates.published",
        "updates.subscribed",
        "updates.unsubscribed",
        "projects.updated",
    ]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in pairwise(entries):
        assert after.prev_hash == before.hash
    assert all(e.hash == e.compute_hash() for e in entries)
    assert len({e.hash for e in entries}) == len(entries)
    assert activity.verify_chain() == (len(entries), None, "")


# --- 2. Append-only -----------------------------------------------------------------------------------


def test_the_log_cannot_be_changed_or_emptied_through_django(world):
    entries = realistic_history(world)
    entry = entries[2]

    entry.data = {"role": "facilitator"}
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ActivityEntry.objects.filter(pk=entry.pk).update(data={"role": "facilitator"})
    with pytest.raises(AppendOnlyError):
        ActivityEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        ActivityEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ActivityEntry.objects.bulk_update([entry], ["data"])
    with pytest.raises(AppendOnlyError):
        ActivityEntry.objects.bulk_create(
            [entry], update_conflicts=True, unique_fields=["hash"], update_fields=["data"]
        )
    with pytest.raises(AppendOnlyError):
        entry.project.activity.all().delete()

    assert list(ActivityEntry.objects.order_by("id")) == entries
    assert ActivityEntry.objects.get(pk=entry.pk).data == {"role": "participant"}
    assert activity.verify_chain() == (len(entries), None, "")


# --- 3. Tamper evidence -------------------------------------------------------------------------------


def test_an_intact_log_is_reported_intact_with_the_number_of_entries(world):
    entries = realistic_history(world)
    output = audit_verify()
    assert "intact" in output
    assert f"{len(entries)} entries checked" in output
    # The latest fingerprint is printed, to be kept elsewhere: the chain alone cannot show a cut-off end.
    assert f"#{entries[-1].pk}, fingerprint {entries[-1].hash}" in output


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("data", '{"role": "facilitator"}'),
        ("visibility", "public"),  # a staff-only entry made public
        ("target_label", "Something else entirely"),
        ("verb", "projects.left"),
    ],
)
def test_changing_an_entry_with_raw_sql_is_detected_and_that_entry_is_named(world, column, value):
    entries = realistic_history(world)
    invited = entries[2]
    assert invited.verb == "projects.invited" and invited.visibility == Visibility.STAFF
    tamper(f"UPDATE core_activityentry SET {column} = %s WHERE id = %s", [value, invited.pk])  # noqa: S608

    with pytest.raises(CommandError, match=rf"broken at entry #{invited.pk} \(.*does not match its hash") as error:
        audit_verify()
    assert "2 entries before it are intact" in str(error.value)


def test_the_first_of_several_changed_entries_is_the_one_named(world):
    entries = realistic_history(world)
    tamper("UPDATE core_activityentry SET target_label = %s WHERE id = %s", ["changed", entries[6].pk])
    tamper("UPDATE core_activityentry SET target_label = %s WHERE id = %s", ["changed", entries[3].pk])
    with pytest.raises(CommandError, match=rf"broken at entry #{entries[3].pk} "):
        audit_verify()


def test_deleting_an_entry_from_the_middle_with_raw_sql_is_detected_at_the_entry_after_the_gap(world):
    entries = realistic_history(world)
    tamper("DELETE FROM core_activityentry WHERE id = %s", [entries[4].pk])
    with pytest.raises(CommandError, match=rf"broken at entry #{entries[5].pk} \(.*removed or inserted"):
        audit_verify()


def test_an_entry_slipped_in_with_a_recomputed_hash_still_breaks_the_link_to_the_next_one(world):
    entries = realistic_history(world)
    forged = entries[3]
    forged.target_label = "A different title"
    tamper(
        "UPDATE core_activityentry SET target_label = %s, hash = %s WHERE id = %s",
        [forged.target_label, forged.compute_hash(), forged.pk],
    )
    with pytest.raises(CommandError, match=rf"broken at entry #{entries[4].pk} "):
        audit_verify()


# --- 4. Concurrent appends ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_appends_from_many_threads_at_once_form_one_linear_chain():
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite's in-memory test database cannot take writes from several threads at once "
            "(shared-cache locks are not retried); the race is shown on PostgreSQL (DATABASE_URL)."
        )
    project = factories.ProjectFactory()
    threads_count, per_thread = 8, 5
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                # Inside a transaction, as services call it: the append is not visible until commit.
                with transaction.atomic():
                    activity.record(
                        verb="projects.step_updated",
                        actor=None,
                        project=project,
                        data={"step": f"{n}-{i}"},
                        visibility=Visibility.MEMBERS,
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    entries = list(ActivityEntry.objects.order_by("id"))
    assert len(entries) == threads_count * per_thread
    assert {e.data["step"] for e in entries} == {f"{n}-{i}" for n in range(threads_count) for i in range(per_thread)}
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(after.prev_hash == before.hash for before, after in pairwise(entries))
    assert activity.verify_chain() == (len(entries), None, "")


# --- 5. Who sees what ---------------------------------------------------------------------------------


def test_the_activity_page_shows_public_entries_to_all_members_entries_to_members_and_staff_entries_to_nobody(world):
    project = world.project
    update_services.update_publish(user=world.facilitator, project=project, title="Open news", body="Hello")
    update_services.update_publish(
        user=world.facilitator, project=project, title="Members draft", body="Hi", visibility=Visibility.MEMBERS
    )
    subscription = update_services.subscribe(project=project, email="reader@example.org", language="en")
    update_services.subscription_confirm(subscription=subscription)
    project_services.invitation_create(user=world.facilitator, project=project, email="new@example.org", role="expert")

    for persona in PERSONAS:
        response = world.client(persona).get(f"/p/{project.slug}/activity/")
        assert response.status_code == 200, persona
        page = response.content.decode()
        assert "Open news" in page, persona
        assert ("Members draft" in page) == (persona in MEMBERS), persona
        assert "subscribed to the project" not in page, persona
        assert "invited someone" not in page, persona
        assert factories.XSS not in page, persona  # the facilitator's hostile name is escaped


def test_the_staff_audit_log_is_for_facilitators_only(world):
    update_services.update_publish(user=world.facilitator, project=world.project, title="Open news", body="Hello")
    subscription = update_services.subscribe(project=world.project, email="reader@example.org", language="en")
    update_services.subscription_confirm(subscription=subscription)

    audit = world.client("facilitator").get(f"/p/{world.project.slug}/audit/")
    assert audit.status_code == 200
    page = audit.content.decode()
    assert "subscribed to the project" in page and "Open news" in page
    assert factories.XSS not in page

    for persona in ["participant", "expert", "observer", "outsider", "anonymous"]:
        assert world.client(persona).get(f"/p/{world.project.slug}/audit/").status_code == 403, persona
    for persona in ["participant", "expert", "observer"]:
        assert world.client(persona).get(f"/p/{world.private_project.slug}/audit/").status_code == 403, persona
    for persona in ["outsider", "anonymous"]:
        assert world.client(persona).get(f"/p/{world.private_project.slug}/audit/").status_code == 404, persona
        assert world.client(persona).get(f"/p/{world.private_project.slug}/activity/").status_code == 404, persona


def test_an_entry_names_its_actor_as_they_are_called_now_and_an_erased_person_as_former_participant(world):
    facilitator = world.facilitator
    facilitator.display_name = "Gwen Ŵyn"
    facilitator.save()
    update_services.update_publish(user=facilitator, project=world.project, title="Opening hours", body="News")
    entry = ActivityEntry.objects.get(verb="updates.published")
    assert activity.describe(entry) == "Gwen Ŵyn published an update: “Opening hours”."

    facilitator.display_name = "Gwen Jones"
    facilitator.save()
    entry = ActivityEntry.objects.select_related("actor").get(pk=entry.pk)
    assert activity.describe(entry) == "Gwen Jones published an update: “Opening hours”."

    facilitator.erased_at = timezone.now()
    facilitator.save()
    entry = ActivityEntry.objects.select_related("actor").get(pk=entry.pk)
    assert activity.describe(entry) == "former participant published an update: “Opening hours”."
    page = world.client("anonymous").get(f"/p/{world.project.slug}/activity/").content.decode()
    assert "former participant published an update" in page
    assert "Gwen" not in page
    assert activity.verify_chain() == (1, None, "")  # erasing changed how the entry reads, not the entry


# --- 6. One entry per state change of the updates component -----------------------------------------


def test_every_state_change_through_the_updates_services_writes_exactly_one_entry(world, outbox):
    project, facilitator = world.project, world.facilitator

    assert new_entries_after(
        lambda: update_services.update_publish(user=facilitator, project=project, title="Public", body="Text")
    ) == [("updates.published", "public")]
    assert new_entries_after(
        lambda: update_services.update_publish(
            user=facilitator,
            project=project,
            title="Members",
            body="Text",
            visibility=Visibility.MEMBERS,
        )
    ) == [("updates.published", "members")]
    published = ActivityEntry.objects.filter(verb="updates.published").order_by("id").first()
    assert published is not None
    assert (published.actor_id, published.project_id, published.target_type) == (
        facilitator.pk,
        project.pk,
        "updates.update",
    )

    # Asking to subscribe changes nothing anyone relies on until the address is confirmed (and an
    # anonymous form must not grow the permanent log), so it writes no entry.
    subscriptions: list[Subscription] = []
    assert (
        new_entries_after(
            lambda: subscriptions.append(
                update_services.subscribe(project=project, email="reader@example.org", language="en")
            )
        )
        == []
    )
    subscription = subscriptions[0]
    assert new_entries_after(lambda: update_services.subscription_confirm(subscription=subscription)) == [
        ("updates.subscribed", "staff")
    ]
    assert new_entries_after(lambda: update_services.subscription_confirm(subscription=subscription)) == []
    assert new_entries_after(lambda: update_services.unsubscribe(subscription=subscription)) == [
        ("updates.unsubscribed", "staff")
    ]
    assert new_entries_after(lambda: update_services.unsubscribe(subscription=subscription)) == []
    assert (
        new_entries_after(lambda: update_services.subscribe(project=project, email="reader@example.org", language="en"))
        == []
    )
    subscription.refresh_from_db()
    assert new_entries_after(lambda: update_services.subscription_confirm(subscription=subscription)) == [
        ("updates.subscribed", "staff")
    ]

    # Subscription entries hold no personal data: no address, no subscription id, no actor.
    for entry in ActivityEntry.objects.filter(verb__in=["updates.subscribed", "updates.unsubscribed"]):
        assert entry.actor_id is None and entry.target_id == ""
        assert b"reader@example.org" not in entry.canonical()

    # Refused or repeated requests change nothing and write nothing.
    def refused() -> None:
        with pytest.raises(ValidationError):
            update_services.update_publish(user=facilitator, project=project, title="", body="Text")

    assert new_entries_after(refused) == []
    token = uuid.uuid4()
    update_services.update_publish(user=facilitator, project=project, title="Once", body="Text", form_token=token)

    def repeated() -> None:
        with pytest.raises(DuplicateSubmission):
            update_services.update_publish(
                user=facilitator, project=project, title="Once", body="Text", form_token=token
            )

    assert new_entries_after(repeated) == []

    # Sending an update is delivery, not a change to the project: no entries either.
    update = project.updates.get(title="Public")
    assert new_entries_after(lambda: tasks.send_update.call(update_id=update.pk)) == []
    assert len(outbox.to("reader@example.org")) == 1
    assert activity.verify_chain()[1] is None

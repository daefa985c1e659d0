"""The weekly digest: one email listing the updates since the last one, each update sent to each
address exactly once, across restarts, outages and frequency changes.

Real SMTP (aiosmtpd on localhost), the real database task worker, the real pages. Nothing is mocked.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from copro.core.email import send_now
from copro.core.models import Visibility
from copro.updates import services, tasks
from copro.updates.models import Delivery, Subscription, Update
from tests import factories
from tests.conftest import Outbox
from tests.test_updates import (  # noqa: F401 - mail_server is a fixture
    html_part,
    links,
    mail_server,
    make_consultation,
    subjects,
    subscriber,
    unsubscribe_header_url,
)

pytestmark = pytest.mark.django_db(transaction=True)


def publish(world: Any, title: str, *, consultation: Any = None, **extra: Any) -> Update:
    return services.update_publish(
        user=world.facilitator,
        project=world.project,
        title=title,
        body=f"{title}: the details.",
        consultation=consultation,
        **extra,
    )


def digests(outbox: Outbox, address: str | None = None) -> list[Any]:
    messages = outbox.to(address) if address else outbox.refresh()
    return [m for m in messages if "this week" in str(m["Subject"])]


def listed(message: Any) -> list[str]:
    """The update pages a digest links to, in order."""
    return [path for path in links(message, "/updates/") if path.rstrip("/").rsplit("/", 1)[-1].isdigit()]


def digest_run() -> dict[str, int]:
    return tasks.send_digests.call()


# --- 1. One email with everything since the last one -----------------------------------------------


def test_a_weekly_subscriber_gets_one_email_listing_every_update_and_a_second_run_sends_nothing_new(
    world, outbox, run_tasks
):
    subscription = subscriber(world.project, "weekly@example.org", frequency="weekly")
    first, second, third = (publish(world, t) for t in ("Road works", "New crossing", "Thank you"))
    publish(world, "Members' draft", visibility=Visibility.MEMBERS)
    run_tasks()  # the immediate sends run: nothing for a weekly subscriber
    assert outbox.to("weekly@example.org") == []

    call_command("updates", "digest")  # what cron runs once a week: it queues the digest
    assert DBTaskResult.objects.filter(task_path__endswith="send_digests", status="READY").exists()
    run_tasks()

    [digest] = digests(outbox, "weekly@example.org")
    assert subjects([digest]) == [f"{world.project.title}: 3 updates this week"]
    slug = world.project.slug
    assert listed(digest) == [f"/p/{slug}/updates/{u.pk}/" for u in (first, second, third)]
    text, html = Outbox.text(digest), html_part(digest)
    assert "Road works: the details." in text and "Members' draft" not in text
    assert f'href="http://127.0.0.1:8000/p/{slug}/updates/{first.pk}/"' in html
    assert links(digest, "/updates/manage/") == [f"/updates/manage/{subscription.token}/"]
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert urlsplit(unsubscribe_header_url(digest)).path == f"/updates/unsubscribe/{subscription.token}/"
    assert unsubscribe_header_url(digest) in text and unsubscribe_header_url(digest) in html
    assert Counter(Delivery.objects.values_list("status", flat=True)) == {"sent": 3}
    subscription.refresh_from_db()
    assert subscription.digest_sent_at is not None

    assert digest_run() == {"sent": 0, "failed": 0, "updates": 0}  # a second run: nothing new
    assert len(digests(outbox, "weekly@example.org")) == 1

    fourth = publish(world, "One more thing")
    run_tasks()
    assert digest_run() == {"sent": 1, "failed": 0, "updates": 1}
    newest = digests(outbox, "weekly@example.org")[-1]
    assert subjects([newest]) == [f"{world.project.title}: 1 update this week"]
    assert listed(newest) == [f"/p/{slug}/updates/{fourth.pk}/"]


def test_the_digest_holds_only_updates_published_after_the_address_confirmed(world, outbox):
    old = publish(world, "Before they subscribed")
    Update.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=3))
    subscriber(world.project, "new@example.org", frequency="weekly", confirmed=timedelta(days=1))
    newer = publish(world, "After")
    digest_run()
    [digest] = digests(outbox, "new@example.org")
    assert listed(digest) == [f"/p/{world.project.slug}/updates/{newer.pk}/"]


def test_the_digest_comes_in_the_subscribers_language(world, outbox):
    subscription = subscriber(world.project, "cymraeg@example.org", frequency="weekly")
    Subscription.objects.filter(pk=subscription.pk).update(language="cy")
    publish(world, "Newyddion")
    digest_run()
    [digest] = outbox.to("cymraeg@example.org")
    assert "Atal yr e-byst hyn" in html_part(digest)  # "Stop these emails"
    assert "Atal yr e-byst hyn" in Outbox.text(digest)


# --- 2. Consultations and addresses with several subscriptions --------------------------------------


def test_a_weekly_consultation_digest_lists_only_that_consultations_updates(world, outbox):
    route, parks = make_consultation(world.project), make_consultation(world.project, title="Parks")
    subscriber(world.project, "route@example.org", consultation=route, frequency="weekly")
    subscriber(world.project, "all@example.org", frequency="weekly")
    on_route = publish(world, "Route news", consultation=route)
    on_parks = publish(world, "Parks news", consultation=parks)
    general = publish(world, "General news")
    digest_run()
    slug = world.project.slug
    [route_digest] = digests(outbox, "route@example.org")
    assert listed(route_digest) == [f"/p/{slug}/updates/{on_route.pk}/"]
    assert "Your weekly digest of the updates about “Cycle route on Ŵŷâ Road”" in Outbox.text(route_digest)
    [all_digest] = digests(outbox, "all@example.org")
    assert listed(all_digest) == [f"/p/{slug}/updates/{u.pk}/" for u in (on_route, on_parks, general)]
    assert "about “Parks”" in Outbox.text(all_digest)


@pytest.mark.parametrize(
    ("project_wide", "consultation_level", "immediate_titles", "digest_titles"),
    [
        ("weekly", "weekly", [], ["Route news", "General news"]),
        ("weekly", "immediate", ["Route news"], ["General news"]),
        ("immediate", "weekly", ["Route news", "General news"], []),
        ("immediate", "immediate", ["Route news", "General news"], []),
    ],
)
def test_an_address_following_the_project_and_a_consultation_gets_each_update_once_whatever_the_frequencies(
    world, outbox, run_tasks, project_wide, consultation_level, immediate_titles, digest_titles
):
    route = make_consultation(world.project)
    subscriber(world.project, "both@example.org", frequency=project_wide)
    subscriber(world.project, "BOTH@example.org", consultation=route, frequency=consultation_level)
    updates = {u.title: u for u in (publish(world, "Route news", consultation=route), publish(world, "General news"))}
    run_tasks()
    digest_run()
    digest_run()
    messages = outbox.to("both@example.org") + outbox.to("BOTH@example.org")
    immediate = [m for m in messages if "this week" not in str(m["Subject"])]
    weekly = [m for m in messages if "this week" in str(m["Subject"])]
    assert sorted(s.split(": ")[-1] for s in subjects(immediate)) == sorted(immediate_titles)
    assert len(weekly) == (1 if digest_titles else 0)
    slug = world.project.slug
    if digest_titles:
        assert listed(weekly[0]) == [f"/p/{slug}/updates/{updates[t].pk}/" for t in digest_titles]
    # Each update reached this address once, in one way or the other.
    delivered = Counter(
        Delivery.objects.filter(subscription__email__iexact="both@example.org").values_list("update", flat=True)
    )
    assert delivered == {u.pk: 1 for u in updates.values()}


def test_digests_of_a_private_project_go_only_to_members(world, outbox):
    subscriber(world.private_project, "stranger@elsewhere.example", frequency="weekly")
    subscriber(world.private_project, world.participant.email.upper(), frequency="weekly")
    services.update_publish(user=world.facilitator, project=world.private_project, title="Plan", body="Text")
    digest_run()
    assert outbox.to("stranger@elsewhere.example") == []
    assert len(digests(outbox, world.participant.email.upper())) == 1


# --- 3. Exactly once, across restarts and outages -------------------------------------------------


def test_a_digest_run_cut_short_by_a_mail_server_outage_is_retried_and_each_address_gets_each_update_once(
    world,
    mail_server,  # noqa: F811 - the fixture imported above
    run_tasks,
):
    subscribers = [subscriber(world.project, f"weekly{i}@example.org", frequency="weekly") for i in range(6)]
    updates = [publish(world, f"News {i}") for i in range(3)]
    relay = mail_server(go_down_after=2)  # accepts two digests, then stops listening
    run_tasks()  # (the immediate sends: nobody is immediate)

    call_command("updates", "digest")
    run_tasks()

    assert len(relay.messages) == 2
    failed_run = DBTaskResult.objects.get(task_path__endswith="send_digests", status="FAILED")
    assert failed_run.exception_class_path.endswith("MailServerUnavailable")
    retry = DBTaskResult.objects.get(task_path__endswith="send_digests", status="READY")
    assert retry.run_after > timezone.now()
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    # Only what reached the server is claimed: the third subscriber's claims were released.
    assert Counter(Delivery.objects.values_list("status", flat=True)) == {"sent": 6}

    relay.stop()
    back = mail_server(port=relay.port)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_tasks()
    digest_run()  # and a run by mistake afterwards sends nobody anything

    messages = relay.messages + back.messages
    assert Counter(str(m["To"]) for m in messages) == {s.email: 1 for s in subscribers}
    expected = [f"/p/{world.project.slug}/updates/{u.pk}/" for u in updates]
    assert all(listed(m) == expected for m in messages)
    assert Delivery.objects.filter(status="sent").count() == 18


def test_a_worker_killed_mid_digest_never_lists_an_update_twice_when_it_runs_again(world, outbox):
    subscribers = [subscriber(world.project, f"weekly{i}@example.org", frequency="weekly") for i in range(4)]
    first, second = publish(world, "First"), publish(world, "Second")
    # The killed worker had sent weekly0 its whole digest, and had claimed "First" for weekly1 when it
    # died: that claim's fate is unknown (the message may have reached the server), so it is not resent.
    for update in (first, second):
        Delivery.objects.create(update=update, subscription=subscribers[0], status="sent", sent_at=timezone.now())
    send_now(to=subscribers[0].email, subject="Earlier: 2 updates this week", text="First, Second", html="<p>x</p>")
    Delivery.objects.create(update=first, subscription=subscribers[1], status="sending")

    digest_run()
    digest_run()

    slug = world.project.slug
    both = [f"/p/{slug}/updates/{first.pk}/", f"/p/{slug}/updates/{second.pk}/"]
    assert [listed(m) for m in digests(outbox, "weekly0@example.org")] == [[]]  # only the earlier one
    assert [listed(m) for m in digests(outbox, "weekly1@example.org")] == [both[1:]]
    assert [listed(m) for m in digests(outbox, "weekly2@example.org")] == [both]
    assert [listed(m) for m in digests(outbox, "weekly3@example.org")] == [both]
    per_pair = Counter(Delivery.objects.values_list("update", "subscription"))
    assert set(per_pair.values()) == {1} and len(per_pair) == 8


def test_an_address_the_mail_server_refuses_is_recorded_as_failed_and_the_others_still_get_their_digest(
    world,
    mail_server,  # noqa: F811 - the fixture imported above
):
    subscriber(world.project, "fine@example.org", frequency="weekly")
    subscriber(world.project, "bounce@example.org", frequency="weekly")
    relay = mail_server(refuse={"bounce@example.org"})
    publish(world, "News")
    assert digest_run() == {"sent": 1, "failed": 1, "updates": 1}
    assert [str(m["To"]) for m in relay.messages] == ["fine@example.org"]
    failed = Delivery.objects.get(subscription__email="bounce@example.org")
    assert failed.status == "failed" and "550" in failed.error
    assert digest_run() == {"sent": 0, "failed": 0, "updates": 0}  # not resent blindly


# --- 4. Leaving and changing from a digest ------------------------------------------------------------


def test_a_digest_reader_unsubscribes_in_one_click_and_gets_no_more_digests(world, outbox):
    subscription = subscriber(world.project, "leaver@example.org", frequency="weekly")
    publish(world, "First")
    digest_run()
    [digest] = digests(outbox, "leaver@example.org")

    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(
        urlsplit(unsubscribe_header_url(digest)).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None

    publish(world, "Second")
    digest_run()
    assert len(digests(outbox, "leaver@example.org")) == 1


def test_a_digest_reader_unsubscribes_from_the_page_the_digest_links_to(world, outbox):
    subscription = subscriber(world.project, "leaver@example.org", frequency="weekly")
    publish(world, "First")
    digest_run()
    [digest] = digests(outbox, "leaver@example.org")
    [unsubscribe_path] = links(digest, "/updates/unsubscribe/")
    visitor = world.client("anonymous")
    assert "Unsubscribe</button>" in visitor.get(unsubscribe_path).content.decode()
    assert "You are unsubscribed" in visitor.post(unsubscribe_path, {}).content.decode()
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_a_digest_reader_switches_to_immediate_from_the_digest_and_gets_the_next_update_at_once(
    world, outbox, run_tasks
):
    subscription = subscriber(world.project, "reader@example.org", frequency="weekly")
    publish(world, "First")
    run_tasks()
    digest_run()
    [digest] = digests(outbox, "reader@example.org")
    [manage_path] = links(digest, "/updates/manage/")
    visitor = world.client("anonymous")
    assert "A weekly digest of the updates from" in visitor.get(manage_path).content.decode()
    assert visitor.post(manage_path, {"frequency": "immediate"}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.frequency == "immediate"

    publish(world, "Second")
    run_tasks()
    digest_run()
    messages = outbox.to("reader@example.org")
    assert subjects(messages) == [
        f"{world.project.title}: 1 update this week",
        f"{world.project.title}: Second",
    ]


def test_switching_from_immediate_to_weekly_does_not_list_again_what_was_already_emailed(world, outbox, run_tasks):
    subscription = subscriber(world.project, "reader@example.org")
    publish(world, "Emailed at once")
    run_tasks()
    services.subscription_set_frequency(subscription=subscription, frequency="weekly")
    later = publish(world, "For the digest")
    run_tasks()
    digest_run()
    [digest] = digests(outbox, "reader@example.org")
    assert listed(digest) == [f"/p/{world.project.slug}/updates/{later.pk}/"]


# --- 5. Scale ---------------------------------------------------------------------------------------


def test_a_digest_reaches_twelve_hundred_weekly_subscribers_once_each(world, outbox):
    now = timezone.now() - timedelta(days=1)
    Subscription.objects.bulk_create(
        Subscription(project=world.project, email=f"w{i}@example.org", frequency="weekly", confirmed_at=now)
        for i in range(1_200)
    )
    publish(world, "Big news")
    publish(world, "More news")
    assert digest_run() == {"sent": 1_200, "failed": 0, "updates": 2_400}
    assert Counter(str(m["To"]) for m in outbox.refresh()) == {f"w{i}@example.org": 1 for i in range(1_200)}
    assert digest_run()["sent"] == 0


def test_the_digest_command_can_send_in_the_foreground(world, outbox, capsys):
    subscriber(world.project, "weekly@example.org", frequency="weekly")
    publish(world, "News")
    call_command("updates", "digest", "--now")
    assert "sent 1 digest(s) listing 1 update(s)" in capsys.readouterr().out
    assert len(digests(outbox, "weekly@example.org")) == 1
    assert not DBTaskResult.objects.filter(task_path__endswith="send_digests").exists()


def test_hostile_update_titles_are_escaped_in_the_digest(world, outbox):
    subscriber(world.project, "weekly@example.org", frequency="weekly")
    factories.UpdateFactory(project=world.project, author=world.facilitator)
    digest_run()
    [digest] = digests(outbox, "weekly@example.org")
    assert factories.XSS not in html_part(digest)
    assert "&lt;" not in Outbox.text(digest)

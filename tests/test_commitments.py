"""Commitments ("you said, we did"): making them, changing them, and telling everyone who took part.

Real services, the real task worker (run_tasks) and a real SMTP server (outbox); no mocks."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from copro.core.components import registry
from copro.core.models import ActivityEntry, ResourceLink
from copro.core.permissions import Role
from copro.followthrough import selectors, services, tasks
from copro.followthrough.models import (
    Commitment,
    CommitmentNotice,
    CommitmentUpdate,
    FeedbackMoment,
    Milestone,
    NoticeOptOut,
)
from tests import factories
from tests import factories_followthrough as ft
from tests.conftest import client_for
from tests.test_updates import MailServer, free_port

pytestmark = pytest.mark.django_db


class Relay(MailServer):
    """A real SMTP server (tests/test_updates.py) that notes which connection brought each message and,
    once it goes down, also answers the connection already open with "421 closing" (as a relay shutting
    down does), so a sender that keeps one connection for a whole batch sees the outage too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.peers = []

    @property
    def down(self):
        return self.go_down_after is not None and len(self.messages) >= self.go_down_after

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 - aiosmtpd API
        if self.down:
            return "421 4.3.2 Service shutting down, closing transmission channel"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        with self.lock:
            self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def relay(settings):
    """Start a Relay and point Django's email settings at it."""
    started = []

    def start(*, port=None, go_down_after=None):
        server = Relay(port or free_port(), set(), go_down_after)
        server.controller.start()
        started.append(server)
        settings.EMAIL_PORT = server.port
        return server

    yield start
    for server in started:
        server.stop()


def members(project, n, *, role="participant", prefix="person", **fields):
    people = [factories.UserFactory(email=f"{prefix}{i}@example.org", **fields) for i in range(n)]
    for person in people:
        factories.MembershipFactory(project=project, user=person, role=role)
    return people


def yswd(slug):
    return f"/p/{slug}/you-said-we-did/"


# --- Making a commitment -------------------------------------------------------------------------


def test_a_due_date_in_the_past_is_refused_with_a_clear_message_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as refused:
        ft.commitment(world.project, created_by=world.facilitator, due_on=ft.past(1))
    assert "in the past" in refused.value.message_dict["due_on"][0]
    assert not Commitment.objects.exists()

    response = world.client("facilitator").post(
        yswd(world.project.slug) + "new/",
        {
            "title": "Paint the crossing",
            "owner": world.facilitator.pk,
            "due_on": ft.past(3).isoformat(),
            "visibility": "public",
        },
    )
    assert response.status_code == 400
    assert "in the past" in response.content.decode()
    assert not Commitment.objects.exists()
    assert not ActivityEntry.objects.filter(verb="followthrough.created").exists()


def test_the_owner_and_co_owners_must_be_members_of_the_project(world):
    with pytest.raises(ValidationError) as refused:
        ft.commitment(world.project, created_by=world.facilitator, owner=world.outsider)
    assert "owner" in refused.value.message_dict
    with pytest.raises(ValidationError):
        ft.commitment(world.project, created_by=world.facilitator, co_owners=[world.outsider])
    assert not Commitment.objects.exists()


def test_a_commitment_is_made_from_a_closed_decision_through_the_from_link_and_remembers_where_it_came_from(world):
    decision = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    client = world.client("facilitator")
    page = client.get(yswd(world.project.slug) + f"new/?from=decisions.decision:{decision.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Agreed: lights on the park path</textarea>" in body  # the outcome statement, prefilled
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Ŵyn" in body  # people's names, escaped
    assert "<script>alert(1)</script>" not in body

    response = client.post(
        yswd(world.project.slug) + "new/",
        {
            "source": f"decisions.decision:{decision.pk}",
            "title": "Put up lights on the park path",
            "owner": world.expert.pk,
            "co_owners": [world.participant.pk],
            "due_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    made = Commitment.objects.get()
    assert made.owner == world.expert and list(made.co_owners.all()) == [world.participant]
    link = ResourceLink.objects.get(kind="commits_decision")
    assert (link.source_id, link.target_id) == (decision.pk, made.pk)
    # The proposer and the responder hear that a promise was made (the facilitator who made it does not).
    assert CommitmentUpdate.objects.get(commitment=made).recipients == 2

    detail = client.get(response["Location"]).content.decode()
    assert "Light the park path" in detail and "Agreed" in detail


def test_a_decision_still_open_cannot_lead_to_a_commitment_and_an_unknown_source_is_a_404(world):
    still_open = factories.decision(world.project, kind="proposal", process="consent", created_by=world.participant)
    with pytest.raises(ValidationError) as refused:
        ft.commitment(world.project, created_by=world.facilitator, source=still_open)
    assert "closed" in refused.value.message_dict["source"][0]
    client = world.client("facilitator")
    for bad in ("decisions.decision:999999", "decisions.decision:abc", "auth.user:1", "decisions.decision:" + "9" * 30):
        assert client.get(yswd(world.project.slug) + f"new/?from={bad}").status_code == 404
    other = factories.ProjectFactory()
    elsewhere = ft.closed_proposal(other, proposer=other.created_by, responders=[], closer=other.created_by)
    assert client.get(yswd(world.project.slug) + f"new/?from=decisions.decision:{elsewhere.pk}").status_code == 404


def test_only_facilitators_make_commitments(world):
    for persona, status in [("participant", 403), ("observer", 403), ("outsider", 403), ("anonymous", 403)]:
        assert world.client(persona).get(yswd(world.project.slug) + "new/").status_code == status, persona
    assert client_for(world.outsider).get(yswd(world.private_project.slug) + "new/").status_code == 404


# --- Updates and status changes ------------------------------------------------------------------


def test_dropping_without_a_reason_is_refused_with_a_form_error_and_nothing_is_saved(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    with pytest.raises(ValidationError) as refused:
        services.commitment_update_post(
            commitment=made, author=world.facilitator, text="", status="dropped", reason="  "
        )
    assert "plain words" in refused.value.message_dict["reason"][0]

    response = world.client("facilitator").post(
        yswd(world.project.slug) + f"{made.pk}/update/", {"text": "We stopped.", "status": "changed", "reason": " "}
    )
    assert response.status_code == 400
    assert "plain words" in response.content.decode()
    made.refresh_from_db()
    assert made.status == "planned"
    assert not CommitmentUpdate.objects.filter(commitment=made).exists()
    assert not CommitmentNotice.objects.exists()
    # The database refuses it too, whatever code tries.
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=made.pk).update(status="dropped", status_reason="")


def test_an_update_needs_words_or_a_new_status(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    with pytest.raises(ValidationError):
        services.commitment_update_post(commitment=made, author=world.facilitator, text="   ")
    update = services.commitment_update_post(commitment=made, author=world.facilitator, text="", status="in_progress")
    assert (update.status_from, update.status_to) == ("planned", "in_progress")
    update = services.commitment_update_post(commitment=made, author=world.facilitator, text="", status="done")
    made.refresh_from_db()
    assert made.status == "done" and made.done_at is not None


def clear(outbox):
    """Forget the emails sent so far (consultation receipts and the like)."""
    with outbox.collector.lock:
        outbox.collector.messages.clear()
    outbox.clear()


def linked_commitment(world, *, extra_respondents=()):
    """A commitment from a decision (proposed by the participant, agreed by the expert) and a consultation
    (the expert and the observer responded asking to hear back; one respondent did not ask; one was
    anonymous), so the expert contributed to both."""
    decision = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    survey, question = ft.consultation(world.project, created_by=world.facilitator)
    ft.respond(survey, question, respondent=world.expert, hear_back=True)
    ft.respond(survey, question, respondent=world.observer, hear_back=True)
    quiet = factories.UserFactory(email="quiet@example.org")
    ft.respond(survey, question, respondent=quiet, hear_back=False)
    ft.respond(survey, question, anonymous="browser-token-hash", hear_back=True)
    for person in extra_respondents:
        ft.respond(survey, question, respondent=person, hear_back=True)
    made = ft.commitment(world.project, created_by=world.facilitator, source=decision, title="Light the path")
    services.commitment_link_add(commitment=made, source=survey, user=world.facilitator)
    return made


def test_a_status_change_tells_everyone_who_contributed_exactly_once_in_their_language(world, outbox, run_tasks):
    world.expert.preferred_language = "cy"
    world.expert.save()
    made = linked_commitment(world)
    run_tasks()
    clear(outbox)

    update = services.commitment_update_post(
        commitment=made, author=world.facilitator, text="The lights are ordered.", status="in_progress"
    )
    assert update.recipients == 3  # participant (proposer), expert (both), observer; not quiet, not the author
    run_tasks()
    # Sending again, by mistake or after a crash, sends nobody anything twice.
    tasks.send_notices.enqueue(update_id=update.pk)
    run_tasks()

    got = Counter(str(m["To"]) for m in outbox.refresh())
    assert got == {"participant@example.org": 1, "expert@example.org": 1, "observer@example.org": 1}
    to_participant = outbox.to("participant@example.org")[0]
    text = outbox.text(to_participant)
    assert "The lights are ordered." in text
    assert f"/p/{world.project.slug}/you-said-we-did/{made.pk}/" in text
    assert "/followthrough/stop/" in text and to_participant["List-Unsubscribe"]
    assert "Light the path" in to_participant["Subject"]
    welsh = outbox.text(outbox.to("expert@example.org")[0])
    assert "The lights are ordered." in welsh
    assert Counter(CommitmentNotice.objects.filter(update=update).values_list("state", flat=True)) == {"sent": 3}
    # One activity entry for the change, not one per person told.
    assert ActivityEntry.objects.filter(verb="followthrough.status_changed").count() == 1


def test_people_who_asked_for_no_email_are_not_emailed_but_see_the_news_on_the_page(world, outbox, run_tasks):
    world.participant.notify_by_email = False
    world.participant.save()
    made = linked_commitment(world)
    run_tasks()
    clear(outbox)
    services.commitment_update_post(commitment=made, author=world.facilitator, text="Lights ordered " + factories.XSS)
    run_tasks()
    assert outbox.to("participant@example.org") == []
    assert outbox.to("observer@example.org")  # others are told
    assert CommitmentNotice.objects.filter(user=world.participant, state="skipped").count() == 2

    page = world.client("participant").get(yswd(world.project.slug)).content.decode()
    assert "News about what you took part in" in page
    assert "Lights ordered &lt;script&gt;" in page


def test_people_who_chose_a_weekly_summary_get_the_news_in_it_not_at_once(world, outbox, run_tasks):
    world.observer.email_frequency = "weekly"
    world.observer.save()
    made = linked_commitment(world)
    run_tasks()
    clear(outbox)
    services.commitment_update_post(commitment=made, author=world.facilitator, text="First news.")
    services.commitment_update_post(commitment=made, author=world.facilitator, text="", status="done")
    run_tasks()
    assert outbox.to("observer@example.org") == []
    assert len(outbox.to("participant@example.org")) == 2  # first news, done: one email each

    call_command("followthrough", "digest", "--now")
    summaries = outbox.to("observer@example.org")
    assert len(summaries) == 1
    text = outbox.text(summaries[0])
    assert "First news." in text and "Done" in text and "weekly summary" in text
    call_command("followthrough", "digest", "--now")  # nothing new: nothing sent
    assert len(outbox.to("observer@example.org")) == 1
    assert not CommitmentNotice.objects.filter(user=world.observer).exclude(state="sent").exists()


def test_a_mail_server_outage_releases_the_claim_and_the_retry_reaches_everyone_once(world, relay, run_tasks):
    extra = [factories.UserFactory(email=f"respondent{i}@example.org") for i in range(6)]
    made = linked_commitment(world, extra_respondents=extra)
    run_tasks()  # the "commitment made" notices go to the normal test server
    first = relay(go_down_after=4)
    update = services.commitment_update_post(commitment=made, author=world.facilitator, text="Outage test")
    assert update.recipients == 9
    run_tasks()

    assert len(first.messages) == 4
    states = Counter(CommitmentNotice.objects.filter(update=update).values_list("state", flat=True))
    assert states == {"sent": 4, "queued": 5}  # nobody marked failed for the outage
    failed_run = DBTaskResult.objects.filter(status="FAILED").get()
    assert failed_run.exception_class_path.endswith("MailServerUnavailable")
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now()
    assert retry.args_kwargs["kwargs"] == {"update_id": update.pk, "attempt": 2}

    first.stop()
    back = relay(port=first.port)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_tasks()
    everyone = Counter(str(m["To"]) for m in first.messages + back.messages)
    assert len(everyone) == 9 and set(everyone.values()) == {1}
    assert CommitmentNotice.objects.filter(update=update, state="sent").count() == 9


def test_a_batch_of_update_emails_goes_over_one_smtp_connection(world, relay, run_tasks):
    extra = [factories.UserFactory(email=f"batch{i}@example.org") for i in range(5)]
    made = linked_commitment(world, extra_respondents=extra)
    run_tasks()
    server = relay()
    update = services.commitment_update_post(commitment=made, author=world.facilitator, text="One connection")
    assert update.recipients == 8
    run_tasks()
    assert len(server.messages) == 8
    assert len(set(server.peers)) == 1  # one connection (one client port) for all eight


def test_an_email_left_sending_by_a_killed_worker_is_sent_after_fifteen_minutes_not_before(world, outbox, run_tasks):
    made = linked_commitment(world)
    run_tasks()
    clear(outbox)
    update = services.commitment_update_post(commitment=made, author=world.facilitator, text="Half sent")
    # A worker claimed two of them and was killed before sending: one 20 minutes ago, one a minute ago.
    notices = list(CommitmentNotice.objects.filter(update=update).order_by("id"))
    stuck, recent, waiting = notices
    CommitmentNotice.objects.filter(pk=stuck.pk).update(
        state="sending", claimed_at=timezone.now() - timedelta(minutes=20)
    )
    CommitmentNotice.objects.filter(pk=recent.pk).update(
        state="sending", claimed_at=timezone.now() - timedelta(minutes=1)
    )
    DBTaskResult.objects.all().delete()  # the killed worker's task is gone
    call_command("followthrough", "retry", stdout=__import__("io").StringIO())
    run_tasks()
    states = dict(CommitmentNotice.objects.filter(update=update).values_list("user_id", "state"))
    assert states == {stuck.user_id: "sent", recent.user_id: "sending", waiting.user_id: "sent"}
    assert len(outbox.to(stuck.user.email)) == 1
    assert outbox.to(recent.user.email) == []  # may still be on its way: not sent twice
    call_command("followthrough", "retry", stdout=__import__("io").StringIO())
    run_tasks()
    assert len(outbox.to(stuck.user.email)) == 1


def test_the_stop_link_stops_these_emails_for_that_project_and_can_be_undone(world, outbox, run_tasks):
    made = linked_commitment(world)
    clear(outbox)
    run_tasks()
    stop_url = next(
        line.strip()
        for line in outbox.text(outbox.to("participant@example.org")[0]).splitlines()
        if "/followthrough/stop/" in line
    ).split(" ")[-1]
    path = stop_url.split("testserver")[-1] if "testserver" in stop_url else "/" + stop_url.split("/", 3)[3]
    anonymous = world.client("anonymous")
    assert "Stop these emails" in anonymous.get(path).content.decode()
    # One-click unsubscribe (RFC 8058): mail programs POST without a cookie or CSRF token.
    assert anonymous.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert NoticeOptOut.objects.filter(user=world.participant, project=world.project).exists()
    services.commitment_update_post(commitment=made, author=world.facilitator, text="After stopping")
    run_tasks()
    assert len(outbox.to("participant@example.org")) == 1  # only the one before stopping
    assert anonymous.get("/followthrough/stop/not-a-real-token/").status_code == 404
    anonymous.post(path, {"restart": "1"})
    assert not NoticeOptOut.objects.exists()


def test_queueing_an_update_is_the_same_few_queries_for_ten_or_five_hundred_contributors(world):
    def queries_for(n: int, prefix: str) -> int:
        project = factories.ProjectFactory()
        factories.MembershipFactory(project=project, user=world.facilitator, role="facilitator")
        survey, question = ft.consultation(project, created_by=world.facilitator)
        people = factories.UserFactory.create_batch(n, password="x")
        from copro.consultations.models import Response

        Response.objects.bulk_create(
            [
                Response(
                    consultation=survey, respondent=p, status="submitted", hear_back=True, submitted_at=timezone.now()
                )
                for p in people
            ]
        )
        made = ft.commitment(project, created_by=world.facilitator, source=survey)
        with CaptureQueriesContext(connection) as captured:
            update = services.commitment_update_post(commitment=made, author=world.facilitator, text="News")
        assert update.recipients == n
        assert CommitmentNotice.objects.filter(update=update).count() == n
        return len(captured)

    small, large = queries_for(10, "s"), queries_for(500, "l")
    # SQLite takes at most 999 values in one INSERT, so 500 notices are 2 inserts of 250: a few more
    # statements, never one per person.
    assert large <= small + 3, (small, large)


# --- Contributors ---------------------------------------------------------------------------------


def test_decision_contributors_are_the_proposer_the_voters_and_the_responders_not_the_poll_setter(world):
    proposal = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    who = registry.contributors("decisions.decision")
    assert who is not None
    assert set(who([proposal.pk])) == {world.participant.pk, world.expert.pk}
    voter = members(world.project, 1, prefix="voter")[0]
    poll = ft.closed_poll(world.project, voters=[voter, world.expert], closer=world.facilitator)
    # A secret ballot: who voted is known (to tell them what became of it), how they voted is not.
    assert set(who([poll.pk])) == {voter.pk, world.expert.pk}
    assert set(who([proposal.pk, poll.pk])) == {world.participant.pk, world.expert.pk, voter.pk}


def test_consultation_contributors_are_only_respondents_with_an_account_who_asked_to_hear_back(world):
    survey, question = ft.consultation(world.project, created_by=world.facilitator)
    ft.respond(survey, question, respondent=world.expert, hear_back=True)
    ft.respond(survey, question, respondent=world.observer, hear_back=False)
    ft.respond(survey, question, anonymous="abc", hear_back=True)
    ft.respond(survey, question, entered_by=world.facilitator, channel="paper", hear_back=True)
    who = registry.contributors("consultations.consultation")
    assert who is not None
    assert set(who([survey.pk])) == {world.expert.pk}


def test_contributors_are_found_upstream_an_idea_taken_to_the_decision_is_told_too(world):
    pytest.importorskip("copro.ideas.services")
    from copro.ideas import services as ideas

    ideas.space_update(user=world.facilitator, project=world.project, is_open=True, participation="members")
    idea = ideas.idea_submit(
        project=world.project, author=world.participant, title="Lights", problem="Dark path", proposal="Lights"
    )
    ideas.idea_support(user=world.observer, idea=idea)
    decision = ft.closed_proposal(world.project, proposer=world.expert, responders=[], closer=world.facilitator)
    ideas.idea_link_decision(user=world.facilitator, idea=idea, decision=decision)
    made = ft.commitment(world.project, created_by=world.facilitator, source=decision)
    from copro.followthrough import notify

    assert notify.contributors_of(made) >= {world.participant.pk, world.observer.pk, world.expert.pk}


# --- Overdue ---------------------------------------------------------------------------------------


def test_an_overdue_commitment_is_flagged_on_the_page_and_told_once_to_its_owner_and_facilitators(
    world, outbox, run_tasks
):
    made = ft.commitment(world.project, created_by=world.facilitator, owner=world.expert, title="Fix the gate")
    Commitment.objects.filter(pk=made.pk).update(due_on=ft.past(2))
    done = ft.commitment(world.project, created_by=world.facilitator, title="Already done")
    Commitment.objects.filter(pk=done.pk).update(due_on=ft.past(2), status="done", done_at=timezone.now())

    call_command("followthrough", "overdue")
    call_command("followthrough", "overdue")  # the next day's run: not told again
    run_tasks()
    assert len(outbox.to("expert@example.org")) == 1
    assert len(outbox.to("facilitator@example.org")) == 1
    assert "Overdue: Fix the gate" in outbox.to("expert@example.org")[0]["Subject"]
    assert outbox.to("participant@example.org") == []
    assert ActivityEntry.objects.filter(verb="followthrough.overdue").count() == 1

    page = world.client("anonymous").get(yswd(world.project.slug)).content.decode()
    assert page.count("ft-item--overdue") == 1
    assert "Overdue" in page

    # A new date lets it be flagged again if that one slips too.
    with pytest.raises(ValidationError) as refused:  # moving the date is news: it needs a reason
        services.commitment_edit(
            commitment=Commitment.objects.get(pk=made.pk),
            user=world.facilitator,
            title="Fix the gate",
            owner=world.expert,
            due_on=timezone.localdate() + timedelta(days=5),
        )
    assert "say why" in refused.value.message_dict["message"][0]
    services.commitment_edit(
        commitment=Commitment.objects.get(pk=made.pk),
        user=world.facilitator,
        title="Fix the gate",
        owner=world.expert,
        due_on=timezone.localdate() + timedelta(days=5),
        message="The new gate is made to order: it takes three more days.",
    )
    assert Commitment.objects.get(pk=made.pk).overdue_flagged_at is None
    assert CommitmentUpdate.objects.filter(commitment=made, text__startswith="The new gate").exists()


def test_a_new_due_date_cannot_be_in_the_past_but_the_old_one_may_stay(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    Commitment.objects.filter(pk=made.pk).update(due_on=ft.past(10))
    made.refresh_from_db()
    services.commitment_edit(
        commitment=made, user=world.facilitator, title="New words", owner=world.facilitator, due_on=made.due_on
    )
    with pytest.raises(ValidationError) as refused:
        services.commitment_edit(
            commitment=made,
            user=world.facilitator,
            title="New words",
            owner=world.facilitator,
            due_on=ft.past(1),
            message="Moved",
        )
    assert "in the past" in refused.value.message_dict["due_on"][0]


# --- Who sees and does what -------------------------------------------------------------------------


def test_members_only_and_facilitators_only_commitments_are_hidden_from_those_who_may_not_see_them(world):
    public = ft.commitment(world.project, created_by=world.facilitator, title="Public promise")
    members_only = ft.commitment(
        world.project, created_by=world.facilitator, title="Members promise", visibility="members"
    )
    staff_only = ft.commitment(world.project, created_by=world.facilitator, title="Staff promise", visibility="staff")
    slug = world.project.slug
    seen = {
        persona: world.client(persona).get(yswd(slug)).content.decode()
        for persona in ("anonymous", "outsider", "participant", "facilitator")
    }
    assert "Public promise" in seen["anonymous"] and "Members promise" not in seen["anonymous"]
    assert "Members promise" not in seen["outsider"]
    assert "Members promise" in seen["participant"] and "Staff promise" not in seen["participant"]
    assert "Staff promise" in seen["facilitator"]
    assert world.client("anonymous").get(yswd(slug) + f"{members_only.pk}/").status_code == 404
    assert world.client("participant").get(yswd(slug) + f"{staff_only.pk}/").status_code == 404
    assert world.client("participant").get(yswd(slug) + f"{public.pk}/").status_code == 200
    assert world.client("participant").get(yswd(slug) + "99999999999999999999999/").status_code == 404
    assert client_for(world.outsider).get(yswd(world.private_project.slug)).status_code == 404


def test_an_owner_posts_updates_and_ticks_milestones_on_their_own_commitment_only(world):
    mine = ft.commitment(world.project, created_by=world.facilitator, owner=world.participant)
    theirs = ft.commitment(world.project, created_by=world.facilitator, owner=world.expert)
    client = world.client("participant")
    slug = world.project.slug
    assert (
        client.post(yswd(slug) + f"{mine.pk}/update/", {"text": "Started", "status": "in_progress"}).status_code == 302
    )
    assert client.post(yswd(slug) + f"{theirs.pk}/update/", {"text": "Hi"}).status_code == 403
    assert world.client("anonymous").post(yswd(slug) + f"{mine.pk}/update/", {"text": "Hi"}).status_code == 403
    assert world.client("observer").post(yswd(slug) + f"{mine.pk}/update/", {"text": "Hi"}).status_code == 403
    # Changing the promise itself stays with facilitators.
    assert client.get(yswd(slug) + f"{mine.pk}/edit/").status_code == 403
    mine.refresh_from_db()
    assert mine.status == "in_progress"


def test_milestones_are_added_ticked_and_reordered_and_progress_is_done_over_all(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    base = yswd(world.project.slug) + f"{made.pk}/milestones/"
    for title in ("Survey", "Design", "Build"):
        assert client.post(base, {"title": title}).status_code == 302
    steps = list(Milestone.objects.filter(commitment=made))
    assert [m.title for m in steps] == ["Survey", "Design", "Build"]
    client.post(base + f"{steps[2].pk}/move/", {"direction": "up"})
    assert [m.title for m in Milestone.objects.filter(commitment=made)] == ["Survey", "Build", "Design"]
    client.post(base + f"{steps[0].pk}/tick/", {"done": "1"})
    page = client.get(yswd(world.project.slug) + f"{made.pk}/").content.decode()
    assert "1 of 3 steps done (33%)" in page
    listed = client.get(yswd(world.project.slug)).content.decode()
    assert "1 of 3 steps done (33%)" in listed
    assert client.post(base, {"title": "  "}).status_code == 400
    assert client.post(base + "999999/tick/", {"done": "1"}).status_code == 404
    client.post(base + f"{steps[1].pk}/remove/")
    assert Milestone.objects.filter(commitment=made).count() == 2


def test_a_milestone_is_renamed_or_given_a_new_date_with_the_same_checks_as_adding_one(world):
    made = ft.commitment(world.project, created_by=world.facilitator, owner=world.participant)
    step = services.milestone_add(commitment=made, user=world.facilitator, title="Survey the path")
    services.milestone_tick(milestone=step, user=world.facilitator, done=True)
    edit = yswd(world.project.slug) + f"{made.pk}/milestones/{step.pk}/edit/"
    owner = world.client("participant")
    form = owner.get(edit)
    assert form.status_code == 200 and 'value="Survey the path"' in form.content.decode()
    detail = owner.get(yswd(world.project.slug) + f"{made.pk}/").content.decode()
    assert edit in detail  # the "Change" link, for the people who keep the milestones
    # Bad input: the form again with what was typed and the reason; nothing saved.
    late = (made.due_on + timedelta(days=1)).isoformat()
    refused = owner.post(edit, {"title": "Survey " + factories.XSS, "due_on": late})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "A milestone is due before the commitment itself." in page and factories.XSS not in page
    assert owner.post(edit, {"title": " \u200b "}).status_code == 400
    assert owner.post(edit, {}).status_code == 400  # an empty form is checked, not shown again as if new
    step.refresh_from_db()
    assert (step.title, step.due_on) == ("Survey the path", None)
    due = (made.due_on - timedelta(days=7)).isoformat()
    assert owner.post(edit, {"title": "Survey both paths", "due_on": due}).status_code == 302
    step.refresh_from_db()
    assert (step.title, step.due_on.isoformat(), step.done_at is not None) == ("Survey both paths", due, True)
    # Only the people who keep the milestones; a step of another commitment is not found.
    assert world.client("expert").post(edit, {"title": "Mine"}).status_code == 403
    assert world.client("expert").get(edit).status_code == 403
    other = ft.commitment(world.project, created_by=world.facilitator)
    wrong = yswd(world.project.slug) + f"{other.pk}/milestones/{step.pk}/edit/"
    assert world.client("facilitator").get(wrong).status_code == 404
    step.refresh_from_db()
    assert step.title == "Survey both paths"


# --- The "You said, we did" page -------------------------------------------------------------------


def test_the_page_shows_what_people_said_that_led_to_each_commitment(world):
    made = linked_commitment(world)
    services.commitment_update_post(
        commitment=made,
        author=world.facilitator,
        text="",
        status="dropped",
        reason="The council refused " + factories.XSS,
    )
    page = world.client("anonymous").get(yswd(world.project.slug)).content.decode()
    assert "Light the path" in page
    assert "Light the park path" in page  # the decision's title
    assert "Agreed: lights on the park path" in page  # its outcome
    assert "Travel to school" in page and "4 responses" in page  # the consultation and how many answered
    assert "The council refused &lt;script&gt;" in page  # why it was dropped
    assert "<script>alert(1)</script>" not in page
    filtered = world.client("anonymous").get(yswd(world.project.slug) + "?status=done").content.decode()
    assert "Light the path" not in filtered
    assert world.client("anonymous").get(yswd(world.project.slug) + "?status=nonsense&page=abc").status_code == 200


@pytest.mark.parametrize("n", [5, 60])
def test_the_page_takes_the_same_number_of_queries_for_a_few_or_many_commitments(
    world, n, django_assert_max_num_queries
):
    decision = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    survey, question = ft.consultation(world.project, created_by=world.facilitator)
    ft.respond(survey, question, respondent=world.expert, hear_back=True)
    sources = [decision, survey]
    try:
        from copro.ideas import services as ideas

        ideas.space_update(user=world.facilitator, project=world.project, is_open=True, participation="members")
        sources.append(
            ideas.idea_submit(project=world.project, author=world.participant, title="Idea", problem="P", proposal="Q")
        )
    except ImportError:
        pass
    ft.bulk_commitments(world.project, n, owner=world.facilitator, sources=sources)
    ft.feedback(world.project, consent_to_share=True, public_excerpt="Good", shared_at=timezone.now())
    client = world.client("participant")
    ContentType.objects.clear_cache()
    # The session and role (5), the counts and the page (3), links and content types (3), one query per kind
    # of source (decision, consultation, idea + its authors), the latest updates, shared feedback, and the
    # person's own news: the same at 5 or 60 commitments, and for any page.
    with django_assert_max_num_queries(22):
        response = client.get(yswd(world.project.slug))
    assert response.status_code == 200
    assert "Promise 0" in response.content.decode()
    with django_assert_max_num_queries(22):
        assert client.get(yswd(world.project.slug) + "?page=2&status=planned").status_code == 200


# --- The promise-kept numbers ------------------------------------------------------------------------


def test_personal_data_lists_commitments_owned_and_erasing_keeps_commitments(world):
    made = ft.commitment(world.project, created_by=world.facilitator, owner=world.participant)
    component = registry.get("followthrough")
    assert component.personal_data is not None and component.erase_personal_data is not None
    data = component.personal_data(world.participant)
    assert [c["title"] for c in data["commitments_owned"]] == [made.title]
    component.erase_personal_data(world.participant)
    assert Commitment.objects.filter(pk=made.pk).exists()


def test_the_demo_adds_commitments_from_the_decision_one_overdue_and_feedback_one_quoted(world):
    from copro.followthrough.demo import add_demo
    from copro.followthrough.models import FeedbackMoment

    amira = members(world.project, 1, prefix="amira")[0]
    ft.closed_proposal(world.project, proposer=world.participant, responders=[], closer=world.facilitator)
    add_demo(world.project, world.facilitator, [world.participant, amira, world.expert])
    made = Commitment.objects.filter(project=world.project)
    assert made.count() >= 4  # and one each from an idea, the consultation and a meeting action, where they exist
    assert ResourceLink.objects.filter(kind="commits_decision").count() == 2
    assert sum(1 for c in made if c.is_overdue()) == 1
    assert made.filter(status="changed").exclude(status_reason="").count() == 1
    assert FeedbackMoment.objects.filter(project=world.project, shared_at__isnull=False).count() == 1
    page = world.client("anonymous").get(yswd(world.project.slug)).content.decode()
    assert "my idea about the crossing is on the list now." in page


def test_the_cardiff_seed_links_every_commitment_to_what_led_to_it_and_the_poll_reaches_every_voter(world):
    from copro.decisions.models import Participation
    from copro.followthrough import notify
    from copro.projects.models import Project

    call_command("seed", "--scale", "cardiff", "--fraction", "0.02", stdout=__import__("io").StringIO())
    project = Project.objects.get(slug="cardiff-active-travel")
    commitments = Commitment.objects.filter(project=project)
    assert commitments.count() == 10
    linked = set(
        ResourceLink.objects.filter(project=project, kind__startswith="commits_").values_list("target_id", flat=True)
    )
    assert linked == set(commitments.values_list("pk", flat=True))
    # Changed and dropped ones say why; done ones say when; every one has its history.
    assert not commitments.filter(status__in=["changed", "dropped"], status_reason="").exists()
    assert not commitments.filter(status="done", done_at__isnull=True).exists()
    assert all(c.updates.exists() for c in commitments)
    poll_link = ResourceLink.objects.filter(
        project=project, kind="commits_decision", source_id__in=Participation.objects.values("decision_id")
    ).first()
    if poll_link is not None:
        reached = notify.contributors_of(Commitment.objects.get(pk=poll_link.target_id))
        assert len(reached) >= Participation.objects.values("user_id").distinct().count() >= 100
    page = world.client("anonymous").get(yswd(project.slug))
    assert page.status_code == 200


FOLLOWTHROUGH_PAGES = {
    "followthrough.view": "you-said-we-did/",
    "followthrough.manage": "you-said-we-did/new/",
    "followthrough.feedback": "feedback/",
    "followthrough.enter": "feedback/enter/",
    "followthrough.triage": "feedback/received/",
}


@pytest.mark.parametrize("persona", ["facilitator", "participant", "expert", "observer", "outsider", "anonymous"])
def test_every_role_gets_exactly_what_the_permission_table_says_and_private_projects_are_404(world, persona):
    from copro.core.permissions import TABLE, Role

    role = {
        "facilitator": Role.FACILITATOR,
        "participant": Role.PARTICIPANT,
        "expert": Role.EXPERT,
        "observer": Role.OBSERVER,
        "outsider": Role.OUTSIDER,
        "anonymous": Role.PUBLIC,
    }[persona]
    declared = {a.name for a in TABLE.actions() if a.name.startswith("followthrough.")}
    assert declared == set(FOLLOWTHROUGH_PAGES)
    client = world.client(persona)
    for action, path in FOLLOWTHROUGH_PAGES.items():
        expected = 200 if TABLE.allowed(role, action) else 403
        assert client.get(f"/p/{world.project.slug}/{path}").status_code == expected, (action, persona)
        on_private = client.get(f"/p/{world.private_project.slug}/{path}").status_code
        if persona in ("outsider", "anonymous"):
            assert on_private == 404, (action, persona)
        else:
            assert on_private == expected, (action, persona)
    assert not TABLE.allowed(role, "followthrough.undeclared")


def test_a_facilitator_changes_the_date_on_the_page_and_must_say_why(world):
    made = ft.commitment(world.project, created_by=world.facilitator, title="Old words")
    client = world.client("facilitator")
    url = yswd(world.project.slug) + f"{made.pk}/edit/"
    assert "Old words" in client.get(url).content.decode()
    later = (made.due_on + timedelta(days=10)).isoformat()
    form = {"title": "New words", "owner": world.facilitator.pk, "due_on": later, "visibility": "public"}
    refused = client.post(url, form)
    assert refused.status_code == 400 and "You moved the date" in refused.content.decode()
    assert client.post(url, {**form, "message": "The contractor is booked later."}).status_code == 302
    made.refresh_from_db()
    assert (made.title, made.due_on.isoformat()) == ("New words", later)
    assert made.updates.filter(text="The contractor is booked later.").exists()


# --- What may be seen of where a commitment came from ------------------------------------------------


def new_form(world, **fields):
    return {
        "title": "Keep the library open",
        "owner": world.facilitator.pk,
        "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "visibility": "public",
        **fields,
    }


def test_an_action_from_a_meeting_still_being_prepared_is_refused_as_a_source_and_never_named_in_public(world):
    from copro.core.links import link_create
    from copro.meetings.models import Meeting, MeetingAction
    from tests import factories_meetings as fm

    meeting = fm.meeting(world.project, created_by=world.facilitator, status="draft", title="Secret workshop")
    action = MeetingAction.objects.create(
        project=world.project, meeting=meeting, text="Close the library on Sundays", created_by=world.facilitator
    )
    value = f"meetings.meetingaction:{action.pk}"
    with pytest.raises(ValidationError) as refused:
        ft.commitment(world.project, created_by=world.facilitator, source=action)
    assert "still being prepared" in refused.value.message_dict["source"][0]
    client = world.client("facilitator")
    response = client.post(yswd(world.project.slug) + "new/", new_form(world, source=value))
    assert response.status_code == 400 and "still being prepared" in response.content.decode()
    assert not Commitment.objects.exists()
    offered = [v for _group, items in selectors.source_choices(world.project, "facilitator") for v, _t in items]
    assert value not in offered

    # A link made before this rule (or by another route): the draft's words stay with facilitators.
    made = ft.commitment(world.project, created_by=world.facilitator, title="Keep the library open")
    link_create(kind="commits_action", source=action, target=made, user=world.facilitator)
    slug = world.project.slug
    for persona in ("anonymous", "participant", "observer"):
        for url in (yswd(slug), yswd(slug) + f"{made.pk}/"):
            body = world.client(persona).get(url).content.decode()
            assert "Keep the library open" in body, (persona, url)
            assert "Close the library" not in body and "Secret workshop" not in body, (persona, url)
            assert "A meeting action" in body and f"/meetings/{meeting.pk}" not in body, (persona, url)
        listed = world.client(persona).get(f"/api/projects/{slug}/commitments/").json()["results"][0]
        detail = world.client(persona).get(f"/api/projects/{slug}/commitments/{made.pk}/").json()
        for source in (listed["sources"][0], detail["sources"][0]):
            assert source["hidden"] is True and source["title"] == "A meeting action", persona
            assert source["url"] == "" and source["detail"] == "", persona
    assert "Close the library on Sundays" in client.get(yswd(slug)).content.decode()

    Meeting.objects.filter(pk=meeting.pk).update(status="published")
    # Published, but its minutes are not: an action names people, so it waits for the minutes, as on the
    # meeting's own page.
    assert "Close the library on Sundays" not in world.client("anonymous").get(yswd(slug)).content.decode()
    assert "Close the library on Sundays" in client.get(yswd(slug)).content.decode()
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=timezone.now())
    assert "Close the library on Sundays" in world.client("anonymous").get(yswd(slug)).content.decode()
    assert value in [v for _g, items in selectors.source_choices(world.project, "facilitator") for v, _t in items]


def test_a_draft_decision_or_consultation_linked_to_a_commitment_is_named_only_by_its_kind_in_public(world):
    from copro.consultations.models import Consultation
    from copro.core.links import link_create

    draft = factories.decision(
        world.project, kind="proposal", status="draft", process="consent", created_by=world.facilitator
    )
    type(draft).objects.filter(pk=draft.pk).update(title="Sell the park")
    survey, _question = ft.consultation(world.project, created_by=world.facilitator)
    made = ft.commitment(world.project, created_by=world.facilitator, title="A promise")
    link_create(kind="commits_decision", source=draft, target=made, user=world.facilitator)
    link_create(kind="commits_consultation", source=survey, target=made, user=world.facilitator)
    Consultation.objects.filter(pk=survey.pk).update(status="draft", title="Unannounced survey")
    anonymous = world.client("anonymous").get(yswd(world.project.slug)).content.decode()
    assert "Sell the park" not in anonymous and "A decision not yet published" in anonymous
    assert "Unannounced survey" not in anonymous and "A consultation being prepared" in anonymous
    facilitator = world.client("facilitator").get(yswd(world.project.slug)).content.decode()
    assert "Sell the park" in facilitator and "Unannounced survey" in facilitator


def test_an_idea_hidden_by_a_facilitator_is_refused_as_a_source_and_named_only_to_facilitators(world):
    from copro.core.links import link_create
    from copro.ideas import services as ideas
    from copro.ideas.models import Idea

    ideas.space_update(user=world.facilitator, project=world.project, is_open=True, participation="members")
    idea = ideas.idea_submit(
        project=world.project, author=world.participant, title="Rude idea", problem="P", proposal="Q"
    )
    made = ft.commitment(world.project, created_by=world.facilitator, source=idea, title="A promise")
    Idea.objects.filter(pk=idea.pk).update(hidden_at=timezone.now())  # as moderation does
    idea.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        ft.commitment(world.project, created_by=world.facilitator, source=idea)
    assert "hidden" in refused.value.message_dict["source"][0]
    offered = [v for _g, items in selectors.source_choices(world.project, "facilitator") for v, _t in items]
    assert f"ideas.idea:{idea.pk}" not in offered
    link_create(kind="commits_idea", source=idea, target=made, user=world.facilitator)  # already linked: kept
    anonymous = world.client("anonymous").get(yswd(world.project.slug)).content.decode()
    assert "Rude idea" not in anonymous and "An idea hidden by a facilitator" in anonymous
    assert "Put forward by" not in anonymous  # nor who put it forward
    assert "Rude idea" in world.client("facilitator").get(yswd(world.project.slug)).content.decode()


# --- Double submissions --------------------------------------------------------------------------------


def test_the_change_form_sent_twice_posts_the_message_once_and_emails_each_contributor_once(world, outbox, run_tasks):
    made = linked_commitment(world)
    run_tasks()
    clear(outbox)
    client = world.client("facilitator")
    url = yswd(world.project.slug) + f"{made.pk}/edit/"
    [token] = re.findall(r'name="form_token" value="([^"]+)"', client.get(url).content.decode())
    form = {
        "title": "Light the path",
        "owner": world.facilitator.pk,
        "due_on": (made.due_on + timedelta(days=14)).isoformat(),
        "visibility": "public",
        "message": "The lamps come two weeks later.",
        "form_token": token,
    }
    assert client.post(url, form).status_code == 302
    again = client.post(url, form, follow=True)
    assert again.status_code == 200 and "already been sent" in again.content.decode()
    assert made.updates.filter(text="The lamps come two weeks later.").count() == 1
    run_tasks()
    told = Counter(str(m["To"]) for m in outbox.refresh() if "The lamps come two weeks later." in outbox.text(m))
    assert told == {"participant@example.org": 1, "expert@example.org": 1, "observer@example.org": 1}


def test_the_milestone_form_sent_twice_adds_the_step_once(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    client = world.client("facilitator")
    page = client.get(yswd(world.project.slug) + f"{made.pk}/").content.decode()
    form_html = page.split(f'action="/p/{world.project.slug}/you-said-we-did/{made.pk}/milestones/"')[1]
    token = re.search(r'name="form_token" value="([^"]+)"', form_html.split("</form>")[0]).group(1)
    url = yswd(world.project.slug) + f"{made.pk}/milestones/"
    assert client.post(url, {"title": "Order the lamps", "form_token": token}).status_code == 302
    assert client.post(url, {"title": "Order the lamps", "form_token": token}).status_code == 302
    assert Milestone.objects.filter(commitment=made).count() == 1


# --- Emails in the recipient's language ------------------------------------------------------------------


@pytest.fixture
def welsh_status_label():
    """The Welsh for "In progress", as the lead will add it to copro/locale (it is not translated yet), so
    the test can tell the recipient's language from the server's. Taken out again afterwards."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("cy")._catalog._catalogs[0]
    before = catalog.get("In progress")
    catalog["In progress"] = "Ar y gweill"
    yield "Ar y gweill"
    if before is None:
        del catalog["In progress"]
    else:
        catalog["In progress"] = before


def test_update_emails_give_the_status_in_the_recipients_language_not_the_servers(
    world, outbox, run_tasks, welsh_status_label
):
    from django.utils import translation

    from copro.followthrough.models import CommitmentStatus

    world.expert.preferred_language = "cy"
    world.expert.save()
    world.observer.preferred_language = "cy"
    world.observer.email_frequency = "weekly"
    world.observer.save()
    made = linked_commitment(world)
    run_tasks()
    clear(outbox)
    services.commitment_update_post(commitment=made, author=world.facilitator, text="", status="in_progress")
    run_tasks()
    call_command("followthrough", "digest", "--now", stdout=__import__("io").StringIO())

    with translation.override("cy"):
        welsh_label = str(CommitmentStatus.IN_PROGRESS.label)
    assert welsh_label == welsh_status_label
    [to_expert] = outbox.to("expert@example.org")
    [summary] = outbox.to("observer@example.org")
    for message in (to_expert, summary):
        text = outbox.text(message)
        assert welsh_label in text and "In progress" not in text
        # A fixed phrase of the email, already in the Welsh catalogue.
        assert "Atal yr e-byst hyn (un clic):" in text and "Stop these emails (one click):" not in text
    assert welsh_label in to_expert["Subject"] and "In progress" not in to_expert["Subject"]
    [to_participant] = outbox.to("participant@example.org")
    assert "In progress" in to_participant["Subject"] and welsh_label not in outbox.text(to_participant)


# --- Widening who can see a commitment ---------------------------------------------------------------


def test_widening_who_can_see_a_commitment_tells_the_contributors_who_could_not_see_it_before(world, outbox, run_tasks):
    decision = ft.closed_proposal(
        world.project, proposer=world.participant, responders=[world.expert], closer=world.facilitator
    )
    survey, question = ft.consultation(world.project, created_by=world.facilitator)
    ft.respond(survey, question, respondent=world.observer, hear_back=True)
    ft.respond(survey, question, respondent=world.outsider, hear_back=True)  # not a member of the project
    made = ft.commitment(
        world.project, created_by=world.facilitator, source=decision, visibility="staff", title="Quiet promise"
    )
    services.commitment_link_add(commitment=made, source=survey, user=world.facilitator)
    promise = CommitmentUpdate.objects.get(commitment=made)
    assert promise.recipients == 0  # facilitators only: nobody else may hear of it yet
    run_tasks()
    clear(outbox)

    client = world.client("facilitator")
    url = yswd(world.project.slug) + f"{made.pk}/edit/"
    form = {"title": "Quiet promise", "owner": world.facilitator.pk, "due_on": made.due_on.isoformat()}

    def promised_to():
        return Counter(str(m["To"]) for m in outbox.refresh() if "led to a promise" in str(m["Subject"]))

    assert client.post(url, {**form, "visibility": "members"}).status_code == 302
    run_tasks()
    members_told = {"participant@example.org": 1, "expert@example.org": 1, "observer@example.org": 1}
    assert promised_to() == members_told

    assert client.post(url, {**form, "visibility": "public"}).status_code == 302
    run_tasks()
    assert promised_to() == {**members_told, "outsider@example.org": 1}  # only the one who could not see it
    promise.refresh_from_db()
    assert promise.recipients == 4
    assert CommitmentUpdate.objects.filter(commitment=made).count() == 1  # no new history entry

    assert client.post(url, {**form, "visibility": "public"}).status_code == 302  # nothing widened: nobody told
    run_tasks()
    assert sum(promised_to().values()) == 4


def test_news_about_what_you_took_part_in_leaves_out_commitments_you_can_no_longer_see(world, run_tasks):
    made = linked_commitment(world)
    run_tasks()
    page = world.client("participant").get(yswd(world.project.slug)).content.decode()
    assert "News about what you took part in" in page and "Light the path" in page
    services.commitment_edit(
        commitment=made,
        user=world.facilitator,
        title="Light the path",
        owner=world.facilitator,
        due_on=made.due_on,
        visibility="staff",
    )
    page = world.client("participant").get(yswd(world.project.slug)).content.decode()
    assert "News about what you took part in" not in page and "Light the path" not in page
    assert "Light the path" in world.client("facilitator").get(yswd(world.project.slug)).content.decode()


# --- Invisible characters ------------------------------------------------------------------------------

INVISIBLE = "\u200b \u2060\u200d\ufeff\u00a0"  # zero-width space, word joiner, zero-width joiner, BOM, nbsp


def test_a_reason_title_or_update_of_only_invisible_characters_counts_as_empty(world):
    made = ft.commitment(world.project, created_by=world.facilitator)
    with pytest.raises(ValidationError) as refused:
        services.commitment_update_post(
            commitment=made, author=world.facilitator, text="", status="dropped", reason=INVISIBLE
        )
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.commitment_update_post(commitment=made, author=world.facilitator, text="\u200b")
    with pytest.raises(ValidationError):
        ft.commitment(world.project, created_by=world.facilitator, title="\u200b\u200b")
    client = world.client("facilitator")
    slug = world.project.slug
    dropped = client.post(yswd(slug) + f"{made.pk}/update/", {"text": "", "status": "dropped", "reason": INVISIBLE})
    assert dropped.status_code == 400 and "plain words" in dropped.content.decode()
    assert client.post(yswd(slug) + f"{made.pk}/update/", {"text": INVISIBLE}).status_code == 400
    assert client.post(yswd(slug) + "new/", new_form(world, title="\u200b")).status_code == 400
    assert client.post(yswd(slug) + f"{made.pk}/milestones/", {"title": "\u2060"}).status_code == 400
    made.refresh_from_db()
    assert made.status == "planned" and made.status_reason == ""
    assert not CommitmentUpdate.objects.filter(commitment=made).exclude(status_from="", text="").exists()
    assert Commitment.objects.count() == 1 and not Milestone.objects.exists()
    assert services.is_blank(INVISIBLE) and not services.is_blank("\u200bOK")


# --- The project dashboard -------------------------------------------------------------------------------


def test_the_dashboard_counts_no_facilitators_only_commitments_and_no_private_feedback(world):
    ft.commitment(world.project, created_by=world.facilitator, title="Public")
    ft.commitment(world.project, created_by=world.facilitator, title="Members", visibility="members")
    ft.commitment(world.project, created_by=world.facilitator, title="Staff", visibility="staff")
    ft.feedback(world.project, given_by=world.participant)
    component = registry.get("followthrough")
    assert component.dashboard is not None
    numbers = {str(c.label): c.value for c in component.dashboard(world.project, Role.PARTICIPANT)}
    assert numbers["Commitments being worked on"] == 2
    assert not any("Feedback" in label for label in numbers)
    page = world.client("participant").get(f"/p/{world.project.slug}/dashboard/").content.decode()
    assert "Feedback waiting" not in page


def test_facilitators_dashboard_counts_their_commitments_and_the_feedback_waiting(world):
    ft.commitment(world.project, created_by=world.facilitator, title="Public")
    ft.commitment(world.project, created_by=world.facilitator, title="Staff", visibility="staff")
    ft.feedback(world.project, given_by=world.participant)
    ft.feedback(world.project, given_by=world.participant)
    triaged = ft.feedback(world.project, given_by=world.participant)
    FeedbackMoment.objects.filter(pk=triaged.pk).update(triage="celebrate")
    component = registry.get("followthrough")
    assert component.dashboard is not None
    numbers = {str(c.label): c.value for c in component.dashboard(world.project, Role.FACILITATOR)}
    assert numbers["Commitments being worked on"] == 2
    assert numbers["Feedback waiting to be triaged"] == 2
    # The page and the API give each person the numbers for their role.
    page = world.client("facilitator").get(f"/p/{world.project.slug}/dashboard/").content.decode()
    assert "Feedback waiting to be triaged" in page
    rows = world.client("facilitator").get(f"/api/projects/{world.project.slug}/dashboard/").json()
    assert {"component": "followthrough", "measure": "Feedback waiting to be triaged", "value": 2} in rows
    rows = world.client("participant").get(f"/api/projects/{world.project.slug}/dashboard/").json()
    assert not any(r["measure"] == "Feedback waiting to be triaged" for r in rows)
    assert {"component": "followthrough", "measure": "Commitments being worked on", "value": 1} in rows


def test_ticked_people_that_cannot_be_ids_are_a_form_error_not_a_500(world):
    client = world.client("facilitator")
    for bad in (str(10**30), "²", "-1", "1e3"):
        response = client.post(
            yswd(world.project.slug) + "new/",
            {
                "title": "Put up lights",
                "owner": world.expert.pk,
                "co_owners": [world.participant.pk, bad],
                "due_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
                "visibility": "public",
            },
        )
        assert response.status_code == 400, bad
    assert not Commitment.objects.exists()

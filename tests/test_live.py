"""Live reporting: who may see and do what, posting (photos too), corrections and withdrawals, questions and
their moderation, likes, the polling endpoint, the record after the meeting, the API, exports and erasure."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from copro.core.components import registry
from copro.core.models import ActivityEntry
from copro.core.permissions import TABLE, Role
from copro.live import selectors, services
from copro.live.access import feed_of
from copro.live.models import Entry, EntryRevision, FeedStatus, Like, LiveFeed, Question, QuestionStatus, Reporter
from copro.meetings.models import MeetingStatus
from tests.conftest import client_for
from tests.factories import XSS, UserFactory
from tests.factories_live import entries, live_feed, meeting, questions

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(world):
    return live_feed(world.project, facilitator=world.facilitator)


def url(name, feed, *extra):
    return reverse(f"live:{name}", args=[feed.project.slug, feed.meeting_id, *extra])


def jpeg(size=(40, 20), *, gps=False) -> bytes:
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    if gps:
        exif[ExifTags.Base.Make] = "PhoneMaker"
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (51.0, 28.0, 54.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def oversize_file() -> SimpleUploadedFile:
    """A real JPEG padded past 5 MB (a raw camera file would be this big)."""
    return SimpleUploadedFile("big.jpg", jpeg() + b"\0" * (5 * 1024 * 1024 + 1), content_type="image/jpeg")


def appoint(feed, facilitator, member):
    return services.reporter_appoint(user=facilitator, feed=feed, member_id=member.pk)


# --- Who may see and do what -----------------------------------------------------------------------


def test_the_actions_are_declared_and_undeclared_ones_are_denied():
    assert TABLE.allowed(Role.PUBLIC, "live.view")
    assert not TABLE.allowed(Role.PUBLIC, "live.ask")
    assert TABLE.allowed(Role.OUTSIDER, "live.ask")
    assert not TABLE.allowed(Role.OBSERVER, "live.report")
    assert TABLE.allowed(Role.FACILITATOR, "live.manage")
    assert not TABLE.allowed(Role.PARTICIPANT, "live.manage")
    assert not TABLE.allowed(Role.FACILITATOR, "live.shout")


def test_outsiders_and_the_public_get_404_for_everything_on_a_private_projects_feed(world):
    private = live_feed(world.private_project, facilitator=world.facilitator)
    entry = services.entry_post(user=world.facilitator, feed=private, text="Private note")
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        for name, extra in (
            ("feed", []),
            ("entries", []),
            ("present", []),
            ("moderate", []),
            ("entry_edit", [entry.pk]),
            ("photo", [entry.pk]),
        ):
            assert client.get(url(name, private, *extra)).status_code == 404, (persona, name)
        assert client.post(url("post", private), {"text": "x"}).status_code == 404
        assert client.post(url("ask", private), {"text": "x", "kind": "question"}).status_code == 404
    assert world.client("observer").get(url("feed", private)).status_code == 200


def test_a_draft_meetings_feed_is_a_404_except_for_facilitators(world):
    draft = live_feed(world.project, facilitator=world.facilitator, started=False, status=MeetingStatus.DRAFT)
    assert world.client("participant").get(url("feed", draft)).status_code == 404
    assert world.client("facilitator").get(url("feed", draft)).status_code == 200


def test_only_facilitators_and_appointed_reporters_may_post(world, feed):
    data = {"kind": "note", "text": "From the back of the room"}
    for persona in ("participant", "expert", "observer", "outsider"):
        assert world.client(persona).post(url("post", feed), data).status_code == 403, persona
    assert world.client("anonymous").post(url("post", feed), data).status_code == 403
    with pytest.raises(PermissionDenied):
        services.entry_post(user=world.participant, feed=feed, text="Not appointed")

    appoint(feed, world.facilitator, world.participant)
    response = world.client("participant").post(url("post", feed), data)
    assert response.status_code == 302
    assert Entry.objects.get().author == world.participant


def test_an_appointment_is_for_one_meeting_only(world, feed):
    appoint(feed, world.facilitator, world.expert)
    other = live_feed(world.project, facilitator=world.facilitator)
    with pytest.raises(PermissionDenied):
        services.entry_post(user=world.expert, feed=other, text="Wrong meeting")
    assert world.client("expert").get(url("moderate", other)).status_code == 403


def test_appointing_reporters(world, feed):
    client = world.client("facilitator")
    response = client.post(url("reporters", feed), {"member": world.participant.pk})
    assert response.status_code == 302
    assert Reporter.objects.filter(feed=feed, user=world.participant).exists()
    # Twice is the same as once.
    appoint(feed, world.facilitator, world.participant)
    assert Reporter.objects.filter(feed=feed).count() == 1
    # Observers cannot be appointed; facilitators need not be; outsiders are not members.
    for person, message in (
        (world.observer, "Observers follow the project"),
        (world.facilitator, "Facilitators can always report"),
        (world.outsider, "Choose one of the project's members"),
    ):
        with pytest.raises(ValidationError, match=message):
            appoint(feed, world.facilitator, person)
    # Only facilitators appoint.
    assert world.client("participant").get(url("reporters", feed)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.reporter_appoint(user=world.participant, feed=feed, member_id=world.expert.pk)
    # Removing: the reporter can no longer post.
    response = client.post(url("reporters", feed), {"remove": str(world.participant.pk)})
    assert response.status_code == 302
    with pytest.raises(PermissionDenied):
        services.entry_post(user=world.participant, feed=feed, text="Removed")
    verbs = list(
        ActivityEntry.objects.filter(verb__startswith="live.reporter").order_by("id").values_list("verb", flat=True)
    )
    assert verbs == ["live.reporter_appointed", "live.reporter_removed"]


def test_removing_someone_who_is_not_a_reporter_says_nothing_changed(world, feed):
    appoint(feed, world.facilitator, world.participant)
    client = world.client("facilitator")
    for bad in ("abc", "0", "-3", "9" * 40, str(world.expert.pk), str(world.outsider.pk)):
        response = client.post(url("reporters", feed), {"remove": bad}, follow=True)
        assert response.status_code == 200, bad
        page = response.content.decode()
        assert "Nothing was changed" in page, bad
        assert "They are no longer a reporter" not in page, bad
    assert Reporter.objects.filter(feed=feed, user=world.participant).exists()
    assert not ActivityEntry.objects.filter(verb="live.reporter_removed").exists()
    # The real one works, and saying it again (a double click) says nothing changed.
    first = client.post(url("reporters", feed), {"remove": str(world.participant.pk)}, follow=True)
    assert "They are no longer a reporter" in first.content.decode()
    second = client.post(url("reporters", feed), {"remove": str(world.participant.pk)}, follow=True)
    assert "Nothing was changed" in second.content.decode()


def test_a_removed_member_loses_their_appointment_in_effect(world, feed):
    appoint(feed, world.facilitator, world.participant)
    world.project.memberships.filter(user=world.participant).delete()
    with pytest.raises(PermissionDenied):
        services.entry_post(user=world.participant, feed=feed, text="No longer a member")


# --- Starting and ending -------------------------------------------------------------------------------


def test_posting_waits_for_the_start_and_stops_at_the_end(world):
    feed = live_feed(world.project, facilitator=world.facilitator, started=False)
    with pytest.raises(ValidationError, match="has not started"):
        services.entry_post(user=world.facilitator, feed=feed, text="Too early")
    client = world.client("facilitator")
    assert client.post(url("start", feed)).status_code == 302
    feed.refresh_from_db()
    assert feed.status == FeedStatus.LIVE
    services.entry_post(user=world.facilitator, feed=feed, text="Now")
    assert client.post(url("end", feed)).status_code == 302
    feed.refresh_from_db()
    assert feed.status == FeedStatus.ENDED and feed.ended_by == world.facilitator
    with pytest.raises(ValidationError, match="has ended"):
        services.entry_post(user=world.facilitator, feed=feed, text="Too late")
    verbs = list(ActivityEntry.objects.filter(verb__startswith="live.").order_by("id").values_list("verb", flat=True))
    # One line for starting and one for ending: none for the entry.
    assert verbs == ["live.started", "live.ended"]
    # Started again (ended by mistake), within the grace period.
    assert client.post(url("start", feed)).status_code == 302
    feed.refresh_from_db()
    assert feed.status == FeedStatus.LIVE
    assert ActivityEntry.objects.filter(verb="live.restarted").count() == 1


def test_only_facilitators_start_and_end(world):
    feed = live_feed(world.project, facilitator=world.facilitator, started=False)
    appoint(feed, world.facilitator, world.participant)
    for persona in ("participant", "observer", "outsider"):
        assert world.client(persona).post(url("start", feed)).status_code == 403


def test_a_cancelled_or_draft_meeting_cannot_go_live(world):
    feed = live_feed(world.project, facilitator=world.facilitator, started=False, status=MeetingStatus.CANCELLED)
    with pytest.raises(ValidationError, match="Publish the meeting"):
        services.feed_start(user=world.facilitator, feed=feed)


def test_the_feed_closes_by_itself_some_hours_after_the_meeting_and_becomes_the_record(world, feed):
    services.entry_post(user=world.facilitator, feed=feed, text="Summary " + XSS)
    the_meeting = feed.meeting
    the_meeting.starts_at = timezone.now() - timedelta(hours=8)
    the_meeting.ends_at = timezone.now() - services.GRACE - timedelta(minutes=1)
    the_meeting.save()
    response = world.client("anonymous").get(url("feed", feed))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Record of the meeting" in html
    assert "Summary &lt;script&gt;" in html and XSS not in html
    assert 'action="' + url("ask", feed) not in html
    feed.refresh_from_db()
    assert feed.status == FeedStatus.ENDED and feed.ended_by is None
    # Once only, however many people look.
    world.client("participant").get(url("feed", feed))
    assert ActivityEntry.objects.filter(verb="live.closed").count() == 1
    with pytest.raises(ValidationError, match="cannot be reopened"):
        services.feed_start(user=world.facilitator, feed=feed)


def test_the_record_lists_entries_in_order_and_approved_questions_with_answers(world, feed):
    services.entry_post(user=world.facilitator, feed=feed, text="First thing")
    services.entry_post(user=world.facilitator, feed=feed, text="Second thing")
    question = services.question_ask(user=world.participant, feed=feed, text="Who pays?")
    hidden = services.question_ask(user=world.expert, feed=feed, text="Never shown")
    services.question_moderate(user=world.facilitator, question=question, approve=True)
    services.question_answer(user=world.facilitator, question=question, answer="The council's capital budget.")
    services.feed_end(user=world.facilitator, feed=feed)
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert html.index("First thing") < html.index("Second thing")
    assert "Who pays?" in html and "The council&#x27;s capital budget." in html
    assert hidden.text not in html
    # Facilitators can still answer for the record; reporters and viewers cannot change it.
    services.question_answer(user=world.facilitator, question=question, answer="The capital budget, from April.")
    appoint(feed, world.facilitator, world.participant)
    with pytest.raises(ValidationError, match="only facilitators"):
        services.question_answer(user=world.participant, question=question, answer="Changed")
    with pytest.raises(ValidationError, match="likes can no longer change"):
        services.question_like(user=world.expert, question=question)


# --- Posting -----------------------------------------------------------------------------------------


def test_a_note_is_plain_text_kept_as_typed_and_escaped_on_the_page(world, feed):
    client = world.client("facilitator")
    response = client.post(url("post", feed), {"kind": "decision", "text": f"  Agreed {XSS}\r\nline two\x07\x1b  "})
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.text == f"Agreed {XSS}\nline two"
    assert entry.kind == "decision"
    html = client.get(url("feed", feed)).content.decode()
    assert "Agreed &lt;script&gt;alert(1)&lt;/script&gt;" in html and XSS not in html.split("live-text")[0]


def test_bad_entries_say_what_is_wrong_and_save_nothing(world, feed):
    client = world.client("facilitator")
    for data, message in (
        ({"kind": "note", "text": ""}, "Write something, or add a photo."),
        ({"kind": "rumour", "text": "x"}, "Select a valid choice"),
        ({"kind": "note", "text": "x" * 5001}, "at most 5000 characters"),
    ):
        response = client.post(url("post", feed), data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    assert Entry.objects.count() == 0
    with pytest.raises(ValidationError):
        services.entry_post(user=world.facilitator, feed=feed, kind="rumour", text="x")


def test_a_photo_is_checked_and_saved_without_its_metadata(world, feed):
    client = world.client("facilitator")
    photo = SimpleUploadedFile("board.jpg", jpeg(gps=True), content_type="image/jpeg")
    response = client.post(
        url("post", feed),
        {"kind": "note", "text": "The ideas wall", "photo": photo, "photo_alt": "Sticky notes on a wall"},
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    with entry.photo.open("rb") as handle, Image.open(handle) as saved:
        assert not saved.getexif()
    response = world.client("anonymous").get(url("photo", feed, entry.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    data = selectors.entry_data(entry, feed.project.slug, feed.meeting_id)
    assert data["photo"] == url("photo", feed, entry.pk) and data["photo_alt"] == "Sticky notes on a wall"


def test_a_photo_needs_its_description(world, feed):
    response = world.client("facilitator").post(
        url("post", feed), {"kind": "note", "text": "", "photo": SimpleUploadedFile("a.jpg", jpeg())}
    )
    assert response.status_code == 400
    assert "Say what the photo shows" in response.content.decode()
    assert Entry.objects.count() == 0


def test_an_oversize_photo_gets_a_clear_message_saves_nothing_and_keeps_the_text(world, feed):
    client = world.client("facilitator")
    response = client.post(
        url("post", feed),
        {"kind": "action", "text": "Typed at length " + XSS, "photo": oversize_file(), "photo_alt": "A big photo"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The photo is too large: the limit is 5 MB." in html
    assert "Your text is still here" in html
    # What was typed is in the form again (escaped), and the kind chosen stays chosen.
    assert "Typed at length &lt;script&gt;" in html
    assert 'value="action" checked' in html or 'value="action"\n checked' in html or "checked" in html
    assert Entry.objects.count() == 0
    assert LiveFeed.objects.get(pk=feed.pk).seq == feed.seq  # no number was used either


def test_a_photo_over_40_megapixels_is_refused(world, feed):
    huge = Image.new("L", (8000, 5001))
    out = io.BytesIO()
    huge.save(out, "PNG")
    upload = SimpleUploadedFile("huge.png", out.getvalue(), content_type="image/png")
    with pytest.raises(ValidationError, match="40 megapixels"):
        services.entry_post(user=world.facilitator, feed=feed, text="x", photo=upload, photo_alt="Huge")
    assert Entry.objects.count() == 0


def test_a_double_click_posts_once(world, feed):
    client = world.client("facilitator")
    token = "6f1c3b5e-6a51-4f0e-9d43-2b0f9b3f4a10"
    first = client.post(url("post", feed), {"kind": "note", "text": "Once", "form_token": token})
    second = client.post(url("post", feed), {"kind": "note", "text": "Once", "form_token": token})
    assert first.status_code == second.status_code == 302
    assert Entry.objects.count() == 1


def test_sequence_numbers_only_go_up(world, feed):
    a = services.entry_post(user=world.facilitator, feed=feed, text="a")
    b = services.entry_post(user=world.facilitator, feed=feed, text="b")
    assert b.seq == a.seq + 1
    services.entry_correct(user=world.facilitator, entry=a, kind="note", text="a, corrected")
    a.refresh_from_db()
    assert a.seq == b.seq + 1


# --- Corrections and withdrawals ---------------------------------------------------------------------


def test_a_correction_keeps_the_history_and_shows_corrected(world, feed):
    appoint(feed, world.facilitator, world.participant)
    entry = services.entry_post(user=world.participant, feed=feed, text="Budget is £40,000")
    client = client_for(world.participant)
    response = client.post(url("entry_edit", feed, entry.pk), {"kind": "note", "text": "Budget is £400,000"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.text == "Budget is £400,000" and entry.edited_at is not None
    revision = EntryRevision.objects.get(entry=entry)
    assert revision.text == "Budget is £40,000" and revision.replaced_by == world.participant
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert "corrected" in html and "£400,000" in html and "£40,000" not in html
    history = client.get(url("entry_edit", feed, entry.pk)).content.decode()
    assert "Earlier versions" in history and "Budget is £40,000" in history


def test_only_the_author_or_a_facilitator_may_correct_or_withdraw(world, feed):
    appoint(feed, world.facilitator, world.participant)
    appoint(feed, world.facilitator, world.expert)
    entry = services.entry_post(user=world.participant, feed=feed, text="Mine")
    with pytest.raises(PermissionDenied):
        services.entry_correct(user=world.expert, entry=entry, kind="note", text="Not mine")
    with pytest.raises(PermissionDenied):
        services.entry_withdraw(user=world.expert, entry=entry)
    assert client_for(world.expert).post(url("entry_withdraw", feed, entry.pk), {}).status_code == 403
    assert world.client("outsider").get(url("entry_edit", feed, entry.pk)).status_code == 403
    services.entry_correct(user=world.facilitator, entry=entry, kind="decision", text="Facilitator's fix")


def test_a_withdrawn_entry_shows_withdrawn_not_nothing(world, feed):
    entry = services.entry_post(
        user=world.facilitator,
        feed=feed,
        text="Named a resident by mistake",
        photo=SimpleUploadedFile("a.jpg", jpeg()),
        photo_alt="A face",
    )
    response = world.client("facilitator").post(url("entry_withdraw", feed, entry.pk), {"reason": "Posted by mistake"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.is_withdrawn and entry.text == "Named a resident by mistake"  # kept, for the history
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert "Withdrawn." in html and "Posted by mistake" in html
    assert "Named a resident" not in html
    assert world.client("anonymous").get(url("photo", feed, entry.pk)).status_code == 404
    data = selectors.entry_data(entry, feed.project.slug, feed.meeting_id)
    assert data["withdrawn"] and data["text"] == "" and data["photo"] is None
    with pytest.raises(ValidationError, match="withdrawn"):
        services.entry_correct(user=world.facilitator, entry=entry, kind="note", text="again")


# --- Questions, moderation and likes -----------------------------------------------------------------


def test_a_question_waits_for_a_moderator_before_anyone_else_sees_it(world, feed):
    client = world.client("outsider")
    response = client.post(url("ask", feed), {"kind": "question", "text": "Is the bus route safe? " + XSS})
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.status == QuestionStatus.PENDING and question.show_name is False
    # Its author sees it waiting; others do not see it at all.
    assert "Is the bus route safe?" in client.get(url("feed", feed)).content.decode()
    assert "Is the bus route safe?" not in world.client("anonymous").get(url("feed", feed)).content.decode()
    public = world.client("anonymous").get(url("entries", feed), {"after": 0}).json()
    assert public["questions"] == []
    # A moderator sees it in the queue, and approves it.
    moderator = world.client("facilitator")
    assert "Is the bus route safe?" in moderator.get(url("moderate", feed)).content.decode()
    response = moderator.post(url("question_moderate", feed, question.pk), {"decision": "approve"})
    assert response.status_code == 302
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert "Is the bus route safe? &lt;script&gt;" in html
    # Taken down again: viewers are told to remove it, without its text.
    services.question_moderate(user=world.facilitator, question=question, approve=False)
    removed = world.client("anonymous").get(url("entries", feed), {"after": 0}).json()["questions"]
    assert removed == [{"id": question.pk, "seq": Question.objects.get().seq, "status": "removed"}]


def test_appointed_reporters_moderate_and_others_cannot(world, feed):
    question = services.question_ask(user=world.expert, feed=feed, text="Q")
    assert world.client("participant").get(url("moderate", feed)).status_code == 403
    assert (
        world.client("participant")
        .post(url("question_moderate", feed, question.pk), {"decision": "approve"})
        .status_code
        == 403
    )
    appoint(feed, world.facilitator, world.participant)
    response = world.client("participant").post(url("question_moderate", feed, question.pk), {"decision": "approve"})
    assert response.status_code == 302
    assert Question.objects.get().status == QuestionStatus.APPROVED
    assert (
        world.client("facilitator").post(url("question_moderate", feed, question.pk), {"decision": "x"}).status_code
        == 400
    )


def test_asking_needs_an_account_and_an_open_feed(world, feed):
    assert world.client("anonymous").post(url("ask", feed), {"kind": "question", "text": "Hi"}).status_code == 403
    response = world.client("participant").post(url("ask", feed), {"kind": "question", "text": ""})
    assert response.status_code == 400 and "Write your question or comment first." in response.content.decode()
    services.feed_questions_open(user=world.facilitator, feed=feed, open=False)
    with pytest.raises(ValidationError, match="paused"):
        services.question_ask(user=world.participant, feed=feed, text="Paused?")
    services.feed_questions_open(user=world.facilitator, feed=feed, open=True)
    services.feed_end(user=world.facilitator, feed=feed)
    with pytest.raises(ValidationError, match="has ended"):
        services.question_ask(user=world.participant, feed=feed, text="Late")


def test_questions_are_rate_limited(world, feed, settings):
    client = world.client("participant")
    for i in range(10):
        assert client.post(url("ask", feed), {"kind": "comment", "text": f"Comment {i}"}).status_code == 302
    assert client.post(url("ask", feed), {"kind": "comment", "text": "One too many"}).status_code == 429
    assert Question.objects.count() == 10


def test_likes_count_once_per_person_and_can_be_taken_back(world, feed):
    question = services.question_ask(user=world.participant, feed=feed, text="Like me")
    with pytest.raises(ValidationError, match="Only questions shown to everyone"):
        services.question_like(user=world.expert, question=question)
    services.question_moderate(user=world.facilitator, question=question, approve=True)
    client = world.client("expert")
    like_url = url("like", feed, question.pk)
    assert client.post(like_url, HTTP_ACCEPT="application/json").json() == {"liked": True, "like_count": 1}
    assert client.post(like_url, HTTP_ACCEPT="application/json").json() == {"liked": True, "like_count": 1}
    assert services.question_like(user=world.expert, question=question) is False
    assert Like.objects.filter(question=question).count() == 1
    assert client.post(like_url, {"undo": "1"}, HTTP_ACCEPT="application/json").json() == {
        "liked": False,
        "like_count": 0,
    }
    assert services.question_unlike(user=world.expert, question=question) is False
    # Without JavaScript: back to the feed, at the question.
    response = client.post(like_url)
    assert response.status_code == 302 and response["Location"].endswith(f"#question-{question.pk}")
    assert world.client("anonymous").post(like_url).status_code == 403


def test_questions_are_sorted_by_likes(world, feed):
    people = [UserFactory() for _ in range(3)]
    first = services.question_ask(user=world.participant, feed=feed, text="Fewer likes")
    second = services.question_ask(user=world.participant, feed=feed, text="More likes")
    for q in (first, second):
        services.question_moderate(user=world.facilitator, question=q, approve=True)
    for person in people:
        services.question_like(user=person, question=second)
    services.question_like(user=people[0], question=first)
    assert [q.pk for q in selectors.top_questions(feed)] == [second.pk, first.pk]
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert html.index("More likes") < html.index("Fewer likes")
    assert "3 likes" in html and "1 like<" in html


def test_a_questions_answer_shows_under_it(world, feed):
    question = services.question_ask(user=world.participant, feed=feed, text="When?", show_name=True)
    with pytest.raises(ValidationError, match="Approve the question"):
        services.question_answer(user=world.facilitator, question=question, answer="Soon")
    services.question_moderate(user=world.facilitator, question=question, approve=True)
    response = world.client("facilitator").post(url("question", feed, question.pk), {"answer": "In May " + XSS})
    assert response.status_code == 302
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert "In May &lt;script&gt;" in html
    assert world.participant.public_name.replace("<", "&lt;").replace(">", "&gt;") in html  # they chose to show it


# --- The polling endpoint ----------------------------------------------------------------------------


def test_polling_returns_everything_after_a_number_and_nothing_twice(world, feed):
    client = world.client("anonymous")
    start = client.get(url("entries", feed), {"after": 0}).json()
    a = services.entry_post(user=world.facilitator, feed=feed, text="a")
    b = services.entry_post(user=world.facilitator, feed=feed, text="b")
    data = client.get(url("entries", feed), {"after": start["seq"]}).json()
    assert [e["id"] for e in data["entries"]] == [a.pk, b.pk]
    assert data["seq"] == b.seq and data["status"]["status"] == "live"
    services.entry_correct(user=world.facilitator, entry=a, kind="note", text="a2")
    again = client.get(url("entries", feed), {"after": data["seq"]}).json()
    assert [(e["id"], e["text"]) for e in again["entries"]] == [(a.pk, "a2")]
    assert client.get(url("entries", feed), {"after": again["seq"]}).json()["entries"] == []
    assert client.get(url("entries", feed)).status_code == 200  # no after: everything


@pytest.mark.parametrize("bad", ["-1", "abc", "1.5", "²", "１", "9" * 30, " 1", ""])
def test_polling_with_a_bad_number_is_a_400_not_a_500(world, feed, bad):
    response = world.client("anonymous").get(url("entries", feed), {"after": bad})
    assert response.status_code == 400
    assert "after" in response.json()["error"]


def test_moderators_polling_also_get_questions_waiting(world, feed):
    question = services.question_ask(user=world.participant, feed=feed, text="Waiting")
    mine = world.client("facilitator").get(url("entries", feed), {"after": 0}).json()
    assert [(q["id"], q["status"]) for q in mine["questions"]] == [(question.pk, "pending")]


def test_a_large_catch_up_comes_in_parts(world, feed, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_CHANGES", 10)
    entries(feed, 25, author=world.facilitator)
    client = world.client("anonymous")
    after, seen, rounds = 0, [], 0
    while True:
        data = client.get(url("entries", feed), {"after": after}).json()
        seen += [e["id"] for e in data["entries"]]
        after = data["seq"]
        rounds += 1
        if not data["more"]:
            break
    assert rounds == 3 and len(seen) == len(set(seen)) == 25


def _commit_late(feed, seq, text):
    """A change that took its number earlier but is committed only now (it was slow)."""
    return Entry.objects.create(feed=feed, project_id=feed.project_id, kind="note", text=text, seq=seq)


def test_polling_never_skips_a_change_committed_late(world, feed):
    """Two posts take numbers N+1 and N+2; N+2 commits first. A poll that read the feed's number as N
    (before either committed) then sees the N+2 row but not N+1: it must not hand back N+2."""
    feed.refresh_from_db()
    n = feed.seq
    late = _commit_late(feed, n + 2, "Committed first")  # visible; the feed's number read is still n
    first = selectors.changes_since(feed, n, moderator=False)
    assert [e["id"] for e in first["entries"]] == [late.pk]  # sent now (no waiting)...
    assert first["seq"] == n and not first["more"]  # ...but the number does not pass the one read first
    slow = _commit_late(feed, n + 1, "Committed second")
    LiveFeed.objects.filter(pk=feed.pk).update(seq=n + 2)
    second = selectors.changes_since(feed, first["seq"], moderator=False)
    assert {e["id"] for e in second["entries"]} == {slow.pk, late.pk}  # the slow one is not lost
    assert second["seq"] == n + 2
    assert selectors.changes_since(feed, second["seq"], moderator=False)["entries"] == []


def test_a_catch_up_in_parts_stops_at_the_feeds_number_read_first(world, feed, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_CHANGES", 2)
    feed.refresh_from_db()
    n = feed.seq
    committed = _commit_late(feed, n + 1, "Committed in time")
    LiveFeed.objects.filter(pk=feed.pk).update(seq=n + 1)  # read as n + 1
    ahead = [_commit_late(feed, n + 3, "Ahead 1"), _commit_late(feed, n + 4, "Ahead 2")]  # n + 2 not yet
    data = selectors.changes_since(feed, n, moderator=False)
    assert data["more"] and data["seq"] == n + 1
    assert [e["id"] for e in data["entries"]] == [committed.pk]
    # Asking from the feed's number: the rows ahead may be sent, but the number stays put.
    again = selectors.changes_since(feed, n + 1, moderator=False)
    assert again["seq"] == n + 1 and not again["more"]
    assert [e["id"] for e in again["entries"]] == [e.pk for e in ahead]
    # With more of them than one part holds, none is sure yet: no "more" (no loop) and no skipping.
    monkeypatch.setattr(selectors, "MAX_CHANGES", 1)
    stuck = selectors.changes_since(feed, n + 1, moderator=False)
    assert stuck["seq"] == n + 1 and not stuck["more"] and stuck["entries"] == []
    monkeypatch.setattr(selectors, "MAX_CHANGES", 2)
    slow = _commit_late(feed, n + 2, "Slow")
    LiveFeed.objects.filter(pk=feed.pk).update(seq=n + 4)
    monkeypatch.setattr(selectors, "MAX_CHANGES", 10)
    rest = selectors.changes_since(feed, data["seq"], moderator=False)
    assert [e["id"] for e in rest["entries"]] == [slow.pk, *(e.pk for e in ahead)] and rest["seq"] == n + 4


# --- Pages: without JavaScript, the present view, query counts ---------------------------------------


def test_the_feed_page_works_without_javascript(world, feed):
    services.entry_post(user=world.facilitator, feed=feed, text="Plain list")
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert "Refresh to see new entries" in html
    assert 'http-equiv="refresh"' not in html
    assert "Plain list" in html
    assert 'aria-live="polite"' in html
    assert "<script>" not in html.replace('<script type="application/json"', "")  # only data, no inline code


def test_the_meeting_page_is_linked_back(world, feed):
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert reverse("meetings:detail", args=[feed.project.slug, feed.meeting_id]) in html


def test_the_present_view_has_no_navigation_and_shows_the_latest(world, feed):
    entries(feed, 10, author=world.facilitator)
    questions(feed, 8, author=world.participant)
    html = world.client("anonymous").get(url("present", feed)).content.decode()
    assert "project-nav" not in html and "site-header" not in html
    assert html.count('class="live-entry ') == 6
    assert html.count('class="live-question"') == 5
    assert "Entry 9" in html and "Entry 0 " not in html


@pytest.mark.parametrize("n", [5, 60])
def test_pages_are_flat_as_the_feed_grows(world, feed, n, django_assert_max_num_queries):
    entries(feed, n, author=world.facilitator)
    qs = questions(feed, n, author=world.participant)
    for q in qs[:3]:
        Like.objects.create(question=q, user=world.expert)
    appoint(feed, world.facilitator, world.expert)
    for persona, name in (
        ("anonymous", "feed"),
        ("expert", "feed"),
        ("facilitator", "feed"),
        ("anonymous", "present"),
        ("facilitator", "moderate"),
        ("anonymous", "entries"),
    ):
        client = world.client(persona)
        with django_assert_max_num_queries(24):
            assert client.get(url(name, feed)).status_code == 200, (persona, name)


# --- API -----------------------------------------------------------------------------------------------


def test_the_api_gives_the_same_changes_and_takes_posts_and_questions(world, feed):
    client = world.client("facilitator")
    base = f"/api/projects/{feed.project.slug}/meetings/{feed.meeting_id}/live/"
    response = client.post(base + "entries/", {"kind": "decision", "text": "Via API"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["kind"] == "decision"
    assert (
        world.client("participant").post(base + "entries/", {"text": "x"}, content_type="application/json").status_code
        == 403
    )
    response = world.client("participant").post(
        base + "questions/", {"text": "API question"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    question = Question.objects.get()
    services.question_moderate(user=world.facilitator, question=question, approve=True)
    like = world.client("expert").post(base + f"questions/{question.pk}/like/")
    assert like.json() == {"liked": True, "like_count": 1}
    data = world.client("anonymous").get(base, {"after": 0}).json()
    assert [e["text"] for e in data["entries"]] == ["Via API"]
    assert [q["text"] for q in data["questions"]] == ["API question"]
    assert world.client("anonymous").get(base, {"after": "x"}).status_code == 400
    private = live_feed(world.private_project, facilitator=world.facilitator)
    assert (
        world.client("outsider")
        .get(f"/api/projects/{private.project.slug}/meetings/{private.meeting_id}/live/")
        .status_code
        == 404
    )


# --- Component: export, personal data, erasure, demo ---------------------------------------------------


def test_the_export_has_the_record_without_withdrawn_text(world, feed):
    services.entry_post(user=world.facilitator, feed=feed, text="Kept")
    gone = services.entry_post(user=world.facilitator, feed=feed, text="Gone")
    services.entry_withdraw(user=world.facilitator, entry=gone, reason="Mistake")
    rows = list(registry.export("live_entries").rows(world.project))
    assert [r["text"] for r in rows] == ["Kept", ""]
    assert rows[1]["withdrawn_reason"] == "Mistake"


def test_personal_data_and_erasure(world, feed):
    appoint(feed, world.facilitator, world.participant)
    entry = services.entry_post(user=world.participant, feed=feed, text="My report")
    question = services.question_ask(user=world.participant, feed=feed, text="My question", show_name=True)
    services.question_moderate(user=world.facilitator, question=question, approve=True)
    services.question_like(user=world.participant, question=question)
    data = registry.get("live").personal_data(world.participant)
    assert [e["text"] for e in data["live_entries"]] == ["My report"]
    assert [q["text"] for q in data["live_questions"]] == ["My question"]
    assert len(data["live_likes"]) == 1 and len(data["live_reporter_for"]) == 1
    registry.get("live").erase_personal_data(world.participant)
    entry.refresh_from_db()
    question.refresh_from_db()
    assert entry.author is None and entry.text == "My report"
    assert question.author is None and question.show_name is False and question.like_count == 1
    assert not Like.objects.exists() and not Reporter.objects.exists()
    html = world.client("anonymous").get(url("feed", feed)).content.decode()
    assert "Former reporter" in html


def test_the_demo_adds_entries_and_questions_with_likes(world):
    from copro.live.demo import add_demo

    the_meeting = meeting(world.project, created_by=world.facilitator)
    add_demo(world.project, world.facilitator, [world.participant, world.expert, world.observer], the_meeting)
    feed = feed_of(the_meeting)
    assert feed.status == FeedStatus.LIVE
    assert set(Entry.objects.filter(feed=feed).values_list("kind", flat=True)) == {"note", "decision", "action"}
    top = list(selectors.top_questions(feed))
    assert len(top) == 2 and top[0].like_count >= 2 and top[0].answer
    assert selectors.queue(feed).count() == 1

from copro.updates import services
from copro.updates.models import Subscription


def test_update_reaches_a_confirmed_subscriber_through_smtp(world, outbox, run_tasks):
    sub = Subscription.objects.create(project=world.project, email="reader@example.org")
    services.subscription_confirm(subscription=sub)
    services.update_publish(user=world.facilitator, project=world.project, title="Hello", body="News")
    run_tasks()
    messages = outbox.to("reader@example.org")
    assert len(messages) == 1
    assert "Hello" in messages[0]["Subject"]
    assert messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_csrf_client_can_post(world):
    client = world.client("facilitator")
    response = client.post(f"/p/{world.project.slug}/updates/", {"title": "T", "body": "B", "visibility": "public"})
    assert response.status_code == 302

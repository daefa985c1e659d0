from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.utils import timezone

from copro.accounts.models import User
from copro.core import activity
from copro.core.components import registry
from copro.core.email import forget_address
from copro.core.models import ActivityEntry, Visibility


def account_export(*, user: User) -> dict[str, Any]:
    """Everything Copro holds about a person, as JSON-ready data ("download my data")."""
    data: dict[str, Any] = {
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "access_needs": user.access_needs,
            "notify_by_email": user.notify_by_email,
            "email_frequency": user.email_frequency,
            "phone": user.phone,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user)
        ],
        "two_factor": [
            {"type": a.type, "created_at": a.created_at.isoformat()} for a in Authenticator.objects.filter(user=user)
        ],
        "activity": [
            {
                "when": e.created_at.isoformat(),
                "what": activity.describe(e),
                "verb": e.verb,
                "project": e.project.title if e.project else None,
            }
            for e in ActivityEntry.objects.filter(actor=user).select_related("project", "actor").order_by("id")
        ],
    }
    for component in registry.all():
        if component.personal_data:
            data[component.name] = component.personal_data(user)
    return data


@transaction.atomic
def account_erase(*, user: User) -> None:
    """Erase personal data; keep contributions, attributed to "former participant".

    The user row stays (with no personal data) so that votes, ideas, decisions and the activity log
    keep their author reference and no decision record is destroyed.
    """
    for component in registry.all():
        if component.erase_personal_data:
            component.erase_personal_data(user)
    for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True):
        forget_address(address)
    forget_address(user.email)
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user_id = user.pk
    user.email = f"erased-{user_id}@invalid"
    user.display_name = ""
    user.access_needs = ""
    user.phone = ""
    user.notify_by_email = False
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.erased_at = timezone.now()
    user.set_unusable_password()
    # An inactive user with a new (unusable) password fails session verification everywhere:
    # every device is signed out without scanning the session table.
    user.save()
    activity.record(verb="accounts.erased", actor=user, project=None, visibility=Visibility.STAFF)

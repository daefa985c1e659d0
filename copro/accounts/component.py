"""Accounts plug into the contract for activity verbs only; personal data is their own."""

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, registry

registry.register(
    Component(
        name="accounts",
        label=_("Accounts"),
        activity={
            "accounts.erased": _("A person deleted their account; their contributions stay, anonymised."),
        },
    )
)

"""Templates for proposals: advice, consent and consensus, each with how responses are used."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PROCESSES = {
    "advice": {
        "label": _("Advice"),
        "summary": _("the person responsible decides, after asking everyone affected and the experts"),
        "how_used": _(
            "This is an advice process. Everyone affected and the experts are asked for advice. The person "
            "responsible makes the decision, must answer every concern raised, and writes down why they decided."
        ),
    },
    "consent": {
        "label": _("Consent"),
        "summary": _("we go ahead unless someone has a reasoned objection that has not been answered"),
        "how_used": _(
            "This is a consent decision. The proposal goes ahead if nobody has a reasoned objection. Every "
            "objection is answered, and the proposal is changed if it needs to be, before it is closed. A "
            "block means: I think this would harm the project or the people it serves."
        ),
    },
    "consensus": {
        "label": _("Consensus"),
        "summary": _("we look for an outcome that everyone can agree with"),
        "how_used": _(
            "This is a consensus decision. We keep working on the proposal until everyone can agree with it, "
            "or can at least live with it. A block stops the proposal until it has been answered and resolved."
        ),
    },
}

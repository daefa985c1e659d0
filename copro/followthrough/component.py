"""The followthrough component (see copro.core.components for the contract)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from copro.core.components import Component, registry

registry.register(Component(name="followthrough", label=_("You said, we did")))

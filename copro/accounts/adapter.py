from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open to everyone: people who use services join projects themselves."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

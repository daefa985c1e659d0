from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("As it happens")
    WEEKLY = "weekly", _("A weekly summary")


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Personal data lives here, so erasing an account is one place to clear."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("name to show"),
        max_length=80,
        blank=True,
        help_text=_("This is how others see you. It does not have to be your real name."),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=settings.LANGUAGES, default="en"
    )
    access_needs = models.TextField(
        _("access needs"),
        max_length=2000,
        blank=True,
        help_text=_(
            "Anything that helps you take part, for example large print, a BSL interpreter, "
            "step-free access or someone to help you online. "
            "Only facilitators of your projects see this."
        ),
    )
    notify_by_email = models.BooleanField(
        _("email me about my projects"),
        default=True,
        help_text=_("News, invitations and changes to projects you take part in."),
    )
    email_frequency = models.CharField(
        _("how often"),
        max_length=10,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATE,
    )
    phone = models.CharField(
        _("phone number (optional)"),
        max_length=40,
        blank=True,
        help_text=_("Only if you would like a facilitator to be able to call you."),
    )
    is_staff = models.BooleanField(_("site administrator"), default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """What others see. An erased account's contributions read "former participant"."""
        if self.erased_at:
            return str(_("former participant"))
        return self.display_name or str(_("Member %(number)s") % {"number": self.pk})

    @property
    def is_org_staff(self) -> bool:
        return self.organisation_memberships.exists()

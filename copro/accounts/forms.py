from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from copro.accounts.models import User

_NAME_REQUIRED = _("Please enter a name to show. It can be a made-up name.")


class SignupExtraForm(forms.Form):
    """Added to allauth's sign-up form: the name to show and the language."""

    display_name = forms.CharField(
        label=_("Name to show"),
        max_length=80,
        help_text=_("This is how others see you. It does not have to be your real name."),
        error_messages={"required": _NAME_REQUIRED},
    )

    def clean_display_name(self) -> str:
        value = self.cleaned_data["display_name"].strip()
        if not value:
            raise forms.ValidationError(_NAME_REQUIRED)
        return value

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.preferred_language = getattr(request, "LANGUAGE_CODE", "en") or "en"
        user.save(update_fields=["display_name", "preferred_language"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "display_name",
            "preferred_language",
            "access_needs",
            "phone",
            "notify_by_email",
            "email_frequency",
        ]
        widgets = {"access_needs": forms.Textarea(attrs={"rows": 4})}

    def clean_display_name(self) -> str:
        value = self.cleaned_data["display_name"].strip()
        if not value:
            raise forms.ValidationError(_NAME_REQUIRED)
        return value


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput, max_length=200)
    confirm = forms.BooleanField(
        label=_("I understand my personal details will be erased and I will be signed out."),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password is not right."))
        return password

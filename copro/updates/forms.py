from django import forms
from django.utils.translation import gettext_lazy as _

from copro.core.forms import OnceForm
from copro.core.models import Visibility


class UpdateForm(OnceForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("What you want to tell people"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text is fine. Simple formatting (bold, lists, links) is kept; anything else is removed."),
    )
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        widget=forms.RadioSelect,
        initial=Visibility.PUBLIC,
        choices=[
            (Visibility.PUBLIC, _("Everyone (and it is emailed to subscribers)")),
            (Visibility.MEMBERS, _("Project members only")),
        ],
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)

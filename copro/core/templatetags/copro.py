from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.safestring import SafeString

from copro.core import sanitize
from copro.core.activity import describe
from copro.core.models import ActivityEntry

register = template.Library()


@register.filter
def rich_text(value: str) -> SafeString:
    return sanitize.rich_text(value or "")


@register.filter
def activity_text(entry: ActivityEntry) -> str:
    return describe(entry)


@register.simple_tag
def widget(field: Any, **attrs: Any) -> SafeString:
    """Render a form field's widget with its help text and errors tied to it for screen readers."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.field.required and field.widget_type not in ("checkbox", "radioselect", "checkboxselectmultiple"):
        attrs["required"] = True
    return field.as_widget(attrs=attrs)


@register.filter
def is_choice_group(field: Any) -> bool:
    return field.widget_type in ("radioselect", "checkboxselectmultiple")


@register.filter
def is_checkbox(field: Any) -> bool:
    return field.widget_type == "checkbox"


@register.filter
def is_hidden(field: Any) -> bool:
    return field.is_hidden


_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(amount: Any, currency: str = "") -> str:
    """240000 GBP -> "£240,000"; pence are shown only when there are some. Other currencies keep their code."""
    if amount is None:
        return ""
    value = Decimal(amount)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}".strip()

"""Placeholder: replaced by the component registration."""

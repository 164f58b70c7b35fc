from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def pct(value):
    """0.9357 → 93.6%; a rate with nothing to count → —."""
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def score(value):
    return "—" if value is None else f"{value:.2f}"


@register.simple_tag
def count_url(filters, count):
    """The list of tickets behind one count of one slice."""
    return f"{reverse('kpi_tickets')}?{filters.query_string()}&count={count}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def points(value):
    """A change of a rate in percentage points, signed: 0.0123 → +1.2."""
    return "—" if value is None else f"{value * 100:+.1f}"

from django import template

from jiesu.core import clock
from jiesu.sla import services

register = template.Library()


@register.filter
def sla_worst(ticket):
    """The clock a list shows for a ticket: the most severe running one (None if no clock runs)."""
    return services.worst_clock(ticket, clock.now())


@register.filter
def sla_rows(ticket):
    return services.clock_rows(ticket, clock.now())

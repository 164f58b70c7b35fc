from django.conf import settings


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from jiesu.tickets.worklists import has_page

    return {"bell_poll": settings.JIESU_BELL_POLL_SECONDS, "has_todo": has_page(user)}

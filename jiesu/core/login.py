"""Login throttling (django-axes) with its own limit for each thing it counts.

An account is paused after JIESU_LOGIN_FAILURE_LIMIT failures in a row; an address only after
JIESU_LOGIN_ADDRESS_FAILURE_LIMIT, because a whole hotline centre usually reaches jiesu from one address and a
few mistyped passwords must not lock every operator out, while one address trying many accounts still is.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


class LoginThrottle(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """Failures, scaled so that reaching any parameter's own limit reads as reaching AXES_FAILURE_LIMIT."""
        worst = 0
        for parameter, attempts in zip(settings.AXES_LOCKOUT_PARAMETERS,
                                       self.get_user_attempts(request, credentials), strict=False):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            limit = settings.JIESU_LOGIN_ADDRESS_FAILURE_LIMIT if parameter == "ip_address" else settings.AXES_FAILURE_LIMIT
            worst = max(worst, math.floor(failures * settings.AXES_FAILURE_LIMIT / limit))
        return worst

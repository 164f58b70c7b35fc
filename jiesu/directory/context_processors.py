from .models import Role
from .permissions import department_of, has_perm, roles_of


def _handles_clues(user) -> bool:
    from jiesu.channels.wages import handles_clues

    return handles_clues(user)


def staff(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    return {
        "my_department": department_of(user),
        "my_roles": [Role(r).label for r in sorted(roles)],
        "can": {
            # The liaison office registers through 建议提案 and the 信访办 through 信访代办, not the phone intake form.
            "intake": has_perm(user, "ticket.create") and not has_perm(user, "proposal.register")
            and not has_perm(user, "petition.register"),
            "dispatch": has_perm(user, "ticket.dispatch"),
            "inbox": has_perm(user, "ticket.view_department"),
            "admin": user.is_staff,
            "kpi": has_perm(user, "kpi.view_all") or has_perm(user, "kpi.view_department"),
            "hotspots": has_perm(user, "hotspots.view"),
            "knowledge": has_perm(user, "knowledge.search"),
            "callers": has_perm(user, "ticket.view_caller"),
            "caller_views": has_perm(user, "ticket.audit_caller_views"),
            "policies": has_perm(user, "policy.view"),
            "helping": has_perm(user, "enterprise.help") or has_perm(user, "enterprise.view_ledgers"),
            "proposals": has_perm(user, "proposal.view_all"),
            "police110": has_perm(user, "police110.view"),
            "wages": has_perm(user, "wage.view") and (has_perm(user, "ticket.view_all") or _handles_clues(user)),
            "petitions": has_perm(user, "petition.view_all") or has_perm(user, "petition.agent"),
            "evaluations": any(has_perm(user, f"evaluation.{p}") for p in ("manage", "view_all", "view_own")),
        },
    }

"""Enterprise accounts (政企直通车): one per contact of the registry, opened by the contact themself with an SMS
code sent to the phone the registry holds for them, then used with 统一社会信用代码 + 手机号 + 密码.

They are Django users without a Staff row, so every back-office permission denies them (directory.permissions);
what they may read is `tickets.access.enterprise_requests` of their own enterprise, through the pages of
`direct.py`. Logins are throttled like staff logins (django-axes: the same failure limits)."""

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from jiesu.core import ratelimit
from jiesu.core.errors import ValidationFailed
from jiesu.core.validators import normalize_phone
from jiesu.notifications.services import MOBILE
from jiesu.portal import services as portal

from .models import Contact
from .services import clean_code

PREFIX = "qy:"  # enterprise usernames; a staff username never holds ':'


def username(credit_code: str, phone: str) -> str:
    return f"{PREFIX}{credit_code}:{phone}"


def contact_of(user) -> Contact | None:
    """The contact behind an enterprise account (with its enterprise), or None for anyone else."""
    if user is None or not user.is_authenticated or not user.is_active or not user.username.startswith(PREFIX):
        return None
    cached = getattr(user, "_jiesu_contact", False)
    if cached is False:
        cached = Contact.objects.select_related("enterprise", "enterprise__region").filter(user=user).first()
        user._jiesu_contact = cached
    return cached


def _contact(credit_code: str, phone: str) -> Contact | None:
    return (Contact.objects.select_related("enterprise", "user")
            .filter(enterprise__credit_code=credit_code, phone=phone).first())


def send_code(credit_code: str, phone: str, address: str) -> None:
    """开通账号 / 找回密码, step 1: an SMS code to the phone, if the registry holds it as a contact of this
    enterprise. The answer is the same either way (no one learns who the contacts are by trying numbers); the
    tries count against the address just the same."""
    code = clean_code(credit_code)
    phone = normalize_phone(phone)
    if not MOBILE.match(phone):
        raise ValidationFailed({"phone": "请填写11位手机号"})
    if _contact(code, phone) is None:
        if not ratelimit.hit(f"code:ip:{address}", settings.JIESU_PORTAL_CODE_LIMITS[0], 3600):
            raise portal.TooMany("验证码发送过于频繁，请稍后再试（每分钟最多一次）")
        return
    portal.send_code(phone, address)


def activate(credit_code: str, phone: str, sms_code: str, password: str):
    """开通账号 / 找回密码, step 2: the code from the SMS and a new password → the contact's account (made or its
    password replaced). ValidationFailed names the field. The password is checked before the code, and the code
    on its own (not inside a transaction that an error would roll back), so every wrong code counts against the
    code's tries."""
    code = clean_code(credit_code)
    phone = normalize_phone(phone)
    contact = _contact(code, phone)
    User = get_user_model()
    user = (contact.user if contact is not None and contact.user_id else None) or User(
        username=username(code, phone), first_name=(contact.name if contact else "")[:150], is_active=True)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed({"password": "；".join(exc.messages)}) from None
    if contact is None or not portal.verify_code(phone, sms_code):
        raise ValidationFailed({"sms_code": "验证码不正确或已过期，请重新获取"})
    with transaction.atomic():
        user.set_password(password)
        user.save()
        if contact.user_id != user.pk:
            contact.user = user
            contact.save(update_fields=["user"])
    return user


def sign_in(request, credit_code: str, phone: str, password: str):
    """The enterprise account for these credentials, or None (wrong, unknown, disabled, or paused by the login
    throttle: then django-axes answers the request with its lockout page)."""
    try:
        code = clean_code(credit_code)
    except ValidationFailed:
        return None
    user = authenticate(request, username=username(code, normalize_phone(phone)), password=password or "")
    return user if contact_of(user) is not None else None

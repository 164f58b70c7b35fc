"""Login throttling, password rules, and production settings that refuse to start unsafe."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

STRONG_KEY = "k3y-" + "x7Qp9_Lm2Zr" * 5


def _login(client, username, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_lock_the_account_in_chinese(world):
    world.operator.set_password("正确的密码jiesu")
    world.operator.save()
    client = Client()
    for _ in range(60):
        _login(client, "operator", "wrong-password")
    locked = _login(client, "operator", "正确的密码jiesu")
    assert locked.status_code == 429 and "登录已暂停" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_accounts_is_locked_but_a_few_slips_are_not(world, settings):
    world.dispatcher.set_password("正确的密码jiesu")
    world.dispatcher.save()
    for i in range(6):  # a centre's operators mistyping now and then: more than one account's limit
        _login(Client(), f"operator{i}", "typo", address="10.0.0.9")
    assert _login(Client(), "dispatcher", "正确的密码jiesu", address="10.0.0.9").status_code == 302
    for i in range(settings.JIESU_LOGIN_ADDRESS_FAILURE_LIMIT):
        _login(Client(), f"nobody{i}", "guess", address="10.0.0.9")
    assert _login(Client(), "dispatcher", "正确的密码jiesu", address="10.0.0.9").status_code == 429
    assert _login(Client(), "dispatcher", "正确的密码jiesu", address="10.0.0.10").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(world):
    world.handler_a.set_password("正确的密码jiesu")
    world.handler_a.save()
    for _ in range(3):
        for _ in range(4):
            _login(Client(), "handler_a", "wrong", address="10.0.0.2")
        assert _login(Client(), "handler_a", "正确的密码jiesu", address="10.0.0.2").status_code == 302


@pytest.mark.parametrize("password", ["12345678", "password", "87654321123", "qwertyui"])
def test_common_and_numeric_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def _django(*args, **env):
    """Start jiesu in a fresh process with this environment (settings are read once, at start-up)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JIESU_", "SECRET_KEY", "DEBUG", "DJANGO_"))}
    clean.update({"DATABASE_URL": "sqlite:///:memory:", **env})
    return subprocess.run([sys.executable, "-m", "django", *args], env={**clean, "DJANGO_SETTINGS_MODULE": "jiesu.settings"},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env", [
    {},
    {"DEBUG": "1"},
    {"SECRET_KEY": "   "},
    {"SECRET_KEY": "short-key"},
    {"SECRET_KEY": "a" * 60},
])
def test_no_real_secret_key_no_start(env):
    result = _django("check", **env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr, result.stderr[-500:]


def test_the_documented_production_environment_passes_check_deploy():
    result = _django("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=STRONG_KEY, JIESU_HTTPS="1",
                     JIESU_PROXY_SSL_HEADER="X-Forwarded-Proto", ALLOWED_HOSTS="12345.example.gov.cn")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_pages_carry_a_content_security_policy_without_inline_script(world):
    client = Client()
    client.force_login(world.operator)
    policy = client.get("/intake/")["Content-Security-Policy"]
    script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in script and "unsafe-inline" not in script and "unsafe-eval" not in script
    assert "frame-ancestors 'none'" in policy

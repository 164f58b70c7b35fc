from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jiesu.core.tokens import create_token


class Command(BaseCommand):
    help = "为用户创建API令牌（令牌只显示一次）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="API")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}")
        try:
            token, key = create_token(user=user, name=name)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(key)

from django.core.management.base import BaseCommand, CommandError

from wangge.accounts.models import User
from wangge.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user (machine access, `Authorization: Bearer <token>`). Shown once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. 12345-bridge")

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username}.")
        token, key = api_token_create(user=user, name=name)
        self.stdout.write(key)
        self.stderr.write(f"Token {token.prefix}… for {username}; store it now, it cannot be shown again.")

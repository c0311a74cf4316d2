import secrets

from django.db import transaction
from django.utils import timezone

from wangge.accounts.models import ApiToken, Role, User
from wangge.core.models import Jurisdiction


@transaction.atomic
def user_create(
    *, username: str, password: str, role: str, jurisdiction: Jurisdiction | None, full_name: str = "",
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username, role=role, jurisdiction=jurisdiction, first_name=full_name,
        is_staff=is_superuser or role == Role.ADMIN, is_superuser=is_superuser,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the clear key is returned once and never stored."""
    key = "wg_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash_key(key), prefix=key[3:11])
    return token, key


def api_token_authenticate(*, key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked=False, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user

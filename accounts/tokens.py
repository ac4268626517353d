"""API tokens (DRF authtoken): an optional expiry set by a security administrator
(``accounts.models.TokenExpiry``), revocation, and the password policy for people calling with
a token. Expired tokens are refused with a Chinese 401."""

from django.db.models import Aggregate, CharField, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts import passwords, signals
from accounts.models import TokenExpiry


def is_expired(token: Token) -> bool:
    try:
        return token.expiry.expires_at <= timezone.now()
    except TokenExpiry.DoesNotExist:
        return False


class TokenExpired(exceptions.AuthenticationFailed):
    default_code = "token_expired"


class PasswordChangeRequired(exceptions.PermissionDenied):
    pass


class _Joined(Aggregate):
    """The values joined by commas, in no particular order (string_agg / group_concat)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def _role_codes():
    """The token's user's role codes, joined: a subquery, so that the lookup reads them in its
    one query (role codes hold no commas)."""
    from accounts.models import User

    holding = User.roles.through.objects.filter(user_id=OuterRef("user_id"))
    return Subquery(
        holding.values("user_id").annotate(codes=_Joined("role_id")).values("codes")[:1]
    )


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing expired tokens, and people whose password must
    change first (403 with the policy's code)."""

    def authenticate_credentials(self, key):
        # DRF's own lookup, with the expiry, the user's region (every scope reads it) and
        # roles (the password policy and every permission read them) in the same query
        try:
            token = (
                Token.objects.select_related("user__region", "expiry")
                .annotate(role_codes=_role_codes())
                .get(key=key)
            )
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        user = token.user
        # what User.role_codes would read
        user.__dict__["role_codes"] = frozenset(filter(None, (token.role_codes or "").split(",")))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if is_expired(token):
            raise TokenExpired(_("令牌已过期，请重新获取令牌或联系安全管理员。"))
        reason = passwords.change_required(user)
        if reason is not None and not passwords.is_demo_account(user):
            raise PasswordChangeRequired(passwords.message(reason), code=reason)
        return user, token


def current_token(user, *, request=None) -> Token:
    """The user's token, a new one if they have none or theirs expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and is_expired(token):
        revoke(token, by=user, request=request)
        token = None
    if token is None:
        token = Token.objects.create(user=user)
        signals.token_created.send(
            sender=Token, user=user, by=user, request=request, token=token, expires_at=None
        )
    return token


def revoke(token: Token, *, by, request=None) -> None:
    user, prefix = token.user, token.key[:6]
    token.delete()
    signals.token_revoked.send(
        sender=Token, user=user, by=by, request=request, token_key_prefix=prefix
    )


def set_expiry(token: Token, expires_at, *, by, request=None) -> None:
    """Give a token an expiry (None: never expires)."""
    if expires_at is None:
        TokenExpiry.objects.filter(token=token).delete()
    else:
        TokenExpiry.objects.update_or_create(token=token, defaults={"expires_at": expires_at})

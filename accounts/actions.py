import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, Throttle, User
from accounts.permissions import grant
from tidings.db import lock_row, save_fields


def editors_group() -> Group:
    """The "Editors" group with its permissions. A migration grants them in every database;
    granting again here keeps them where a database was emptied since (test flushes)."""
    return grant(Group, Permission)


@transaction.atomic
def ensure_user(username: str, password: str, *, editor: bool = False, **fields: str) -> User:
    """Create or refresh a login (demo and test people); editors get staff access and the
    Editors group. Their addresses count as confirmed."""
    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    user.set_password(password)
    user.is_staff = editor
    if user.email and user.email_verified_at is None:
        user.email_verified_at = timezone.now()
    user.save()
    if editor:
        user.groups.add(editors_group())
    return user


def _stored_key(key: str) -> str:
    """Keys fit the column (200): a long address or case-folded name is cut and hashed."""
    if len(key) <= 200:
        return key
    return f"{key[:120]}#{hashlib.sha256(key.encode()).hexdigest()}"


def throttle(key: str, *, limit: int, window: dt.timedelta, record: bool = True) -> bool:
    """True while `key` has been counted fewer than `limit` times in the current window.

    With `record`, this call counts too. Fixed windows: simple, and good enough to stop guessing.
    """
    now, key = timezone.now(), _stored_key(key)
    if not record:  # a check alone reads; only a counted attempt writes
        count = (
            Throttle.objects.filter(key=key, window_start__gt=now - window)
            .values_list("count", flat=True)
            .first()
        )
        return (count or 0) < limit
    with transaction.atomic():
        row, _created = Throttle.objects.select_for_update().get_or_create(
            key=key, defaults={"window_start": now}
        )
        if row.window_start <= now - window:
            row.window_start, row.count = now, 0
        allowed = row.count < limit
        if allowed:
            row.count += 1
            row.last_at = now
        row.save(update_fields=["window_start", "count", "last_at"])
    return allowed


def wait_before_retry(key: str, *, free: int, window: dt.timedelta, longest: dt.timedelta) -> int:
    """Seconds `key` must still wait: nothing for its first `free` failures in the window, then
    5 s, 10 s, 20 s… (capped at `longest`) after the latest one. A stranger can slow a name
    down this way, but never shut it for longer than `longest`."""
    now, key = timezone.now(), _stored_key(key)
    row = Throttle.objects.filter(key=key, window_start__gt=now - window).first()
    if row is None or row.count < free or row.last_at is None:
        return 0
    wait = min(dt.timedelta(seconds=5 * 2 ** (row.count - free)), longest)
    return max(0, int((row.last_at + wait - now).total_seconds() + 0.999))


def count_failure(key: str, *, window: dt.timedelta) -> None:
    """Count one failed attempt against `key` (no limit: the waits grow instead)."""
    throttle(key, limit=10**9, window=window)


@transaction.atomic
def sign_up(username: str, email: str, password: str) -> User:
    """A new account; its address is unconfirmed until the reader opens `confirmation_url`."""
    user = User.objects.create_user(username=username, email=email, password=password)
    return user


@transaction.atomic
def update_reader_settings(user: User, **fields: object) -> User:
    """Save settings; a new address is unconfirmed (and sent a link) until confirmed."""
    # Compared with the stored address: a ModelForm has already set the new one on `user`.
    stored = User.objects.filter(pk=user.pk).values_list("email", flat=True).first() or ""
    new_address = "email" in fields and str(fields["email"]).lower() != stored.lower()
    if new_address:
        fields["email_verified_at"] = None
    user = save_fields(user, **fields)
    if new_address and user.email:
        transaction.on_commit(lambda: send_confirmation(user))
    return user


CONFIRM_SALT = "accounts.confirm-email"
CONFIRM_MAX_AGE = 3 * 24 * 3600
MAILS_PER_ADDRESS = 3  # confirmation, "address taken" and reset emails: per address and sender
MAILS_PER_ADDRESS_ALL = 10  # per address, all strangers together, in an hour
MAIL_WINDOW = dt.timedelta(hours=1)


def confirmation_url(user: User, next_page: str = "") -> str:
    # The address is in the token: a link for an address the reader has since changed is void.
    token = signing.dumps(
        {"u": user.pk, "e": user.email.lower(), "n": next_page}, salt=CONFIRM_SALT
    )
    return settings.SITE_URL + reverse("accounts:confirm", args=[token])


def read_confirmation(token: str) -> tuple[User, str] | None:
    """The reader a confirmation link is for and the page to go back to; None when it is
    forged, expired, used already or for an address the account no longer has."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        user = User.objects.get(pk=int(data["u"]), is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError):
        return None
    if user.email.lower() != data.get("e") or user.email_verified_at is not None:
        return None
    return user, str(data.get("n") or "")


@transaction.atomic
def confirm_email(user: User) -> User:
    return save_fields(user, email_verified_at=timezone.now())


def may_mail(address: str, sender: str) -> bool:
    """Counts one email to `address` asked for by `sender` (a client address, or "user:ID" for
    the signed-in owner). A sender gets MAILS_PER_ADDRESS an hour to one address, and all
    strangers together MAILS_PER_ADDRESS_ALL, so nobody can flood an inbox; the owner's own
    requests never count against the strangers' share, so strangers cannot silence them."""
    address = address.strip().lower()
    if not throttle(f"mail:{address}:{sender}", limit=MAILS_PER_ADDRESS, window=MAIL_WINDOW):
        return False
    if sender.startswith("user:"):
        return True
    return throttle(f"mail:{address}", limit=MAILS_PER_ADDRESS_ALL, window=MAIL_WINDOW)


def _mail(user: User, sender: str, subject: str, template: str, **context: str) -> bool:
    """One account email to the user's address, within the per-address caps."""
    if not may_mail(user.email, sender):
        return False
    body = render_to_string(template, {"user": user, "SITE_NAME": settings.SITE_NAME, **context})
    send_mail(subject, body, None, [user.email])
    return True


def send_confirmation(user: User, next_page: str = "", *, sender: str = "") -> bool:
    return _mail(
        user, sender or f"user:{user.pk}", f"Confirm your address on {settings.SITE_NAME}",
        "accounts/email/confirm.txt", url=confirmation_url(user, next_page),
    )  # fmt: skip


def send_address_taken(user: User, *, sender: str) -> bool:
    """To the owner of an address someone tried to sign up with again."""
    return _mail(
        user, sender, f"Someone tried to sign up on {settings.SITE_NAME} with your address",
        "accounts/email/address_taken.txt",
        login_url=settings.SITE_URL + reverse("login"),
        reset_url=settings.SITE_URL + reverse("password_reset"),
    )  # fmt: skip


# --- API tokens ------------------------------------------------------------------------------

TOKEN_PREFIX = "tid_"  # noqa: S105 (a marker that names our tokens, not a secret)
TOKENS_PER_USER = 20
# A token's use is written down at most this often: a busy integrator must not cost a write
# per request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token that may not be made; the message says which rule refused it."""


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def allowed_scopes(user: User) -> set[str]:
    """Publishing is for editors; every account may read and act as itself."""
    scopes = {ApiToken.Scope.READ.value, ApiToken.Scope.FOLLOW.value}
    if user.is_editor:
        scopes.add(ApiToken.Scope.PUBLISH.value)
    return scopes


@transaction.atomic
def create_api_token(
    user: User,
    name: str,
    scopes: Iterable[str] | None = None,
    *,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored. Without `scopes`,
    every scope the account may have."""
    allowed = allowed_scopes(user)
    wanted = set(allowed if scopes is None else scopes)
    unknown = wanted - set(ApiToken.Scope.values)
    if unknown:
        raise TokenError(f"unknown scope {sorted(unknown)[0]!r}: use read, follow or publish")
    if not wanted:
        raise TokenError("choose at least one scope: read, follow or publish")
    if wanted - allowed:
        raise TokenError("only editors may have tokens that publish")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError("the expiry must lie in the future")
    lock_row(User, user.pk)  # two requests at once must not both fit under the limit
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= TOKENS_PER_USER:
        raise TokenError(
            f"you have {TOKENS_PER_USER} tokens, the most an account may have; revoke one first"
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=" ".join(name.split())[:100] or "API token",
        prefix=raw[:12],
        digest=token_digest(raw),
        scopes=sorted(wanted),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, raw


def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        save_fields(token, revoked_at=timezone.now())


def find_api_token(raw: str) -> ApiToken | None:
    """The live token with this secret, its use recorded; None for anything else (unknown,
    revoked, expired, or an account that was switched off)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

import datetime as dt

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from accounts.models import Throttle, User
from accounts.permissions import grant
from tidings.db import save_fields


def editors_group() -> Group:
    """The "Editors" group with its permissions. A migration grants them in every database;
    granting again here keeps them where a database was emptied since (test flushes)."""
    return grant(Group, Permission)


@transaction.atomic
def ensure_user(username: str, password: str, *, editor: bool = False, **fields: str) -> User:
    """Create or refresh a login; editors get staff access and the Editors group."""
    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    user.set_password(password)
    user.is_staff = editor
    user.save()
    if editor:
        user.groups.add(editors_group())
    return user


def throttle(key: str, *, limit: int, window: dt.timedelta, record: bool = True) -> bool:
    """True while `key` has been counted fewer than `limit` times in the current window.

    With `record`, this call counts too. Fixed windows: simple, and good enough to stop guessing.
    """
    now = timezone.now()
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
    now = timezone.now()
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
    user = User.objects.create_user(username=username, email=email, password=password)
    return user


@transaction.atomic
def update_reader_settings(user: User, **fields: object) -> User:
    return save_fields(user, **fields)

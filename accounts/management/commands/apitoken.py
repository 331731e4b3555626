import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actions import TokenError, create_api_token, editors_group
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Print a new API token for USERNAME (sent as `Authorization: Bearer TOKEN`). The token "
        "is shown this once; only its hash is kept. --create makes the account (without a "
        "password: it signs in through a password reset), --editor adds it to Editors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--create", action="store_true", help="create the user if missing")
        parser.add_argument("--editor", action="store_true", help="make the user an editor")
        parser.add_argument(
            "--email",
            metavar="ADDRESS",
            help="the account's address; given by the operator, so it counts as confirmed",
        )
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument(
            "--scopes",
            default="",
            help="comma-separated: read, follow, publish (default: all the account may have)",
        )
        parser.add_argument("--expires-days", type=int, metavar="N", help="expire in N days")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        try:
            with transaction.atomic():
                user = self._user(username, options)
                scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()] or None
                days = options["expires_days"]
                if days is not None and days < 1:
                    raise CommandError("--expires-days must be 1 or more")
                expires = timezone.now() + dt.timedelta(days=days) if days else None
                token, raw = create_api_token(
                    user, options["name"] or "manage.py apitoken", scopes, expires_at=expires
                )
        except (TokenError, ValidationError) as exc:
            raise CommandError(_message(exc)) from None
        except IntegrityError:
            raise CommandError(
                f"the address {options['email']} belongs to another account"
            ) from None
        self.stderr.write(
            f"token {token.prefix}… for {user.username}, scopes {', '.join(token.scopes)}"
            + (f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "")
        )
        self.stdout.write(raw)

    def _user(self, username: str, options: dict[str, Any]) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            if not options["create"]:
                raise CommandError(f"no user {username!r}; add --create to make one")
            user = User(username=username)
            user.set_unusable_password()
            user.full_clean(exclude=["password"])
        address = options["email"]
        if address:
            validate_email(address)
            if address.lower() != user.email.lower() or user.email_verified_at is None:
                user.email, user.email_verified_at = address, timezone.now()
        if options["editor"]:
            user.is_staff = True
        user.save()
        if options["editor"]:
            user.groups.add(editors_group())
            # is_editor reads permissions, which Django caches on the instance.
            user = User.objects.get(pk=user.pk)
        return user


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)

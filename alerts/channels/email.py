import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string

from alerts.channels.base import Channel, DeliveryError, Message
from alerts.models import Delivery


class EmailChannel(Channel):
    """One SMTP connection serves a whole batch of deliveries; a failure drops it."""

    name = "email"

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, delivery: Delivery, message: Message) -> None:
        reader = delivery.reader
        if not reader.email:
            raise DeliveryError("the reader has no email address", permanent=True)
        if reader.email_verified_at is None:
            # Changed since the alert was queued: nothing goes to an address nobody confirmed.
            raise DeliveryError("the reader's address is not confirmed", permanent=True)
        context = {"message": message, "reader": reader, "SITE_NAME": settings.SITE_NAME}
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=render_to_string("alerts/email/message.txt", context),
            to=[reader.email],
            headers={
                # Stable per delivery, so a retry after a lost reply is recognisably the same mail.
                "Message-ID": f"<delivery-{delivery.id}@{urlsplit(settings.SITE_URL).hostname}>",
                "List-Unsubscribe": f"<{message.links['unsubscribe']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        email.attach_alternative(
            render_to_string("alerts/email/message.html", context), "text/html"
        )
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
        try:
            self._connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"the mail server refused {reader.email}: {codes}",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail server unavailable: {exc}") from None

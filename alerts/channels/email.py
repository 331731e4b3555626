import smtplib
from dataclasses import replace
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils.html import escape

from alerts.channels.base import Channel, DeliveryError, Message
from alerts.models import Delivery


def render(message: Message) -> tuple[str, str]:
    """The text and HTML bodies of a message."""
    context = {"message": message, "SITE_NAME": settings.SITE_NAME}
    return (
        render_to_string("alerts/email/message.txt", context),
        render_to_string("alerts/email/message.html", context),
    )


class Renderer:
    """Render each distinct message once per batch: readers of the same story with the same
    reasons get the same bodies but for their own links, which go in afterwards. The links are
    signed URLs of letters, digits and URL punctuation, so escaping them for HTML is exact."""

    def __init__(self) -> None:
        self._done: dict[str, tuple[str, str]] = {}

    def render(self, message: Message) -> tuple[str, str]:
        marks = {name: f"TIDINGSLINK{name.upper()}MARK" for name in message.links}
        # What differs between readers of one story but never shows: their ids.
        shape = replace(
            message,
            delivery_id=0,
            links=marks,
            items=[replace(item, alert_id=0) for item in message.items],
            groups={k: [replace(i, alert_id=0) for i in v] for k, v in message.groups.items()},
        )
        key = repr(shape)
        if key not in self._done:
            self._done[key] = render(shape)
        text, html = self._done[key]
        for name, mark in marks.items():
            link = message.links[name]
            text, html = text.replace(mark, link), html.replace(mark, escape(link))
        return text, html


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
        self.transmit(delivery, self.build(delivery, message, *render(message)))

    def build(
        self, delivery: Delivery, message: Message, text: str, html: str
    ) -> EmailMultiAlternatives:
        reader = delivery.reader
        if not reader.email:
            raise DeliveryError("the reader has no email address", permanent=True)
        if reader.email_verified_at is None:
            # Changed since the alert was queued: nothing goes to an address nobody confirmed.
            raise DeliveryError("the reader's address is not confirmed", permanent=True)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=text,
            to=[reader.email],
            headers={
                # Stable per delivery, so a retry after a lost reply is recognisably the same mail.
                "Message-ID": f"<delivery-{delivery.id}@{urlsplit(settings.SITE_URL).hostname}>",
                "List-Unsubscribe": f"<{message.links['unsubscribe']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        email.attach_alternative(html, "text/html")
        return email

    def transmit(self, delivery: Delivery, email: EmailMultiAlternatives) -> None:
        reader = delivery.reader
        try:
            if self._connection is None:
                self._connection = get_connection(fail_silently=False)
                # Opened here, it stays open until close(): send_messages on a closed
                # connection would open and close one for every message.
                self._connection.open()
            self._connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"the mail server refused {reader.email}: {codes}",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self.close()  # the next message tries a new connection
            raise DeliveryError(f"mail server unavailable: {exc}") from None

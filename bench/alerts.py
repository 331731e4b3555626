"""Fan-out and email delivery, each against the plainest way to do the same work, in one run.

- fan-out: `alerts.actions.fan_out` (set-based SQL, batched) writing alert rows (with their
  reasons) and delivery rows for N followers, against computing the same rows in Python and
  `bulk_create`-ing them.
- delivery: `deliver_due` (claim, noise checks, render text+HTML, send, record) to a loopback
  aiosmtpd server, against the same messages rendered beforehand and sent over one connection
  to the same server (the line speed).

It runs on a throwaway SQLite database (bench/__main__.py points DATABASE_URL at it).
"""

import datetime as dt
import time

from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import User
from alerts.actions import build_message, deliver_due, fan_out
from alerts.channels.email import render
from alerts.models import Alert, Delivery, Event, Follow, pack_reasons
from stories.actions import ensure_publisher, publish_story, save_story
from tidings.test import SMTPSink
from topics.actions import attach_ranked_topics, ensure_topic
from topics.models import StoryTopic


def _setup(readers: int) -> Event:
    call_command("migrate", verbosity=0)
    kenya = ensure_topic("Kenya", "place")
    with transaction.atomic():
        User.objects.bulk_create(
            # "!" is Django's unusable password: these readers never sign in.
            [User(username=f"bench{i}", email=f"bench{i}@example.com", password="!",  # noqa: S106
                  email_verified_at=timezone.now()) for i in range(readers)], batch_size=2000,
        )  # fmt: skip
        readers_ = User.objects.filter(username__startswith="bench")
        Follow.objects.bulk_create(
            [Follow(reader=u, topic=kenya) for u in readers_], batch_size=2000
        )
        publisher = ensure_publisher("bench", name="Bench", copyright_holder="Bench Ltd")
        story = save_story("bench-story", headline="Kenya votes", body="Polls open.",
                           publisher=publisher)  # fmt: skip
        attach_ranked_topics(story, [kenya.id])
        publish_story(story)
    return Event.objects.get(story=story)


def _clear(event: Event) -> None:
    Alert.objects.filter(story=event.story).delete()
    Event.objects.filter(id=event.id).update(fanned_out_at=None)


def _naive(event: Event) -> None:
    """The same rows, the obvious way: read matches into Python, then bulk insert."""
    now = timezone.now()
    with transaction.atomic():
        matches = list(
            Follow.objects.filter(topic__story_topics__story=event.story_id).values_list(
                "reader_id", "topic_id", "topic__story_topics__role"
            )
        )
        alerts = Alert.objects.bulk_create(
            [Alert(reader_id=r, story_id=event.story_id, event=event, cadence="instant",
                   created_at=now, reasons=pack_reasons([(role, t, None)]))
             for r, t, role in matches], batch_size=1000,
        )  # fmt: skip
        Delivery.objects.bulk_create(
            [Delivery(reader_id=a.reader_id, channel="email", alert=a) for a in alerts],
            batch_size=1000,
        )


def run(quick: bool = False) -> None:
    readers = 10_000 if quick else 100_000
    emails = 200 if quick else 1000
    print(f"setting up {readers} readers following one topic…", flush=True)
    event = _setup(readers)
    assert StoryTopic.objects.filter(story=event.story).count() == 1

    fan_times, naive_times = [], []
    for round_ in range(3):
        _clear(event)
        start = time.perf_counter()
        count = fan_out(event.id)
        fan_times.append(time.perf_counter() - start)
        assert count == readers, count
        _clear(event)
        start = time.perf_counter()
        _naive(event)
        naive_times.append(time.perf_counter() - start)
        print(f"  round {round_ + 1}/3: fan_out {fan_times[-1]:.2f} s, "
              f"bulk_create {naive_times[-1]:.2f} s", flush=True)  # fmt: skip
    fan, naive = min(fan_times), min(naive_times)
    print(f"fan-out:      {readers / fan:8.0f} readers/s  ({fan:.2f} s for {readers})")
    print(f"bulk_create:  {readers / naive:8.0f} readers/s  ({naive:.2f} s)  [baseline]")
    print(f"ratio:        {naive / fan:.2f}x the baseline's throughput")

    _clear(event)
    fan_out(event.id)
    Delivery.objects.exclude(id__in=Delivery.objects.order_by("id").values("id")[:emails]).delete()
    first = Delivery.objects.select_related("reader").first()
    assert first is not None
    message = build_message(first, [])
    text, html = render(message)
    sink = SMTPSink()
    ours_times, plain_times = [], []
    with sink.running(), override_settings(**sink.settings()):
        for round_ in range(3):
            # Each round's alerts are new to the readers: the last round's emails are dated two
            # days back, so that neither the caps nor the burst rule holds these.
            Delivery.objects.filter(state=Delivery.State.SENT).update(
                sent_at=timezone.now() - dt.timedelta(days=2)
            )
            Delivery.objects.update(state=Delivery.State.PENDING, attempts=0,
                                    next_attempt_at=timezone.now())  # fmt: skip
            start = time.perf_counter()
            sent = deliver_due(limit=emails)
            ours_times.append(time.perf_counter() - start)
            assert sent == emails, sent
            # The baseline: the same messages (both parts, the same headers), rendered
            # beforehand, handed to the same server over one connection: the line speed.
            prebuilt = []
            for i in range(emails):
                mail = EmailMultiAlternatives(
                    message.subject, text, None, [f"bench{i}@example.com"],
                    headers={"Message-ID": f"<bench-{i}@bench>",
                             "List-Unsubscribe": f"<{message.links['unsubscribe']}>",
                             "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                )  # fmt: skip
                mail.attach_alternative(html, "text/html")
                prebuilt.append(mail)
            wire = get_connection(fail_silently=False)
            start = time.perf_counter()
            wire.open()
            for mail in prebuilt:
                wire.send_messages([mail])
            wire.close()
            plain_times.append(time.perf_counter() - start)
            print(f"  round {round_ + 1}/3: deliver_due {ours_times[-1]:.2f} s, "
                  f"pre-rendered {plain_times[-1]:.2f} s", flush=True)  # fmt: skip
    assert len(sink.messages) == 6 * emails
    ours, plain = min(ours_times), min(plain_times)
    print(f"delivery:     {emails / ours:8.0f} emails/s  ({emails} alerts: claim, noise control, "
          "render, send, record)")  # fmt: skip
    print(
        f"pre-rendered: {emails / plain:8.0f} emails/s  [baseline: same messages, one connection]"
    )
    print(f"ratio:        {plain / ours:.2f}x the baseline's throughput")

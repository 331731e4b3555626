"""Reader accounts: sign up, sign in (throttled), reset a password by email, settings."""

import ipaddress
import re
from typing import Any

import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from accounts.models import Throttle, User
from tidings.test import PASSWORD, BaseTestCase

FORM = {"password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"}


class SignupTests(BaseTestCase):
    def sign_up(self, username: str, email: str, **extra: str) -> Any:
        return self.client.post(
            "/account/signup/", {"username": username, "email": email, **FORM, **extra}
        )

    def confirm_link(self) -> str:
        (message,) = mail.outbox
        url = re.search(r"https?://\S+/account/confirm/\S+/", str(message.body))
        assert url is not None, message.body
        return url.group().split("://", 1)[1].split("/", 1)[1].join(["/", ""])

    def test_sign_up_confirms_the_address_by_email_then_signs_in(self) -> None:
        response = self.sign_up("dana", "dana@example.com")
        self.assertRedirects(response, "/account/signup/check-email/")
        self.assertContains(self.client.get(response["Location"]), "dana@example.com")
        dana = User.objects.get(username="dana")
        self.assertEqual(identify_hasher(dana.password).algorithm, "argon2")
        self.assertIsNone(dana.email_verified_at)
        self.assertIsNone(self.client.get("/").context["user"].pk, "not signed in yet")
        link = self.confirm_link()
        self.assertContains(self.client.get(link), "Confirm and sign in")
        dana.refresh_from_db()
        self.assertIsNone(dana.email_verified_at, "a GET (a mail scanner) confirms nothing")
        self.assertRedirects(self.client.post(link), "/topics/")
        dana.refresh_from_db()
        self.assertIsNotNone(dana.email_verified_at)
        self.assertEqual(self.client.get("/").context["user"], dana)
        self.client.logout()
        self.assertContains(self.client.get(link), "This link does not work", status_code=400)

    def test_an_address_in_use_gets_the_same_answer_and_its_owner_an_email(self) -> None:
        taken = self.sign_up("alice2", "ALICE@example.com")
        self.assertRedirects(taken, "/account/signup/check-email/")
        (message,) = mail.outbox
        self.assertEqual(message.to, ["alice@example.com"])
        self.assertIn("already belongs to your account", message.body)
        self.assertFalse(User.objects.filter(username="alice2").exists())
        fresh = self.client_class().post(
            "/account/signup/", {"username": "erin", "email": "erin@example.com", **FORM}
        )
        self.assertEqual(
            (taken.status_code, taken["Location"]), (fresh.status_code, fresh["Location"])
        )

    def test_sign_ups_are_limited_per_client_and_emails_per_address(self) -> None:
        for number in range(5):
            self.assertEqual(
                self.sign_up(f"bot{number}", f"bot{number}@example.com").status_code, 302
            )
        response = self.sign_up("bot5", "bot5@example.com")
        self.assertContains(response, "5 accounts were created from your network")
        self.assertFalse(User.objects.filter(username="bot5").exists())
        mail.outbox.clear()
        for number in range(5):
            self.client_class().post(
                "/account/signup/",
                {"username": f"x{number}", "email": "alice@example.com", **FORM},
                REMOTE_ADDR="198.51.100.1",
            )
        self.assertEqual(len(mail.outbox), 3, "three emails an hour to one address per sender")
        for number in range(12):
            self.client_class().post(
                "/account/signup/",
                {"username": f"y{number}", "email": "alice@example.com", **FORM},
                REMOTE_ADDR=f"198.51.100.{10 + number}",
            )
        self.assertEqual(len(mail.outbox), 3 + 7, "and ten from all strangers together")
        # alice asking from her settings is not silenced by them.
        alice = User.objects.get(username="alice")
        User.objects.filter(pk=alice.pk).update(email_verified_at=None)
        self.client.force_login(alice)
        self.client.post("/account/confirm-again/")
        self.assertEqual(mail.outbox[-1].to, ["alice@example.com"])
        self.assertIn("Confirm your address", mail.outbox[-1].subject)

    def test_an_unconfirmed_squatter_loses_the_address_to_the_next_sign_up(self) -> None:
        self.client_class().post(
            "/account/signup/", {"username": "squatter", "email": "dana@example.com", **FORM},
            REMOTE_ADDR="198.51.100.66",
        )  # fmt: skip
        mail.outbox.clear()
        self.sign_up("dana", "dana@example.com")
        self.assertFalse(User.objects.filter(username="squatter").exists())
        self.assertEqual(self.confirm_link().count("/account/confirm/"), 1)
        self.client.post(self.confirm_link())
        self.assertEqual(self.client.get("/").context["user"].username, "dana")

    def test_a_password_reset_confirms_the_address(self) -> None:
        self.sign_up("dana", "dana@example.com")
        mail.outbox.clear()
        self.client.post("/account/reset/", {"email": "dana@example.com"})
        (message,) = mail.outbox
        link = re.search(r"/account/reset/[^/\s]+/[^/\s]+/", str(message.body))
        assert link is not None
        form_page = self.client.get(link.group(), follow=True)
        self.client.post(
            form_page.redirect_chain[-1][0],
            {
                "new_password1": "another-long-passphrase",
                "new_password2": "another-long-passphrase",
            },
        )
        self.assertIsNotNone(User.objects.get(username="dana").email_verified_at)

    def test_alert_emails_wait_for_a_confirmed_address(self) -> None:
        from alerts.actions import deliver_due, fan_out, follow_topic
        from alerts.models import Delivery, Event
        from topics.models import Topic

        self.sign_up("dana", "dana@example.com")
        dana = User.objects.get(username="dana")
        follow_topic(dana, Topic.objects.get_or_create(name="Kenya", kind="place")[0])
        fan_out(Event.objects.get(story=self.make_story()).id)
        self.assertFalse(Delivery.objects.filter(reader=dana, channel="email").exists())
        mail.outbox.clear()
        deliver_due()
        self.assertEqual(mail.outbox, [])

    def test_a_changed_address_is_unconfirmed_until_its_link_is_used(self) -> None:
        self.client.force_login(self.alice)
        data = {"email": "alice@new.example", "timezone": "UTC", "default_cadence": "instant",
                "digest_time": "07:00", "weekly_digest_day": 0, "max_alerts_per_hour": 6,
                "max_alerts_per_day": 20, "email_alerts": "on"}  # fmt: skip
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post("/account/settings/", data)
        self.alice.refresh_from_db()
        self.assertIsNone(self.alice.email_verified_at)
        self.assertEqual(mail.outbox[0].to, ["alice@new.example"])
        self.assertContains(self.client.get("/account/settings/"), "is not confirmed yet")
        response = self.client.post("/account/settings/", {**data, "email": "CHARLIE@example.com"})
        self.assertContains(response, "This address belongs to another account.")


class LookAlikeSignupTests(BaseTestCase):
    def test_a_name_that_normalises_to_an_existing_one_is_refused(self) -> None:
        for name in ("ａｌｉｃｅ", "ALICE", "Ａｌｉｃｅ"):
            with self.subTest(name):
                response = self.client.post(
                    "/account/signup/",
                    {"username": name, "email": "new@example.com",
                     "password1": "a-long-unusual-passphrase",
                     "password2": "a-long-unusual-passphrase"},
                )  # fmt: skip
                self.assertContains(response, "already exists")
        self.assertEqual(User.objects.filter(username__iexact="alice").count(), 1)


class LoginTests(BaseTestCase):
    def login(self, password: str, username: str = "alice", addr: str = "203.0.113.5") -> int:
        response = self.client.post(
            "/login/", {"username": username, "password": password}, REMOTE_ADDR=addr
        )
        return response.status_code

    def test_failures_slow_a_name_down_progressively_but_never_shut_it(self) -> None:
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            for _ in range(5):
                self.assertEqual(self.login("wrong", addr="198.51.100.1"), 200)
            response = self.client.post(
                "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.1"
            )
            self.assertContains(response, "Try again in 5 seconds")
            self.assertEqual(self.login(PASSWORD, username="charlie"), 302, "others go on")
            self.client.logout()
            clock.shift(6)
            self.assertEqual(self.login("wrong", addr="198.51.100.1"), 200)
            response = self.client.post(
                "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.1"
            )
            self.assertContains(response, "Try again in 10 seconds", msg_prefix="the wait grows")
            clock.shift(11)
            self.assertEqual(
                self.login(PASSWORD, addr="198.51.100.1"), 302, "in after the wait, even there"
            )

    def test_look_alike_names_share_one_count(self) -> None:
        for name in ("ａｌｉｃｅ", "ALICE", "Alice", "ＡＬＩＣＥ", "alice "):
            self.login("wrong", username=name, addr="198.51.100.2")
        response = self.client.post(
            "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.2"
        )
        self.assertContains(response, "Too many failed sign-in attempts for this name")

    def test_a_stranger_cannot_lock_a_reader_out_of_a_browser_she_used_before(self) -> None:
        self.assertEqual(self.login(PASSWORD), 302)
        self.assertIn("tidings_device", self.client.cookies)
        self.client.post("/logout/")
        stranger = self.client_class()
        for _ in range(20):
            stranger.post("/login/", {"username": "alice", "password": "guess"},
                          REMOTE_ADDR="198.51.100.3")  # fmt: skip
        self.assertEqual(self.login(PASSWORD), 302, "her own browser still signs in")
        self.client.post("/logout/")
        self.assertEqual(
            self.login(PASSWORD, addr="198.51.100.3"), 302, "even from the stranger's address"
        )
        new_device = self.client_class()
        response = new_device.post(
            "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
        )
        self.assertEqual(response.status_code, 302, "a new browser elsewhere is not held up")
        at_the_strangers = self.client_class()
        response = at_the_strangers.post(
            "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.3"
        )
        self.assertContains(response, "Try again in")
        forged = self.client_class()
        forged.cookies["tidings_device"] = "not-signed-by-us"
        response = forged.post(
            "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.3"
        )
        self.assertContains(response, "Try again in")

    def test_guessing_one_name_from_many_addresses_slows_it_everywhere(self) -> None:
        for number in range(50):
            self.login("wrong", addr=f"10.9.{number // 200}.{number % 200}")
        response = self.client_class().post(
            "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="203.0.113.20"
        )
        self.assertContains(response, "Try again in")

    def test_an_unconfirmed_account_cannot_sign_in_with_its_password(self) -> None:
        User.objects.filter(pk=self.alice.pk).update(email_verified_at=None)
        response = self.client.post("/login/", {"username": "alice", "password": PASSWORD})
        self.assertContains(response, "Confirm your address first")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_the_newsroom_sign_in_is_throttled_too(self) -> None:
        for _ in range(5):
            response = self.client.post(
                "/admin/login/", {"username": "bob", "password": "wrong"}, REMOTE_ADDR="192.0.2.9"
            )
            self.assertEqual(response.status_code, 200)
        response = self.client.post(
            "/admin/login/", {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="192.0.2.9"
        )
        self.assertContains(response, "Too many failed sign-in attempts for this name")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_one_address_guessing_many_names_is_stopped(self) -> None:
        for i in range(30):
            self.login("wrong", username=f"name{i}")
        self.assertEqual(self.login(PASSWORD, username="charlie"), 200)
        self.assertEqual(self.login(PASSWORD, username="charlie", addr="198.51.100.7"), 302)

    def test_right_password_signs_in(self) -> None:
        self.assertEqual(self.login(PASSWORD), 302)


class PasswordResetTests(BaseTestCase):
    def test_reset_answers_the_same_and_is_limited_per_address_and_client(self) -> None:
        unknown = self.client.post("/account/reset/", {"email": "nobody@example.com"})
        known = self.client.post("/account/reset/", {"email": "alice@example.com"})
        self.assertEqual(
            (unknown.status_code, unknown["Location"]), (known.status_code, known["Location"])
        )
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("http://127.0.0.1:8000/account/reset/", mail.outbox[0].body, "SITE_URL links")
        for _ in range(4):
            self.client.post("/account/reset/", {"email": "alice@example.com"})
        self.assertEqual(len(mail.outbox), 3, "three an hour to one address from one client")
        for number in range(12):
            self.client.post("/account/reset/", {"email": "alice@example.com"},
                             REMOTE_ADDR=f"192.0.2.{number}")  # fmt: skip
        self.assertEqual(len(mail.outbox), 10, "ten from everyone together, then none")
        for number in range(12):
            self.client.post("/account/reset/", {"email": f"user{number}@example.com"},
                             REMOTE_ADDR="203.0.113.77")  # fmt: skip
        self.assertEqual(
            Throttle.objects.get(key="reset:ip:203.0.113.77").count, 10, "per client too"
        )

    def test_reset_by_email_link(self) -> None:
        self.client.post("/account/reset/", {"email": "alice@example.com"})
        (message,) = mail.outbox
        self.assertEqual(message.subject, "Reset your password")
        link = re.search(r"https?://[^/]+(/account/reset/\S+/)", str(message.body))
        assert link is not None
        response = self.client.get(link.group(1), follow=True)
        new = "another-long-passphrase"
        response = self.client.post(
            response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
        )
        self.assertRedirects(response, "/account/reset/done/")
        self.assertTrue(self.client.login(username="alice", password=new))

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self) -> None:
        response = self.client.post("/account/reset/", {"email": "nobody@example.com"})
        self.assertRedirects(response, "/account/reset/sent/")
        self.assertEqual(mail.outbox, [])


class SettingsTests(BaseTestCase):
    def test_save_timezone_quiet_hours_and_cadence(self) -> None:
        self.client.force_login(self.alice)
        form = self.client.get("/account/settings/").context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        data.update(timezone="Europe/Lisbon", quiet_start="22:00", quiet_end="07:00",
                    default_cadence="daily", email_alerts="on")  # fmt: skip
        response = self.client.post("/account/settings/", data)
        self.assertRedirects(response, "/account/settings/")
        self.alice.refresh_from_db()
        self.assertEqual((self.alice.timezone, str(self.alice.quiet_start)),
                         ("Europe/Lisbon", "22:00:00"))  # fmt: skip

    def test_half_of_quiet_hours_is_refused(self) -> None:
        self.client.force_login(self.alice)
        form = self.client.get("/account/settings/").context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        data.update(quiet_start="22:00")
        response = self.client.post("/account/settings/", data)
        self.assertContains(response, "Give both ends of your quiet hours")


class ClientAddressTests(BaseTestCase):
    def fail_login(self, forwarded: str, remote: str = "10.0.0.2") -> None:
        self.client.post(
            "/login/", {"username": f"nobody-{forwarded}", "password": "wrong"},
            REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded,
        )  # fmt: skip

    def keys(self) -> set[str]:
        return set(
            Throttle.objects.filter(key__startswith="login:ip:").values_list("key", flat=True)
        )

    def test_without_trusted_proxies_the_socket_address_counts(self) -> None:
        self.fail_login("203.0.113.1")
        self.fail_login("203.0.113.2")
        self.assertEqual(self.keys(), {"login:ip:10.0.0.2"})

    @override_settings(TRUSTED_PROXY_NETWORKS=[ipaddress.ip_network("10.0.0.0/24")])
    def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(self) -> None:
        self.fail_login("203.0.113.1")
        self.fail_login("203.0.113.2, 10.0.0.7")  # through a second proxy of ours
        # A visitor who writes the header themselves only adds addresses on the left.
        self.fail_login("198.51.100.99, 203.0.113.3")
        # Straight from the internet: the header is not believed at all.
        self.fail_login("198.51.100.50", remote="192.0.2.10")
        self.assertEqual(
            self.keys(),
            {"login:ip:203.0.113.1", "login:ip:203.0.113.2", "login:ip:203.0.113.3",
             "login:ip:192.0.2.10"},
        )  # fmt: skip
        # Comments use the same address.
        story = self.make_story()
        self.client.force_login(self.alice)
        self.client.post(
            f"/comments/on/{story.slug}/", {"body": "Hello"},
            REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.8",
        )  # fmt: skip
        self.assertTrue(Throttle.objects.filter(key="comment:ip:203.0.113.8").exists())

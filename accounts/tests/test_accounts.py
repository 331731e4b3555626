"""Reader accounts: sign up, sign in (throttled), reset a password by email, settings."""

import ipaddress
import re

import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from accounts.models import Throttle, User
from tidings.test import PASSWORD, BaseTestCase


class SignupTests(BaseTestCase):
    def test_sign_up_signs_in_with_an_argon2_hash(self) -> None:
        response = self.client.post(
            "/account/signup/",
            {"username": "dana", "email": "dana@example.com",
             "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"},
        )  # fmt: skip
        self.assertRedirects(response, "/topics/")
        dana = User.objects.get(username="dana")
        self.assertEqual(identify_hasher(dana.password).algorithm, "argon2")
        self.assertEqual(self.client.get("/").context["user"], dana)

    def test_an_address_in_use_is_refused(self) -> None:
        response = self.client.post(
            "/account/signup/",
            {"username": "alice2", "email": "ALICE@example.com",
             "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase"},
        )  # fmt: skip
        self.assertContains(response, "An account already uses this address")


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
            response = self.client.post("/login/", {"username": "alice", "password": PASSWORD})
            self.assertContains(response, "Try again in 5 seconds")
            self.assertEqual(self.login(PASSWORD, username="charlie"), 302, "others go on")
            self.client.logout()
            clock.shift(6)
            self.assertEqual(self.login("wrong", addr="198.51.100.1"), 200)
            response = self.client.post("/login/", {"username": "alice", "password": PASSWORD})
            self.assertContains(response, "Try again in 10 seconds", msg_prefix="the wait grows")
            clock.shift(11)
            self.assertEqual(self.login(PASSWORD), 302, "the real reader gets in after the wait")

    def test_look_alike_names_share_one_count(self) -> None:
        for name in ("ａｌｉｃｅ", "ALICE", "Alice", "ＡＬＩＣＥ", "alice "):
            self.login("wrong", username=name, addr="198.51.100.2")
        response = self.client.post("/login/", {"username": "alice", "password": PASSWORD})
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
        new_device = self.client_class()
        response = new_device.post("/login/", {"username": "alice", "password": PASSWORD})
        self.assertContains(response, "Try again in")
        forged = self.client_class()
        forged.cookies["tidings_device"] = "not-signed-by-us"
        response = forged.post("/login/", {"username": "alice", "password": PASSWORD})
        self.assertContains(response, "Try again in")

    def test_the_newsroom_sign_in_is_throttled_too(self) -> None:
        for _ in range(5):
            response = self.client.post(
                "/admin/login/", {"username": "bob", "password": "wrong"}, REMOTE_ADDR="192.0.2.9"
            )
            self.assertEqual(response.status_code, 200)
        response = self.client.post("/admin/login/", {"username": "bob", "password": PASSWORD})
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

"""Reader accounts: sign up, sign in (throttled), reset a password by email, settings."""

import re

from django.contrib.auth.hashers import identify_hasher
from django.core import mail

from accounts.models import User
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


class LoginTests(BaseTestCase):
    def login(self, password: str, username: str = "alice", addr: str = "203.0.113.5") -> int:
        response = self.client.post(
            "/login/", {"username": username, "password": password}, REMOTE_ADDR=addr
        )
        return response.status_code

    def test_five_wrong_passwords_lock_the_name_for_a_while(self) -> None:
        for _ in range(5):
            self.assertEqual(self.login("wrong"), 200)
        response = self.client.post("/login/", {"username": "alice", "password": PASSWORD})
        self.assertContains(response, "Too many failed sign-in attempts")
        self.assertEqual(self.login(PASSWORD, username="charlie"), 302, "others are not locked")

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

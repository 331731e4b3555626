"""The integrator API (/api/v1/): tokens, scopes, whose data a token reaches, the shapes the
issue promised, errors, rate limits and ETags. Every call goes through the HTTP surface."""

import datetime as dt
import json
from io import StringIO
from typing import Any

import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from accounts.actions import create_api_token, revoke_api_token, token_digest
from accounts.models import ApiToken, User
from alerts.actions import fan_out
from alerts.models import Alert, Event, Follow, WebhookEndpoint
from stories.models import Story
from tidings.test import BaseTestCase
from topics.actions import ensure_topic
from topics.models import StoryTopic, Topic

QUAY = {
    "headline": "Port Elsby to open northern quay",
    "standfirst": "The Harbour Authority doubles its capacity",
    "body": [
        "The Harbour Authority of Port Elsby said on Monday that Mara Lindqvist, its chief "
        "executive, would open the new northern quay in March.",
        'Ms Lindqvist told reporters the quay would double capacity. "This is the largest '
        'investment the Harbour Authority has made," she said.',
    ],
    "byline": "Ana Costa",
    "publish": True,
}
TEXT_STORY = (
    "Kestrel Energy wins Port Elsby wind contract\n\n"
    "Kestrel Energy said on Tuesday it had won the contract to build forty turbines off Port "
    "Elsby, the harbour city whose council approved the plan last week.\n\n"
    "The turbines will be assembled at the northern quay, the company said."
)


class ApiTestCase(BaseTestCase):
    def setUp(self) -> None:
        cache.clear()  # rate-limit counts from other tests' calls
        self.api = Client()
        self.editor_token = create_api_token(self.bob, "cms")[1]
        self.alice_token = create_api_token(self.alice, "alice's tool")[1]
        self.charlie_token = create_api_token(self.charlie, "charlie's tool")[1]

    def call(
        self, method: str, path: str, token: str | None = None, body: Any = None, **headers: str
    ) -> Any:
        extra = {f"HTTP_{k.upper()}": v for k, v in headers.items()}
        if token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        data = None if body is None else (body if isinstance(body, str) else json.dumps(body))
        return getattr(self.api, method.lower())(
            "/api/v1" + path, data=data, content_type="application/json", **extra
        )

    def assertError(self, response: Any, status: int, code: str, field: str | None = None) -> None:
        self.assertEqual(response.status_code, status, response.content)
        error = response.json()["error"]
        self.assertEqual(error["code"], code)
        self.assertTrue(error["message"])
        if field is not None:
            self.assertEqual(error["field"], field)

    def publish(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.call("POST", "/stories", self.editor_token, body or QUAY)
        self.assertEqual(response.status_code, 201, response.content)
        return response.json()


class TokenTests(ApiTestCase):
    def test_apitoken_creates_people_and_prints_a_working_token(self) -> None:
        out, err = StringIO(), StringIO()
        call_command(
            "apitoken", "dana", "--create", "--editor", "--email", "dana@example.test",
            stdout=out, stderr=err,
        )  # fmt: skip
        raw = out.getvalue().split()[-1]
        dana = User.objects.get(username="dana")
        self.assertTrue(dana.is_editor)
        self.assertIsNotNone(dana.email_verified_at, "the operator vouches for the address")
        self.assertFalse(dana.has_usable_password())
        token = ApiToken.objects.get(user=dana)
        self.assertEqual(token.digest, token_digest(raw))
        self.assertNotIn(
            raw, json.dumps(list(ApiToken.objects.values()), default=str), "stored hashed"
        )
        self.assertEqual(sorted(token.scopes), ["follow", "publish", "read"])
        self.assertEqual(self.call("GET", "/me/follows", raw).status_code, 200)
        with self.assertRaisesMessage(CommandError, "add --create"):
            call_command("apitoken", "nobody", stdout=out, stderr=err)
        with self.assertRaisesMessage(CommandError, "only editors"):
            call_command("apitoken", "alice", "--scopes", "publish", stdout=out, stderr=err)
        with self.assertRaisesMessage(CommandError, "unknown scope"):
            call_command("apitoken", "alice", "--scopes", "admin", stdout=out, stderr=err)

    def test_revoked_expired_unknown_and_malformed_tokens_get_401(self) -> None:
        token, raw = create_api_token(
            self.alice, "short", expires_at=timezone.now() + dt.timedelta(days=1)
        )
        self.assertEqual(self.call("GET", "/me/alerts", raw).status_code, 200)
        with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
            self.assertError(self.call("GET", "/me/alerts", raw), 401, "invalid_token")
        revoke_api_token(token)
        self.assertError(self.call("GET", "/me/alerts", raw), 401, "invalid_token")
        self.assertError(self.call("GET", "/me/alerts", "tid_made-up"), 401, "invalid_token")
        self.assertError(
            self.call("GET", "/me/alerts", Authorization="Basic YWxpY2U6eA=="),
            401,
            "unauthenticated",
        )
        self.assertError(self.call("GET", "/me/alerts"), 401, "unauthenticated")
        # A wrong token on a public read is an error too, never a silent anonymous visit.
        self.assertError(self.call("GET", "/stories", "tid_made-up"), 401, "invalid_token")
        User.objects.filter(pk=self.alice.pk).update(is_active=False)
        self.assertError(self.call("GET", "/me/alerts", self.alice_token), 401, "invalid_token")

    def test_use_is_recorded(self) -> None:
        self.call("GET", "/me/follows", self.alice_token)
        token = ApiToken.objects.get(digest=token_digest(self.alice_token))
        self.assertIsNotNone(token.last_used_at)

    def test_readers_make_and_revoke_tokens_on_their_settings_page(self) -> None:
        self.client.force_login(self.alice)
        page = self.client.get("/account/tokens/")
        self.assertNotContains(page, 'value="publish"', msg_prefix="readers cannot publish")
        response = self.client.post(
            "/account/tokens/", {"name": "Slack bot", "scopes": ["read"], "expires_in_days": "30"}
        )
        self.assertEqual(response["Cache-Control"], "no-store")
        raw = response.context["new_token"]
        self.assertContains(response, raw)
        self.assertEqual(self.call("GET", "/me/alerts", raw).status_code, 200)
        self.assertNotContains(self.client.get("/account/tokens/"), raw, msg_prefix="shown once")
        token = ApiToken.objects.get(name="Slack bot")
        self.assertEqual(token.scopes, ["read"])
        self.client.post("/account/tokens/", {"revoke": str(token.pk)})
        self.assertEqual(self.call("GET", "/me/alerts", raw).status_code, 401)
        # Someone else's token cannot be revoked from this page.
        other = ApiToken.objects.get(digest=token_digest(self.charlie_token))
        self.client.post("/account/tokens/", {"revoke": str(other.pk)})
        self.assertEqual(self.call("GET", "/me/alerts", self.charlie_token).status_code, 200)
        response = self.client.post("/account/tokens/", {"name": "x", "scopes": ["publish"]})
        self.assertContains(response, "Select a valid choice")


class PermissionTests(ApiTestCase):
    def test_a_readers_token_cannot_publish_and_scopes_are_enforced(self) -> None:
        self.assertError(
            self.call("POST", "/stories", self.alice_token, QUAY), 403, "insufficient_scope"
        )
        self.assertFalse(Story.objects.exists())
        read_only = create_api_token(self.alice, "read only", ["read"])[1]
        topic = ensure_topic("Port Elsby", Topic.Kind.PLACE)
        follow = {"topic": topic.slug}
        self.assertError(
            self.call("POST", "/me/follows", read_only, follow), 403, "insufficient_scope"
        )
        self.assertEqual(self.call("GET", "/me/follows", read_only).status_code, 200)
        no_read = create_api_token(self.alice, "write only", ["follow"])[1]
        self.assertError(self.call("GET", "/me/alerts", no_read), 403, "insufficient_scope")
        # An editor's token stops publishing the day the account stops being an editor.
        self.bob.groups.clear()
        User.objects.filter(pk=self.bob.pk).update(is_staff=False)
        self.assertError(
            self.call("POST", "/stories", self.editor_token, QUAY), 403, "not_an_editor"
        )

    def test_charlie_cannot_reach_alices_follows_alerts_or_webhooks(self) -> None:
        story = self.make_story()
        topic = Topic.objects.get(name="Kenya")
        self.assertEqual(
            self.call("POST", "/me/follows", self.alice_token, {"topic": topic.slug}).status_code,
            201,
        )
        alert = Alert.objects.create(reader=self.alice, story=story, cadence="instant")
        with override_settings(WEBHOOK_ALLOW=["127.0.0.1"]):
            made = self.call(
                "POST", "/me/webhooks", self.alice_token, {"url": "http://127.0.0.1:9/hook"}
            )
        self.assertEqual(made.status_code, 201, made.content)
        hook = made.json()["id"]
        self.assertEqual(self.call("GET", "/me/follows", self.charlie_token).json(), {"items": []})
        self.assertEqual(self.call("GET", "/me/alerts", self.charlie_token).json()["items"], [])
        self.assertEqual(self.call("GET", "/me/webhooks", self.charlie_token).json(), {"items": []})
        self.assertError(
            self.call("POST", f"/me/alerts/{alert.pk}/read", self.charlie_token), 404, "not_found"
        )
        self.assertError(
            self.call("DELETE", f"/me/webhooks/{hook}", self.charlie_token), 404, "not_found"
        )
        self.assertError(
            self.call("PATCH", f"/me/follows/{topic.slug}", self.charlie_token, {"muted": True}),
            404,
            "not_found",
        )
        self.assertError(
            self.call("DELETE", f"/me/follows/{topic.slug}", self.charlie_token), 404, "not_found"
        )
        self.assertTrue(Follow.objects.filter(reader=self.alice, muted=False).exists())
        self.assertTrue(WebhookEndpoint.objects.filter(pk=hook).exists())
        self.assertIsNone(Alert.objects.get(pk=alert.pk).read_at)

    def test_drafts_are_for_editors_only(self) -> None:
        draft = self.publish({**QUAY, "publish": False})
        self.assertEqual(draft["status"], "draft")
        self.assertError(self.call("GET", f"/stories/{draft['id']}"), 404, "not_found")
        self.assertError(
            self.call("GET", f"/stories/{draft['id']}", self.alice_token), 404, "not_found"
        )
        self.assertEqual(
            self.call("GET", f"/stories/{draft['id']}", self.editor_token).status_code, 200
        )
        self.assertEqual(self.call("GET", "/stories").json()["items"], [])

    def test_the_sites_session_needs_its_csrf_token_for_writes(self) -> None:
        topic = ensure_topic("Port Elsby", Topic.Kind.PLACE)
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.alice)
        self.assertEqual(browser.get("/api/v1/me/follows").status_code, 200)
        body = json.dumps({"topic": topic.slug})
        response = browser.post("/api/v1/me/follows", body, content_type="application/json")
        self.assertError(response, 403, "forbidden")
        browser.get("/account/settings/")
        csrf = browser.cookies["csrftoken"].value
        response = browser.post(
            "/api/v1/me/follows", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
        )
        self.assertEqual(response.status_code, 201)


class StoryShapeTests(ApiTestCase):
    def test_publishing_a_structured_story_answers_with_its_topics(self) -> None:
        photo = {"url": "https://images.example/quay.jpg", "alt_text": "Cranes on a quay",
                 "photographer": "Lena Brandt", "agency": "Coast"}  # fmt: skip
        data = self.publish({**QUAY, "photo": photo})
        self.assertEqual(data["status"], "published")
        self.assertTrue(data["url"].endswith(f"/stories/{data['slug']}/"))
        self.assertEqual(data["photo"]["credit"], "Photo by Lena Brandt/Coast")
        names = {t["name"] for t in data["topics"]}
        self.assertIn("Mara Lindqvist", names)
        roles = [t["role"] for t in data["topics"]]
        self.assertEqual(roles.count("primary"), 1)
        for topic in data["topics"]:
            self.assertEqual(set(topic), {"slug", "name", "kind", "role", "salience"})
        story = Story.objects.get(pk=data["id"])
        self.assertEqual(story.created_by, self.bob)
        self.assertEqual(story.paragraphs(), QUAY["body"])
        self.assertEqual(
            self.call("GET", f"/stories/{data['id']}").json()["rights"]["byline"], "Ana Costa"
        )

    def test_text_and_html_go_through_the_ingest_pipeline_and_repeats_are_refused(self) -> None:
        data = self.publish({"text": TEXT_STORY, "publish": True})
        self.assertEqual(data["headline"], "Kestrel Energy wins Port Elsby wind contract")
        self.assertIn("Kestrel Energy", {t["name"] for t in data["topics"]})
        again = self.call("POST", "/stories", self.editor_token, {"text": TEXT_STORY})
        self.assertError(again, 409, "duplicate")
        page = (
            "<html><head><title>Ferry strike ends</title></head><body><article>"
            "<h1>Ferry strike in Port Elsby ends after talks</h1>"
            "<p>Ferry crews in Port Elsby returned to work on Friday after the Harbour Workers "
            "Union accepted a new pay offer from Elsby Ferries, the operator said.</p>"
            "<p>The strike had stranded hundreds of travellers for three days.</p>"
            "</article></body></html>"
        )
        html = self.publish({"html": page, "url": "https://news.example/ferry", "publish": False})
        self.assertEqual(html["status"], "draft")
        self.assertEqual(html["headline"], "Ferry strike in Port Elsby ends after talks")
        empty = {"html": "<html><body></body></html>"}
        self.assertError(
            self.call("POST", "/stories", self.editor_token, empty), 422, "unreadable", "html"
        )

    def test_bad_stories_name_the_field_and_save_nothing(self) -> None:
        plain = {"headline": "H", "body": ["x"]}
        cases: dict[str, tuple[dict[str, Any], str | None]] = {
            "no headline": ({"body": ["Text."]}, None),
            "two sources": ({"headline": "H", "body": ["x"], "text": "y"}, None),
            "long headline": ({"headline": "H" * 301, "body": ["x"]}, "headline"),
            "empty body": ({"headline": "H", "body": []}, "body"),
            "body of spaces": ({"headline": "H", "body": ["   "]}, None),
            "publish as text": ({"headline": "H", "body": ["x"], "publish": "yes"}, "publish"),
            "photo over http": (
                {**plain, "photo": {"url": "http://x.example/a.jpg", "alt_text": "a"}}, "photo.url"
            ),
            "photo without alt": (
                {**plain, "photo": {"url": "https://x.example/a.jpg"}}, "photo.alt_text"
            ),
            "unknown publisher": ({**plain, "publisher": "nope"}, "publisher"),
        }  # fmt: skip
        for label, (body, field) in cases.items():
            with self.subTest(label):
                self.assertError(
                    self.call("POST", "/stories", self.editor_token, body), 422, "invalid", field
                )
        self.assertError(self.call("POST", "/stories", self.editor_token, "{nope"), 400, "bad_json")
        self.assertFalse(Story.objects.exists())

    def test_patch_edits_and_retags_without_alerting_and_the_update_action_alerts(self) -> None:
        data = self.publish()
        story_id = data["id"]
        events = Event.objects.filter(story_id=story_id).count()
        changed = self.call("PATCH", f"/stories/{story_id}", self.editor_token, {
            "headline": "Port Elsby quay opening delayed",
            "body": ["The opening of the Port Elsby quay was delayed, the ferry operator said."],
        })  # fmt: skip
        self.assertEqual(changed.status_code, 200, changed.content)
        self.assertEqual(changed.json()["headline"], "Port Elsby quay opening delayed")
        self.assertNotIn("Mara Lindqvist", {t["name"] for t in changed.json()["topics"]})
        self.assertEqual(Event.objects.filter(story_id=story_id).count(), events, "no alerts")
        update = self.call("POST", f"/stories/{story_id}/significant-update", self.editor_token)
        self.assertEqual(update.status_code, 202)
        self.assertTrue(Event.objects.filter(story_id=story_id, kind=Event.Kind.UPDATED).exists())
        self.assertEqual(
            self.call(
                "PATCH", f"/stories/{story_id}", self.editor_token, {"publish": False}
            ).json()["status"],
            "draft",
        )
        self.assertError(
            self.call("POST", f"/stories/{story_id}/significant-update", self.editor_token),
            409,
            "not_published",
        )
        self.assertError(
            self.call("PATCH", "/stories/99999", self.editor_token, {"byline": "x"}),
            404,
            "not_found",
        )

    def test_listing_filters_by_topic_and_time_and_pages_with_a_cursor(self) -> None:
        with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
            old = self.make_story("Kestrel Energy plans a second farm", slug="second-farm")
        with time_machine.travel(dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC), tick=False):
            stories = [
                self.make_story(
                    f"Story number {n}",
                    slug=f"story-{n}",
                    topics=(("Port Elsby", Topic.Kind.PLACE),),
                )
                for n in range(5)
            ]
            seen: list[int] = []
            cursor = ""
            while True:
                page = self.call(
                    "GET", f"/stories?limit=2{'&cursor=' + cursor if cursor else ''}"
                ).json()
                seen += [s["id"] for s in page["items"]]
                if not page["next"]:
                    break
                cursor = page["next"]
            self.assertEqual(
                seen, [s.pk for s in reversed(stories)] + [old.pk], "newest first, each once"
            )
            kestrel = Topic.objects.get(name="Kestrel Energy").slug
            self.assertEqual(
                [s["id"] for s in self.call("GET", f"/stories?topic={kestrel}").json()["items"]],
                [old.pk],
            )
            since = self.call("GET", "/stories?since=2026-03-05T00:00:00Z").json()["items"]
            self.assertNotIn(old.pk, [s["id"] for s in since])
            self.assertError(self.call("GET", "/stories?topic=nope"), 422, "invalid", "topic")
            self.assertError(self.call("GET", "/stories?cursor=bm9wZQ"), 422, "invalid", "cursor")
            self.assertError(self.call("GET", "/stories?limit=1000"), 422, "invalid", "limit")

    def test_topics_are_found_by_name_and_alias_prefix(self) -> None:
        ensure_topic("International Monetary Fund", Topic.Kind.ORGANISATION, aliases=["IMF"])
        ensure_topic("Imogen Fairweather", Topic.Kind.PERSON)
        ensure_topic("Kenya", Topic.Kind.PLACE)
        found = [t["name"] for t in self.call("GET", "/topics?q=im&kind=person").json()["items"]]
        self.assertEqual(found, ["Imogen Fairweather"])
        found = [t["name"] for t in self.call("GET", "/topics?q=IMF").json()["items"]]
        self.assertEqual(found, ["International Monetary Fund"], "by its alias")
        self.assertEqual(
            [
                t["name"]
                for t in self.call("GET", "/topics?q=monet&kind=organisation").json()["items"]
            ],
            ["International Monetary Fund"],
        )
        self.assertEqual(
            [t["name"] for t in self.call("GET", "/topics?q=fair&kind=person").json()["items"]],
            ["Imogen Fairweather"],
        )
        detail = self.call("GET", "/topics/international-monetary-fund").json()
        self.assertEqual(detail["aliases"], ["IMF"])
        self.assertEqual(detail["kind"], "organisation")
        self.assertError(self.call("GET", "/topics/nope"), 404, "not_found")


class ReaderTests(ApiTestCase):
    def test_follow_publish_and_read_the_alert_through_the_api(self) -> None:
        first = self.publish()
        primary = next(t for t in first["topics"] if t["role"] == "primary")
        made = self.call(
            "POST",
            "/me/follows",
            self.alice_token,
            {"topic": primary["slug"], "cadence": "instant", "scope": "about"},
        )
        self.assertEqual(made.status_code, 201)
        self.assertEqual(made.json()["topic"]["slug"], primary["slug"])
        again = self.call(
            "POST", "/me/follows", self.alice_token, {"topic": primary["slug"], "cadence": "daily"}
        )
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["cadence"], "daily")
        patched = self.call(
            "PATCH",
            f"/me/follows/{primary['slug']}",
            self.alice_token,
            {"cadence": "instant", "scope": "mention"},
        )
        self.assertEqual(patched.json()["scope"], "mention")
        self.assertError(
            self.call(
                "PATCH", f"/me/follows/{primary['slug']}", self.alice_token, {"cadence": "hourly"}
            ),
            422,
            "invalid",
            "cadence",
        )
        with self.captureOnCommitCallbacks(execute=False):
            second = self.publish({**QUAY, "headline": "Second quay planned at Port Elsby"})
        fan_out(Event.objects.get(story_id=second["id"]).id)
        alerts = self.call("GET", "/me/alerts", self.alice_token).json()
        self.assertEqual(len(alerts["items"]), 1)
        item = alerts["items"][0]
        self.assertEqual(set(item), {"id", "story", "reasons", "created_at", "read"})
        self.assertEqual(item["story"]["id"], second["id"])
        self.assertEqual(set(item["story"]), {"id", "headline", "url"})
        self.assertEqual(item["reasons"][0]["topic"], primary["slug"])
        self.assertIn(item["reasons"][0]["role"], {"primary", "about", "mention"})
        self.assertFalse(item["read"])
        read = self.call("POST", f"/me/alerts/{item['id']}/read", self.alice_token)
        self.assertTrue(read.json()["read"])
        self.assertEqual(
            self.call("GET", "/me/alerts?unread=true", self.alice_token).json()["items"], []
        )
        self.assertEqual(
            self.call("DELETE", f"/me/follows/{primary['slug']}", self.alice_token).status_code, 204
        )
        self.assertEqual(self.call("GET", "/me/follows", self.alice_token).json(), {"items": []})
        self.assertError(
            self.call("POST", "/me/follows", self.alice_token, {"topic": "nope"}),
            422,
            "invalid",
            "topic",
        )

    def test_alerts_come_newest_first_in_pages(self) -> None:
        for n in range(5):
            with time_machine.travel(dt.datetime(2026, 4, 1 + n, tzinfo=dt.UTC), tick=False):
                story = self.make_story(f"Alerted story {n}", slug=f"alerted-{n}")
                Alert.objects.create(reader=self.alice, story=story, cadence="instant")
        seen, cursor = [], ""
        while True:
            page = self.call(
                "GET",
                f"/me/alerts?limit=2{'&cursor=' + cursor if cursor else ''}",
                self.alice_token,
            ).json()
            seen += [i["story"]["headline"] for i in page["items"]]
            cursor = page["next"]
            if not cursor:
                break
        self.assertEqual(seen, [f"Alerted story {n}" for n in reversed(range(5))])

    def test_webhooks_show_their_secret_once_and_refuse_private_addresses(self) -> None:
        made = self.call(
            "POST", "/me/webhooks", self.alice_token, {"url": "http://127.0.0.1:9/hook"}
        )
        self.assertError(made, 422, "refused_address", "url")
        with override_settings(WEBHOOK_ALLOW=["127.0.0.1"]):
            made = self.call(
                "POST", "/me/webhooks", self.alice_token, {"url": "http://127.0.0.1:9/hook"}
            )
        self.assertEqual(made.status_code, 201)
        self.assertTrue(made.json()["secret"].startswith("whsec_"))
        listed = self.call("GET", "/me/webhooks", self.alice_token).json()["items"]
        self.assertEqual([h["id"] for h in listed], [made.json()["id"]])
        self.assertNotIn("secret", listed[0])
        self.assertEqual(
            self.call("DELETE", f"/me/webhooks/{made.json()['id']}", self.alice_token).status_code,
            204,
        )
        self.assertFalse(WebhookEndpoint.objects.exists())


class BehaviourTests(ApiTestCase):
    def test_reads_carry_an_etag_and_answer_304_when_unchanged(self) -> None:
        self.make_story()
        first = self.call("GET", "/stories", self.alice_token)
        etag = first["ETag"]
        self.assertIn("Authorization", first["Vary"])
        self.assertEqual(
            self.call("GET", "/stories", self.alice_token, If_None_Match=etag).status_code, 304
        )
        self.make_story("Another story", slug="another")
        self.assertEqual(
            self.call("GET", "/stories", self.alice_token, If_None_Match=etag).status_code, 200
        )

    @override_settings(API_RATE_PER_MINUTE=3, API_ANON_RATE_PER_MINUTE=2)
    def test_rate_limits_are_per_token_with_retry_after(self) -> None:
        with time_machine.travel(dt.datetime(2026, 5, 1, 12, 0, 10, tzinfo=dt.UTC), tick=False):
            for _ in range(3):
                self.assertEqual(self.call("GET", "/me/follows", self.alice_token).status_code, 200)
            limited = self.call("GET", "/me/follows", self.alice_token)
            self.assertError(limited, 429, "rate_limited")
            self.assertEqual(limited["Retry-After"], "50")
            # charlie's token has its own allowance: alice's burst costs him nothing.
            self.assertEqual(self.call("GET", "/me/follows", self.charlie_token).status_code, 200)
            self.assertEqual(self.call("GET", "/topics").status_code, 200)
            self.assertEqual(self.call("GET", "/topics").status_code, 200)
            self.assertError(self.call("GET", "/topics"), 429, "rate_limited")
        with time_machine.travel(dt.datetime(2026, 5, 1, 12, 1, 1, tzinfo=dt.UTC), tick=False):
            self.assertEqual(self.call("GET", "/me/follows", self.alice_token).status_code, 200)

    def test_schema_and_docs_are_served_from_our_own_files(self) -> None:
        schema = self.call("GET", "/openapi.json").json()
        self.assertTrue(schema["openapi"].startswith("3.1"))
        paths = schema["paths"]
        for path in ("/api/v1/stories", "/api/v1/stories/{story_id}", "/api/v1/me/follows",
                     "/api/v1/me/alerts", "/api/v1/me/webhooks", "/api/v1/topics"):  # fmt: skip
            self.assertIn(path, paths)
        docs = self.call("GET", "/docs")
        self.assertEqual(docs.status_code, 200)
        self.assertNotIn(b"cdn", docs.content.lower())
        self.assertIn(b"/static/ninja/swagger-ui-bundle.js", docs.content)
        self.assertIn("script-src 'self'", docs["Content-Security-Policy"])

    def test_old_urls_redirect_to_v1(self) -> None:
        story = self.make_story()
        v1 = f"/api/v1/stories/{story.pk}"
        for old, new in ((f"/api/stories/{story.slug}/", v1),
                         (f"/api/stories/{story.slug}/comments/", f"{v1}/comments"),
                         ("/api/stories/?x=1", "/api/v1/stories?x=1")):  # fmt: skip
            response = self.api.get(old)
            self.assertEqual((response.status_code, response["Location"]), (308, new))
        self.assertEqual(self.api.get("/api/stories/nope/").status_code, 404)


class StoryTopicShapeTests(ApiTestCase):
    def test_mentions_are_listed_with_their_role(self) -> None:
        story = self.make_story()
        StoryTopic.objects.filter(story=story, topic__name="Climate").update(role="mention")
        topics = self.call("GET", f"/stories/{story.pk}").json()["topics"]
        self.assertIn(
            {"name": "Climate", "role": "mention"},
            [{"name": t["name"], "role": t["role"]} for t in topics],
        )


class ReviewFindingsTests(ApiTestCase):
    def test_nul_characters_are_refused_naming_where_they_were(self) -> None:
        # PostgreSQL cannot store or compare them: once a 500 there, whatever the field.
        body = {"topic": "ke\u0000nya", "cadence": "daily"}
        self.assertError(
            self.call("POST", "/me/follows", self.alice_token, body), 422, "invalid", "topic"
        )
        nested = {**QUAY, "hints": {"topics": ["a", "b\x00"]}}
        response = self.call("POST", "/stories", self.editor_token, nested)
        self.assertEqual(response.status_code, 422, response.content)
        self.assertError(self.call("GET", "/topics?q=ke%00", self.alice_token), 400, "invalid", "q")
        self.assertError(
            self.call("GET", "/topics/ke%00nya", self.alice_token), 400, "invalid", "path"
        )
        self.assertEqual(self.client.get("/topics/", {"q": "a\x00"}).status_code, 400)

    def test_a_demoted_editors_token_publishes_nothing_and_sees_no_drafts(self) -> None:
        draft = self.publish({**QUAY, "publish": False})
        User.objects.filter(pk=self.bob.pk).update(is_staff=False)  # still in Editors
        self.assertError(
            self.call("POST", "/stories", self.editor_token, QUAY), 403, "not_an_editor"
        )
        self.assertError(
            self.call("PATCH", f"/stories/{draft['id']}", self.editor_token, {"byline": "x"}),
            403,
            "not_an_editor",
        )
        self.assertError(
            self.call("GET", f"/stories/{draft['id']}", self.editor_token), 404, "not_found"
        )

    def test_times_out_of_range_are_a_422_naming_the_field(self) -> None:
        ensure_topic("Port Elsby", Topic.Kind.PLACE)
        self.call("POST", "/me/follows", self.alice_token, {"topic": "port-elsby"})
        for value in ("0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-14:00"):
            self.assertError(self.call("GET", f"/stories?since={value}"), 422, "invalid", "since")
        from tidings.apikit import encode_cursor

        cursor = encode_cursor("0001-01-01T00:00:00+14:00", 1)
        self.assertError(self.call("GET", f"/stories?cursor={cursor}"), 422, "invalid", "cursor")
        self.assertError(
            self.call("GET", f"/me/alerts?cursor={cursor}", self.alice_token),
            422,
            "invalid",
            "cursor",
        )
        far = {"snoozed_until": "9999-12-31T23:59:59-14:00"}
        self.assertError(
            self.call("PATCH", "/me/follows/port-elsby", self.alice_token, far),
            422,
            "invalid",
            "snoozed_until",
        )
        naive = self.call(
            "PATCH",
            "/me/follows/port-elsby",
            self.alice_token,
            {"snoozed_until": "2027-01-01T00:00:00"},
        )
        self.assertEqual(naive.json()["snoozed_until"], "2027-01-01T00:00:00Z")

    def test_control_characters_in_story_text_are_refused(self) -> None:
        for field, value in (("headline", "Bad\u0000nul"), ("headline", "RLO \u202e flip"),
                             ("byline", "A\u001b[31m"), ("body", ["\u0000"])):  # fmt: skip
            with self.subTest(field):
                body = {**QUAY, field: value}
                self.assertError(
                    self.call("POST", "/stories", self.editor_token, body), 422, "invalid"
                )
        self.assertFalse(Story.objects.exists())

    @override_settings(API_ANON_RATE_PER_MINUTE=3)
    def test_calls_without_valid_credentials_count_against_the_address(self) -> None:
        with time_machine.travel(dt.datetime(2026, 5, 1, 12, 0, 10, tzinfo=dt.UTC), tick=False):
            answers = [self.call("GET", "/stories", "tid_guess").status_code for _ in range(5)]
            self.assertEqual(answers, [401, 401, 401, 429, 429])
            self.assertEqual(
                self.call("POST", "/me/follows", None, {"topic": "x"}).status_code, 429
            )
            # A real token is not the address's: alice is unaffected.
            self.assertEqual(self.call("GET", "/me/follows", self.alice_token).status_code, 200)

    def test_writes_without_credentials_are_401_not_a_csrf_puzzle(self) -> None:
        for method, path in (
            ("POST", "/stories"),
            ("POST", "/me/follows"),
            ("DELETE", "/me/webhooks/1"),
        ):
            with self.subTest(path):
                self.assertError(self.call(method, path, None, {}), 401, "unauthenticated")

    def test_unknown_paths_and_methods_answer_json(self) -> None:
        self.assertError(self.call("GET", "/nope"), 404, "not_found")
        response = self.call("PUT", "/stories")
        self.assertError(response, 405, "method_not_allowed")
        self.assertIn("GET", response["Allow"])
        self.assertEqual(self.call("GET", "/nope")["Cache-Control"], "no-store")

    def test_editors_cannot_comment_on_drafts(self) -> None:
        draft = self.publish({**QUAY, "publish": False})
        self.assertError(
            self.call(
                "POST", f"/stories/{draft['id']}/comments", self.editor_token, {"body": "Hi"}
            ),
            403,
            "comments_closed",
        )

    def test_webhooks_need_https_and_the_limit_holds(self) -> None:
        self.assertError(
            self.call("POST", "/me/webhooks", self.alice_token, {"url": "http://8.8.8.8/hook"}),
            422,
            "refused_address",
            "url",
        )
        with override_settings(WEBHOOKS_PER_READER=2):
            codes = [
                self.call(
                    "POST", "/me/webhooks", self.alice_token, {"url": f"https://8.8.8.{n}/hook"}
                ).status_code
                for n in range(4)
            ]
        self.assertEqual(codes, [201, 201, 422, 422])

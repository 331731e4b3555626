"""The shapes of a reader's follows, alerts and webhooks in the API (`alerts/api.py`)."""

import datetime as dt

from ninja import Field, Schema
from pydantic import StrictBool

from accounts.models import Cadence
from alerts.models import Follow
from topics.schemas import TopicBrief


class FollowIn(Schema):
    topic: str = Field(..., min_length=1, max_length=200, description="a topic's slug")
    cadence: Cadence | None = Field(None, description="the account's default when left out")
    scope: Follow.Scope = Follow.Scope.ABOUT
    muted: StrictBool = False


class FollowPatch(Schema):
    cadence: Cadence | None = None
    scope: Follow.Scope | None = None
    muted: StrictBool | None = None
    snoozed_until: dt.datetime | None = Field(None, description="no alerts before this time")


class FollowOut(Schema):
    topic: TopicBrief
    cadence: str
    scope: str
    muted: bool
    snoozed_until: dt.datetime | None
    created_at: dt.datetime


class FollowList(Schema):
    items: list[FollowOut]


class StoryBrief(Schema):
    id: int
    headline: str
    url: str


class SearchRef(Schema):
    id: int
    query: str


class Reason(Schema):
    topic: str | None = Field(..., description="the followed topic's slug (null for a search)")
    role: str = Field(
        ..., description="its role in the story: primary, about, mention, quoted; or search"
    )
    search: SearchRef | None = Field(None, description="the saved search that matched")


class AlertOut(Schema):
    id: int
    story: StoryBrief
    reasons: list[Reason]
    created_at: dt.datetime
    read: bool


class AlertPage(Schema):
    items: list[AlertOut]
    next: str | None = Field(None, description="pass as ?cursor= for older alerts")


class WebhookIn(Schema):
    url: str = Field(..., min_length=8, max_length=2000, description="https:// address")


class WebhookOut(Schema):
    id: int
    url: str
    enabled: bool
    disabled_reason: str
    created_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(..., description="shown this once: verify our signatures with it")


class WebhookList(Schema):
    items: list[WebhookOut]

"""The shapes of stories and comments in the API (`stories/api.py`)."""

import datetime as dt
import re
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, StrictBool, StrictInt, model_validator

from topics.schemas import TopicRole

# NUL (which PostgreSQL refuses), other control characters and bidi overrides: nothing a
# writer types, and each a way to garble a page, an email header or a feed.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _printable(value: str) -> str:
    if _FORBIDDEN.search(value):
        raise ValueError("control characters and bidi overrides are not allowed")
    return value


Text = Annotated[str, AfterValidator(_printable)]

MAX_PARAGRAPHS = 500
MAX_PARAGRAPH = 20_000
MAX_SOURCE = 2_000_000  # text or HTML handed to the ingest pipeline, in characters


class PhotoIn(Schema):
    url: Text = Field(..., min_length=8, max_length=2000, description="https:// address")
    alt_text: Text = Field(..., min_length=1, max_length=300)
    caption: Text = Field("", max_length=300)
    photographer: Text = Field("", max_length=200)
    agency: Text = Field("", max_length=200)


class StoryIn(Schema):
    """A structured story (headline and body), or a raw `text`, or an `html` page (with its
    `url`) for the ingest pipeline to read. Publishing is explicit: `"publish": true`."""

    headline: Text | None = Field(None, min_length=1, max_length=300)
    standfirst: Text = Field("", max_length=2000)
    body: list[Text] | None = Field(None, min_length=1, max_length=MAX_PARAGRAPHS)
    byline: Text = Field("", max_length=200)
    photo: PhotoIn | None = None
    text: str | None = Field(None, min_length=1, max_length=MAX_SOURCE)  # ingest cleans it
    html: str | None = Field(None, min_length=1, max_length=MAX_SOURCE)
    url: Text | None = Field(None, max_length=2000)
    publisher: Text | None = Field(None, max_length=200, description="a publisher's slug")
    comments_enabled: StrictBool | None = None
    publish: StrictBool = False

    @model_validator(mode="after")
    def _one_source(self) -> "StoryIn":
        given = [name for name in ("body", "text", "html") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("send exactly one of: headline and body, text, or html")
        if self.body is not None:
            if self.headline is None:
                raise ValueError("a structured story needs a headline")
            _check_paragraphs(self.body)
        return self


class StoryPatch(Schema):
    headline: Text | None = Field(None, min_length=1, max_length=300)
    standfirst: Text | None = Field(None, max_length=2000)
    body: list[Text] | None = Field(None, min_length=1, max_length=MAX_PARAGRAPHS)
    byline: Text | None = Field(None, max_length=200)
    comments_enabled: StrictBool | None = None
    publish: StrictBool | None = Field(
        None, description="true publishes a draft; false unpublishes"
    )

    @model_validator(mode="after")
    def _paragraphs(self) -> "StoryPatch":
        if self.body is not None:
            _check_paragraphs(self.body)
        return self


def _check_paragraphs(body: list[str]) -> None:
    if any(len(p) > MAX_PARAGRAPH for p in body):
        raise ValueError(f"a paragraph is over {MAX_PARAGRAPH:,} characters")
    if not any(p.strip() for p in body):
        raise ValueError("the body has no text")


class PhotoOut(Schema):
    url: str
    alt_text: str
    caption: str
    credit: str


class CommentsInfo(Schema):
    state: str = Field(..., description='"open", "off" or "closed"')
    count: int


class Rights(Schema):
    byline: str
    copyright: str
    copyright_holder: str
    copyright_year: int
    licence: str
    licence_code: str
    reusable: bool
    photo_credit: str
    canonical_url: str
    attribution: str


class QuoteOut(Schema):
    text: str
    speaker: str | None = Field(..., description="as the story names the speaker")
    speaker_topic: str | None = Field(..., description="the speaker's topic slug, if any")
    role: str | None
    partial: bool = Field(..., description="a few quoted words inside a sentence")


class StoryOut(Schema):
    id: int
    slug: str
    url: str
    status: str
    headline: str
    standfirst: str
    byline: str
    published_at: dt.datetime | None
    body: list[str]
    photo: PhotoOut | None
    topics: list[TopicRole]
    comments: CommentsInfo
    quotes: list[QuoteOut]
    rights: Rights


class StoryPage(Schema):
    items: list[StoryOut]
    next: str | None = Field(None, description="pass as ?cursor= for the next page")


class CommentIn(Schema):
    body: str = Field(..., max_length=100_000)
    parent: StrictInt | None = Field(None, ge=1, le=2**62)
    notify_replies: StrictBool = False


class CommentOut(Schema):
    id: int
    parent: int | None
    author: str | None
    html: str
    status: str
    created_at: dt.datetime
    edited_at: dt.datetime | None


class CommentList(Schema):
    state: str
    comments: list[CommentOut]

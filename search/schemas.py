"""The shapes of a reader's saved searches in the API (`search/api.py`)."""

import datetime as dt

from ninja import Field, Schema
from pydantic import StrictBool

from accounts.models import Cadence
from search.query import MAX_LENGTH


class SearchIn(Schema):
    query: str = Field(..., min_length=1, max_length=MAX_LENGTH, description="the query language")
    cadence: Cadence | None = Field(None, description="the account's default when left out")
    muted: StrictBool | None = Field(None, description="false when left out; kept if saved")


class SearchPatch(Schema):
    cadence: Cadence | None = None
    muted: StrictBool | None = None
    snoozed_until: dt.datetime | None = Field(None, description="no alerts before this time")


class SearchOut(Schema):
    id: int
    query: str
    cadence: str
    muted: bool
    snoozed_until: dt.datetime | None
    created_at: dt.datetime
    url: str = Field(..., description="the search's results page")


class SearchList(Schema):
    items: list[SearchOut]

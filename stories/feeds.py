"""Atom feeds of stories. Credit, copyright and licence travel with every entry (`rights`)."""

import datetime as dt
from typing import Any

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from stories.models import Story

FEED_SIZE = 30


class RightsAtomFeed(Atom1Feed):
    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        # A standfirst is plain text: as type="html", a reader would render "<b>" in one.
        if item.get("summary_text"):
            handler.addQuickElement("summary", item["summary_text"], {"type": "text"})
        if item.get("rights"):
            handler.addQuickElement("rights", item["rights"])


class StoryFeed(Feed):
    """Base for story feeds: subclasses say which stories (`items`) and what the feed is."""

    feed_type = RightsAtomFeed

    def item_title(self, item: Story) -> str:
        return item.headline

    def item_description(self, item: Story) -> None:  # type: ignore[override]
        return None  # the summary goes out as text, in RightsAtomFeed

    def item_link(self, item: Story) -> str:
        return item.get_absolute_url()

    def item_author_name(self, item: Story) -> str:
        return item.byline

    def item_pubdate(self, item: Story) -> dt.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Story) -> dt.datetime | None:
        return item.updated_at

    def item_extra_kwargs(self, item: Story) -> dict[str, Any]:
        credit = f" {item.photo_credit}." if item.photo_credit else ""
        return {"rights": f"{item.copyright_line}{credit}", "summary_text": item.standfirst}

"""The shapes of topics in the API (`topics/api.py`), shared by stories and alerts."""

from ninja import Field, Schema


class TopicBrief(Schema):
    slug: str
    name: str
    kind: str = Field(..., description="person, organisation, place or theme")


class TopicRole(TopicBrief):
    role: str = Field(..., description="primary, about or mention")
    salience: float


class TopicOut(TopicBrief):
    url: str
    aliases: list[str]
    description: str
    followers: int
    stories: int


class TopicPage(Schema):
    items: list[TopicBrief]
    next: str | None = None

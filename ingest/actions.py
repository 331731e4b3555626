from django.db import transaction
from django.utils.text import slugify

from ingest.textparse import ParsedStory
from stories.actions import ensure_publisher, publish_story, save_image, save_story
from stories.models import Publisher, Story


def publisher_for(parsed: ParsedStory) -> Publisher:
    name = parsed.site_name or parsed.copyright_holder or "Ingested stories"
    return ensure_publisher(
        slugify(name)[:200] or "ingested",
        name=name,
        copyright_holder=parsed.copyright_holder or name,
    )


@transaction.atomic
def save_ingested_story(parsed: ParsedStory, *, publish: bool = False) -> Story:
    """Create the story an editor would have typed: a draft, or published with `publish`.

    All or nothing: a failure part-way leaves no story, image or publisher behind.
    """
    headline = parsed.headline or parsed.body[0][:120]
    base = slugify(headline)[:180] or "story"
    slug, n = base, 1
    while Story.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    image = None
    if parsed.image.url:
        image = save_image(
            url=parsed.image.url,
            alt_text=parsed.image.alt_text or parsed.image.display_caption or headline,
            display_caption=parsed.image.display_caption or "",
            caption=parsed.image.caption or "",
            photographer=parsed.image.photographer or "",
            agency=parsed.image.agency or "",
        )
    story = save_story(
        slug,
        publisher=publisher_for(parsed),
        headline=headline,
        standfirst=parsed.standfirst or "",
        byline=parsed.byline or "",
        body="\n\n".join(parsed.body),
        lead_image=image,
        comments_enabled=parsed.comments_enabled is not False,
        copyright_holder=parsed.copyright_holder or "",
        copyright_year=parsed.copyright_year,
    )
    if publish:
        publish_story(story)
    return story

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from stories.models import Licence, Story


def reuse_terms(request: HttpRequest, slug: str) -> HttpResponse:
    story = get_object_or_404(Story.objects.published().for_listing(), slug=slug)
    canonical_url = request.build_absolute_uri(story.get_absolute_url())
    credit = story.lead_image.credit if story.lead_image else ""
    attribution = (
        f'"{story.headline}" by {story.byline or story.publisher.name}, '
        f"{story.publisher.name}, {canonical_url}. {story.copyright_line}"
    )
    context = {
        "story": story,
        "licence": Licence(story.effective_licence).label,
        "canonical_url": canonical_url,
        "attribution": attribution,
        "photo_credit": credit,
    }
    return render(request, "reuse/terms.html", context)

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from accounts.forms import reader_of
from search import actions, index
from search.forms import SavedSearchForm, SearchForm
from search.highlight import highlight, snippet
from search.models import SavedSearch
from search.query import Query, QueryError, parse
from stories.models import Story
from topics.models import StoryTopic, Topic

# Deep pages are for scrapers; a reader narrows the search instead.
MAX_PAGE = 50


@dataclass
class Result:
    story: Story
    headline: SafeString
    snippet: SafeString


@dataclass
class Page:
    """What _pagination.html expects of a page, for a page of search hits."""

    number: int
    total: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.per_page)))

    @property
    def paginator(self) -> "Page":
        return self

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _within(data: dict[str, Any]) -> Any:
    stories = Story.objects.published()
    if data.get("topic"):
        # As topic: in a query: stories the topic is central to, not every passing mention.
        topic = Topic.objects.filter(slug=data["topic"]).first()
        survivor = topic.merged_into_id if topic is not None else None
        stories = stories.filter(
            story_topics__topic_id=survivor or (topic.pk if topic else 0),
            story_topics__role__in=[StoryTopic.Role.PRIMARY, StoryTopic.Role.ABOUT],
        )
    if data.get("kind"):
        stories = stories.filter(primary_topic__kind=data["kind"])
    if data.get("publisher"):
        stories = stories.filter(publisher__slug=data["publisher"])
    if data.get("since"):
        stories = stories.filter(published_at__gte=_day_start(data["since"]))
    if data.get("until"):
        stories = stories.filter(published_at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
    return stories


def _results(query: Query, ids: list[int]) -> list[Result]:
    stories = Story.objects.filter(id__in=ids).select_related(
        "publisher", "lead_image", "primary_topic"
    )
    by_id = {story.pk: story for story in stories}
    wanted = query.wanted
    results = []
    for story_id in ids:
        story = by_id.get(story_id)
        if story is None:
            continue
        text = " ".join(part for part in [story.standfirst, *story.paragraphs()] if part)
        results.append(Result(story, highlight(story.headline, wanted), snippet(text, wanted)))
    return results


def _problems(form: forms.BaseForm) -> str:
    """A form's errors as one sentence a reader can act on, each named by its field's label."""
    return "; ".join(
        " ".join(map(str, errors))
        if name == "__all__"
        else f"{form.fields[name].label}: {' '.join(map(str, errors))}"
        for name, errors in form.errors.items()
    )


def _page_number(raw: str | None) -> int:
    try:
        return min(MAX_PAGE, max(1, int(raw or 1)))
    except ValueError:
        return 1


def results(request: HttpRequest) -> HttpResponse:
    """The search box's page: ranked stories with the words marked, filters and pages."""
    form = SearchForm(request.GET)
    context: dict[str, Any] = {"form": form, "q": request.GET.get("q", "")}
    if not form.is_valid():
        context["error"] = _problems(form)
        return render(request, "search/results.html", context, status=400)
    data = form.cleaned_data
    if not data["q"].strip():
        return render(request, "search/results.html", context)
    try:
        query = parse(data["q"])
    except QueryError as exc:
        context["error"] = exc.message
        return render(request, "search/results.html", context, status=400)
    number = _page_number(request.GET.get("page"))
    per_page = settings.STORIES_PER_PAGE
    within, newest = _within(data), data.get("sort") == "newest"
    hits = index.find(query, within, limit=per_page, offset=(number - 1) * per_page, newest=newest)
    if hits.total and not hits.ids:  # a page past the end: show the last one
        number = Page(number, hits.total, per_page).num_pages
        hits = index.find(
            query, within, limit=per_page, offset=(number - 1) * per_page, newest=newest
        )
    wanted_topics = [*query.tags, *([data["topic"]] if data.get("topic") else [])]
    known = set(Topic.objects.filter(slug__in=wanted_topics).values_list("slug", flat=True))
    kept = {k: v for k, v in request.GET.items() if k != "page" and v}
    saved = None
    if request.user.is_authenticated:
        saved = actions.same_search(reader_of(request), query)
    context |= {
        "query": query,
        "results": _results(query, hits.ids),
        "total": hits.total,
        "page": Page(number, hits.total, per_page),
        "start": (number - 1) * per_page + 1,
        "page_query": urlencode(kept),
        "unknown_topics": [slug for slug in dict.fromkeys(wanted_topics) if slug not in known],
        "filtered": any(data.get(k) for k in ("topic", "kind", "publisher", "since", "until")),
        "saved": saved,
    }
    return render(request, "search/results.html", context)


@require_POST
def save(request: HttpRequest) -> HttpResponse:
    """ "Alert me on this search"."""
    text = request.POST.get("q", "")
    back = f"{reverse('search:results')}?{urlencode({'q': text})}"
    if not request.user.is_authenticated:
        messages.info(request, "Sign in or create an account to get alerts on a search.")
        return redirect(f"{reverse('login')}?{urlencode({'next': back}, safe='/')}")
    try:
        search = actions.save_search(reader_of(request), text)
    except QueryError as exc:
        messages.error(request, f"Not saved: {exc.message}")
        return redirect(back)
    messages.success(
        request,
        f"You will get an alert when a new story matches '{search.query}'. "
        "Change how on My topics.",
    )
    return redirect(back)


@login_required
@require_POST
def edit(request: HttpRequest, search_id: int) -> HttpResponse:
    search = get_object_or_404(SavedSearch, id=search_id, reader=reader_of(request))
    form = SavedSearchForm(request.POST, instance=search, prefix=f"s{search.pk}")
    if not form.is_valid():
        messages.error(request, f"Not saved: {_problems(form)}")
        return redirect("alerts:my_topics")
    fields: dict[str, object] = {n: form.cleaned_data[n] for n in ("cadence", "muted")}
    days = form.cleaned_data.get("snooze_days")
    if days is not None:
        fields["snoozed_until"] = actions.snooze_until(days)
    actions.update_search(search, **fields)
    messages.success(request, f"Saved your settings for the search '{search.query}'.")
    return redirect("alerts:my_topics")


@login_required
@require_POST
def delete(request: HttpRequest, search_id: int) -> HttpResponse:
    search = get_object_or_404(SavedSearch, id=search_id, reader=reader_of(request))
    actions.delete_search(reader_of(request), search.pk)
    messages.success(request, f"You no longer get alerts on the search '{search.query}'.")
    return redirect("alerts:my_topics")

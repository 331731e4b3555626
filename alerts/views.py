import datetime as dt
import json
import re
from urllib.parse import urlencode
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.forms import reader_of, safe_next
from alerts import actions
from alerts.forms import FollowForm, ImportForm, WebhookForm
from alerts.models import Alert, Follow, WebhookEndpoint, with_reasons
from alerts.signals import remember_follow
from alerts.tokens import read_token
from search.forms import SavedSearchForm
from search.models import SavedSearch
from stories.models import Story
from tidings.safehttp import SafeHTTPError
from topics.models import Topic

MAX_IMPORT_BYTES = 1024 * 1024
_TOPIC_PATH = re.compile(r"/topics/([-\w]+)/")


def _next(request: HttpRequest, default: str) -> str:
    return safe_next(request) or default


@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow or unfollow; a plain form POST redirects back, an htmx POST gets the new button."""
    topic = get_object_or_404(Topic.objects.live(), slug=slug)
    if not request.user.is_authenticated:
        if request.POST.get("action") != "unfollow":
            remember_follow(request, topic)
            messages.info(
                request, f"Sign in or create an account, and you will follow {topic.name}."
            )
        back = {"next": _next(request, topic.get_absolute_url())}
        login = f"{reverse('login')}?{urlencode(back, safe='/')}"
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": login})
        return redirect(login)
    reader = reader_of(request)
    if request.POST.get("action") == "unfollow":
        actions.unfollow_topic(reader, topic)
        following = False
    else:
        actions.follow_topic(reader, topic)
        following = True
    if request.headers.get("HX-Request"):
        context = {"topic": topic, "following": following, "variant": request.POST.get("variant")}
        return render(request, "alerts/_follow_button.html", context)
    verb = "now follow" if following else "no longer follow"
    messages.success(request, f"You {verb} {topic.name}.")
    return redirect(_next(request, topic.get_absolute_url()))


@login_required
def my_topics(request: HttpRequest) -> HttpResponse:
    follows = Follow.objects.filter(reader=reader_of(request)).select_related("topic")
    rows = [(f, FollowForm(instance=f, prefix=f"f{f.id}")) for f in follows]
    searches = SavedSearch.objects.filter(reader=reader_of(request))
    search_rows = [(s, SavedSearchForm(instance=s, prefix=f"s{s.id}")) for s in searches]
    context = {"rows": rows, "search_rows": search_rows, "import_form": ImportForm()}
    return render(request, "alerts/my_topics.html", context)


@login_required
@require_POST
def edit_follow(request: HttpRequest, follow_id: int) -> HttpResponse:
    follow = get_object_or_404(Follow, id=follow_id, reader=reader_of(request))
    form = FollowForm(request.POST, instance=follow, prefix=f"f{follow.id}")
    if not form.is_valid():
        messages.error(request, f"Not saved: {form.errors.as_text()}")
        return redirect("alerts:my_topics")
    fields = {name: form.cleaned_data[name] for name in ("cadence", "scope", "muted")}
    days = form.cleaned_data.get("snooze_days")
    if days is not None:
        fields["snoozed_until"] = timezone.now() + dt.timedelta(days=days) if days else None
    actions.update_follow(follow, **fields)
    messages.success(request, f"Saved your settings for {follow.topic.name}.")
    return redirect("alerts:my_topics")


@login_required
def export_follows(request: HttpRequest, fmt: str) -> HttpResponse:
    follows = Follow.objects.filter(reader=reader_of(request)).select_related("topic")
    response: HttpResponse
    if fmt == "json":
        data = {
            "format": "tidings-follows",
            "version": 1,
            "follows": [
                {
                    "topic": f.topic.slug,
                    "name": f.topic.name,
                    "kind": f.topic.kind,
                    "cadence": f.cadence,
                    "scope": f.scope,
                    "muted": f.muted,
                }
                for f in follows
            ],
        }
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    elif fmt == "opml":
        body = render_to_string(
            "alerts/follows.opml", {"follows": follows, "SITE_URL": settings.SITE_URL}
        )
        response = HttpResponse(body, content_type="text/x-opml; charset=utf-8")
    else:
        return HttpResponseBadRequest("export as json or opml")
    response["Content-Disposition"] = f'attachment; filename="tidings-follows.{fmt}"'
    return response


@login_required
@require_POST
def import_follows(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to import.")
        return redirect("alerts:my_topics")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        messages.error(request, "That file is over the 1 MiB import limit.")
        return redirect("alerts:my_topics")
    try:
        wanted = _read_import(upload.read())
    except ValueError as exc:
        messages.error(request, f"Nothing imported: {exc}")
        return redirect("alerts:my_topics")
    topics = {t.slug: t for t in Topic.objects.live().filter(slug__in=[w[0] for w in wanted])}
    by_name = {
        t.name.casefold(): t for t in Topic.objects.live().filter(name__in=[w[1] for w in wanted])
    }
    added, unknown = 0, []
    for slug, name, fields in wanted:
        topic = topics.get(slug) or by_name.get(name.casefold())
        if topic is None:
            unknown.append(name or slug)
            continue
        actions.follow_topic(reader_of(request), topic, **fields)
        added += 1
    note = f" Not found here: {', '.join(unknown[:10])}." if unknown else ""
    messages.success(request, f"Imported {added} follows.{note}")
    return redirect("alerts:my_topics")


def _read_import(data: bytes) -> list[tuple[str, str, dict[str, object]]]:
    """(slug, name, follow settings) from a tidings JSON export or an OPML file."""
    text = data.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("{"):
        try:
            rows = json.loads(text)["follows"]
        except (ValueError, KeyError, TypeError):
            raise ValueError("this is not a tidings follows export") from None
        if not isinstance(rows, list):
            raise ValueError('"follows" should be a list')
        allowed = {"cadence": dict(Follow._meta.get_field("cadence").choices or []),
                   "scope": dict(Follow._meta.get_field("scope").choices or [])}  # fmt: skip
        wanted = []
        for row in rows:
            if not isinstance(row, dict):
                continue
            fields: dict[str, object] = {
                k: row[k] for k in ("cadence", "scope") if row.get(k) in allowed[k]
            }
            if isinstance(row.get("muted"), bool):
                fields["muted"] = row["muted"]
            wanted.append((str(row.get("topic", "")), str(row.get("name", "")), fields))
        return wanted
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise ValueError(f"this is neither JSON nor safe OPML ({type(exc).__name__})") from None
    wanted = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("htmlUrl") or ""
        match = _TOPIC_PATH.search(url)
        name = outline.get("title") or outline.get("text") or ""
        if match or name:
            wanted.append((match.group(1) if match else "", name, {}))
    return wanted


@login_required
def my_feed(request: HttpRequest) -> HttpResponse:
    reader = reader_of(request)
    followed = Follow.objects.filter(reader=reader, muted=False).values("topic_id")
    stories = (
        Story.objects.published()
        .for_listing()
        .filter(story_topics__topic_id__in=followed)
        .distinct()
    )
    page = Paginator(stories, settings.STORIES_PER_PAGE).get_page(request.GET.get("page"))
    unread = set(
        Alert.objects.filter(
            reader=reader, read_at__isnull=True, story__in=page.object_list
        ).values_list("story_id", flat=True)
    )
    return render(request, "alerts/my_feed.html", {"page": page, "unread": unread})


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    reader = reader_of(request)
    if request.method == "POST":
        actions.mark_read(reader)
        return redirect("alerts:notifications")
    alerts = Alert.objects.filter(reader=reader).shown().select_related("story")
    page = Paginator(alerts, 30).get_page(request.GET.get("page"))
    page.object_list = with_reasons(page.object_list)
    return render(request, "alerts/notifications.html", {"page": page})


@login_required
def webhooks(request: HttpRequest) -> HttpResponse:
    reader = reader_of(request)
    form = WebhookForm()
    if request.method == "POST":
        if "delete" in request.POST:
            endpoint_id = request.POST["delete"]
            if not endpoint_id.isdigit():
                return HttpResponseBadRequest("delete: the id of one of your endpoints")
            actions.remove_webhook(reader, int(endpoint_id))
            return redirect("alerts:webhooks")
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                actions.add_webhook(reader, form.cleaned_data["url"])
            except SafeHTTPError as exc:
                form.add_error("url", f"Refused: {exc}")
            except actions.WebhookLimit as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Endpoint added. Verify our signatures with its secret.")
                return redirect("alerts:webhooks")
    endpoints = WebhookEndpoint.objects.filter(reader=reader)
    return render(request, "alerts/webhooks.html", {"form": form, "endpoints": endpoints})


# One-click links arrive from mail clients (RFC 8058 POSTs, with no session or CSRF token); the
# signed token is the permission. A GET only shows a confirmation, so link scanners change nothing.
@csrf_exempt
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    try:
        action, reader_id, follow_ids, search_ids = read_token(token)
    except signing.BadSignature:
        return render(request, "alerts/one_click.html", {"invalid": True}, status=400)
    topics = list(Topic.objects.filter(follows__id__in=follow_ids, follows__reader_id=reader_id))
    searches = list(SavedSearch.objects.filter(id__in=search_ids, reader_id=reader_id))
    if not topics and not searches:
        # Unfollowed since (and perhaps followed again: a new follow this link does not name).
        return render(request, "alerts/one_click.html", {"gone": True}, status=410)
    context: dict[str, object] = {"action": action, "topics": topics, "searches": searches}
    if request.method == "POST":
        changed = actions.apply_one_click(action, reader_id, follow_ids, search_ids)
        context |= {"done": True, "changed": changed}
    return render(request, "alerts/one_click.html", context)

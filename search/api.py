"""/api/v1/me/searches: the caller's saved searches, which alert like follows."""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from accounts.models import ApiToken
from search import actions
from search.models import SavedSearch
from search.query import QueryError
from search.schemas import SearchIn, SearchList, SearchOut, SearchPatch
from tidings.apikit import SIGNED_IN, ApiError, answers, aware, need

router = Router(tags=["me"], auth=SIGNED_IN)
READ, FOLLOW = ApiToken.Scope.READ.value, ApiToken.Scope.FOLLOW.value


def search_json(search: SavedSearch) -> dict[str, Any]:
    return {
        "id": search.pk,
        "query": search.query,
        "cadence": search.cadence,
        "muted": search.muted,
        "snoozed_until": search.snoozed_until,
        "created_at": search.created_at,
        "url": f"{settings.SITE_URL}{reverse('search:results')}?{urlencode({'q': search.query})}",
    }


def _own(request: HttpRequest, search_id: int, scope: str) -> SavedSearch:
    reader = need(request, scope)
    search = SavedSearch.objects.filter(reader=reader, id=search_id).first()
    if search is None:
        raise ApiError(404, "not_found", f"you have no saved search {search_id}")
    return search


@router.get("", response=answers(SearchList), summary="Your saved searches")
def list_searches(request: HttpRequest) -> dict[str, Any]:
    reader = need(request, READ)
    return {"items": [search_json(s) for s in SavedSearch.objects.filter(reader=reader)]}


@router.post(
    "", response=answers({200: SearchOut, 201: SearchOut}), summary="Save a search as an alert"
)
def add_search(request: HttpRequest, payload: SearchIn) -> Status[dict[str, Any]]:
    """201 for a new saved search; 200 when you had saved the same one (its settings are
    updated). A query that is malformed or only excludes words is refused (422)."""
    reader = need(request, FOLLOW)
    # What the caller leaves out stays as it was on a search saved before.
    fields = {
        k: v for k, v in (("muted", payload.muted), ("cadence", payload.cadence)) if v is not None
    }
    before = SavedSearch.objects.filter(reader=reader).count()
    try:
        search = actions.save_search(reader, payload.query, **fields)
    except QueryError as exc:
        raise ApiError(422, "invalid", f"query: {exc.message}", "query") from exc
    created = SavedSearch.objects.filter(reader=reader).count() > before
    return Status(201 if created else 200, search_json(search))


@router.patch("/{search_id}", response=answers(SearchOut, 404), summary="Change a saved search")
def change_search(request: HttpRequest, search_id: int, payload: SearchPatch) -> dict[str, Any]:
    search = _own(request, search_id, FOLLOW)
    fields = payload.dict(exclude_unset=True)
    for name in ("cadence", "muted"):
        if name in fields and fields[name] is None:
            raise ApiError(422, "invalid", f"{name}: may not be null", name)
    if "snoozed_until" in fields:
        fields["snoozed_until"] = aware(fields["snoozed_until"], "snoozed_until")
    if fields:
        search = actions.update_search(search, **fields)
    return search_json(search)


@router.delete("/{search_id}", response=answers({204: None}, 404), summary="Delete a search")
def remove_search(request: HttpRequest, search_id: int) -> Status[None]:
    search = _own(request, search_id, FOLLOW)
    actions.delete_search(search.reader, search.pk)
    return Status(204, None)

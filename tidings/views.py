from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.static import serve


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers; also the trivial-view baseline in bench/."""
    return HttpResponse("ok", content_type="text/plain")


def media(request: HttpRequest, path: str) -> FileResponse | HttpResponse:
    # Reads MEDIA_ROOT per request (not at import) so tests and deployments can move it.
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))

from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers; also the trivial-view baseline in bench/."""
    return HttpResponse("ok", content_type="text/plain")

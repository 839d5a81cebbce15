"""Project-wide middleware."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    """Nothing a logged-in user receives is kept by a browser's or a proxy's cache.

    Member pages, exports and import previews carry ID numbers and phones;
    a shared office computer's cache or a proxy must not keep them after
    logout. Every response to an authenticated request, and every file
    download, is marked ``private, no-store``. Static files (the same for
    everyone) stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Django gives a relative STATIC_URL its leading slash (and script prefix).
        if request.path.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)
        is_download = isinstance(response, FileResponse) or response.has_header(
            "Content-Disposition"
        )
        if is_download or getattr(user, "is_authenticated", False):
            patch_cache_control(response, private=True, no_store=True)
        return response

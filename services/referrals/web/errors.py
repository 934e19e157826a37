"""Errors met at a browser: sign in when signed out; otherwise back to the page the form was on, with
the reason in an error summary (or a plain error page for a page that cannot be shown)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from services.referrals.web.templating import render


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/v1/", "/health", "/metrics", "/openapi", "/docs"))


def page_error(request: Request, status: int, detail: str) -> Response | None:
    if not is_page(request):
        return None
    if request.method == "POST":
        came_from = urlsplit(request.headers.get("referer", "/")).path or "/"
        return RedirectResponse(f"{came_from}?{urlencode({'error': detail})}", status_code=303)
    title = {403: "You cannot see this page", 404: "Page not found"}.get(status, "Sorry, there is a problem")
    return render("message.html", status, scope=None, csrf_token=None, title=title, message=detail)


def sign_in_first(request: Request, exc) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?{urlencode({'next': exc.next_path})}", status_code=303)

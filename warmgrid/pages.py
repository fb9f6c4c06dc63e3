"""What every app's page views share: running an action against a form, htmx partials,
and where to go after a write."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from warmgrid.errors import DomainError, Forbidden, NotFound


def show_errors(form, error: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Each message beside its field (`aliases` maps an action's field name onto the
    form's); the summary, or a message with no field, above the form."""
    placed = set()
    for name, field_messages in error.fields.items():
        name = (aliases or {}).get(name, name)
        for message in field_messages:
            form.add_error(name if name in form.fields else None, message)
            placed.add(message)
    if str(error.message) not in placed:
        form.add_error(None, str(error.message))


def act(form, call, *, aliases: dict[str, str] | None = None):
    """Run an action; its errors land on the form (and None comes back)."""
    try:
        return call()
    except Forbidden as exc:
        raise PermissionDenied(str(exc.message)) from exc
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        show_errors(form, exc, aliases=aliases)
        return None


def wants_partial(request) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page(request, template: str, context: dict, partial: str):
    """The whole page, or for htmx only the named partial of the same template."""
    return render(request, f"{template}#{partial}" if wants_partial(request) else template,
                  context)


def go(request, url: str):
    """After a successful write: htmx navigates the whole page, a plain form redirects."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)

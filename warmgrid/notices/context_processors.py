"""The unread badge in the navigation: one COUNT query, and only when a page shows it."""

from functools import cache

from warmgrid.notices.queries import unread_count


def unread_notices(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A callable: the template calls it (once, memoised) only where the nav is drawn,
    # so htmx partials pay nothing.
    return {"wg_unread_notices": cache(lambda: unread_count(user))}

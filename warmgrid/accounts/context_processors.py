from warmgrid.accounts.models import Role
from warmgrid.accounts.scopes import REGISTRY_EDITORS, REGISTRY_READERS, grants_of, roles_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = roles_of(user)
    return {
        "wg_roles": held,
        "wg_grants": grants_of(user),
        "wg_reads_registry": bool(held & REGISTRY_READERS) or Role.SYSTEM_ADMIN in held
        or Role.RESIDENT in held,
        "wg_edits_registry": bool(held & REGISTRY_EDITORS),
        "wg_reads_audit": bool(held & {Role.STREET_ADMIN, Role.DISTRICT_ADMIN,
                                       Role.SYSTEM_ADMIN}),
    }

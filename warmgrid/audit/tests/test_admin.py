"""Configuration changed in /admin/ is audited; authenticators cannot be handed out there."""

from warmgrid.audit.models import AuditEntry


def test_admin_changes_reach_the_audit_trail(world, login):
    admin_user = world.system_admin
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = login(admin_user)
    response = client.post(f"/admin/places/area/{world.grid_a.pk}/change/",
                           {"name": "和平社区一网格", "outline": ""})
    assert response.status_code == 302, response.content[:500]
    world.grid_a.refresh_from_db()
    assert world.grid_a.name == "和平社区一网格"
    entry = AuditEntry.objects.filter(object_type="area").latest("seq")
    assert entry.action == "update"
    assert entry.changes == {"fields": ["name"], "via": "admin"}
    assert entry.area_path == world.grid_a.path
    assert entry.actor_username == admin_user.username


def test_admin_cannot_add_areas_or_authenticators(world, login):
    admin_user = world.system_admin
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = login(admin_user)
    assert client.get("/admin/places/area/add/").status_code == 403
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404

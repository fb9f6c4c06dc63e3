import json

SQUARE = [[[117.0, 36.6], [117.01, 36.6], [117.01, 36.61], [117.0, 36.61], [117.0, 36.6]]]


def admin_client(world, login):
    world.system_admin.is_staff = world.system_admin.is_superuser = True
    world.system_admin.save()
    return login(world.system_admin)


def test_an_outline_must_be_a_polygon(world, login):
    client = admin_client(world, login)
    url = f"/admin/places/area/{world.grid_a.pk}/change/"
    point = json.dumps({"type": "Point", "coordinates": [117.0, 36.6]})
    response = client.post(url, {"name": world.grid_a.name, "outline": point})
    assert response.status_code == 200
    assert "GeoJSON Polygon or MultiPolygon" in response.content.decode()
    world.grid_a.refresh_from_db()
    assert world.grid_a.outline is None
    polygon = {"type": "Polygon", "coordinates": SQUARE}
    response = client.post(url, {"name": world.grid_a.name, "outline": json.dumps(polygon)})
    assert response.status_code == 302
    world.grid_a.refresh_from_db()
    assert world.grid_a.outline == polygon

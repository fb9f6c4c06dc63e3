"""Checks for area outlines: a GeoJSON Polygon or MultiPolygon in WGS 84 (RFC 7946)."""

from __future__ import annotations

from numbers import Real


class OutlineError(ValueError):
    pass


def _position(value) -> None:
    if (not isinstance(value, list | tuple) or len(value) not in (2, 3)
            or not all(isinstance(v, Real) and not isinstance(v, bool) for v in value)):
        raise OutlineError("a position is [longitude, latitude]")
    lon, lat = value[0], value[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise OutlineError("longitude must lie in -180…180 and latitude in -90…90")


def _ring(value) -> None:
    if not isinstance(value, list | tuple) or len(value) < 4:
        raise OutlineError("a ring has at least four positions")
    for position in value:
        _position(position)
    if list(value[0]) != list(value[-1]):
        raise OutlineError("a ring ends where it starts")


def _polygon(value) -> None:
    if not isinstance(value, list | tuple) or not value:
        raise OutlineError("a polygon is a list of rings")
    for ring in value:
        _ring(ring)


def check_outline(outline) -> None:
    """Raise OutlineError unless `outline` is a Polygon or MultiPolygon geometry (or a
    Feature holding one)."""
    if isinstance(outline, dict) and outline.get("type") == "Feature":
        outline = outline.get("geometry")
    if not isinstance(outline, dict):
        raise OutlineError("an outline is a GeoJSON geometry object")
    kind, coordinates = outline.get("type"), outline.get("coordinates")
    if kind == "Polygon":
        _polygon(coordinates)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list | tuple) or not coordinates:
            raise OutlineError("a multipolygon is a list of polygons")
        for polygon in coordinates:
            _polygon(polygon)
    else:
        raise OutlineError("an outline is a Polygon or a MultiPolygon")

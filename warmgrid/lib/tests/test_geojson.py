import pytest

from warmgrid.lib.geojson import OutlineError, check_outline

SQUARE = [[[117.0, 36.6], [117.01, 36.6], [117.01, 36.61], [117.0, 36.61], [117.0, 36.6]]]


def test_it_accepts_polygons_multipolygons_and_features():
    check_outline({"type": "Polygon", "coordinates": SQUARE})
    check_outline({"type": "MultiPolygon", "coordinates": [SQUARE, SQUARE]})
    check_outline({"type": "Feature", "properties": {},
                   "geometry": {"type": "Polygon", "coordinates": SQUARE}})


@pytest.mark.parametrize("outline", [
    {"type": "Point", "coordinates": [117.0, 36.6]},
    {"type": "Polygon", "coordinates": [SQUARE[0][:-1]]},  # not closed
    {"type": "Polygon", "coordinates": [[[200, 36.6], [117.01, 36.6], [117.0, 36.61],
                                         [200, 36.6]]]},  # longitude out of range
    {"type": "Polygon", "coordinates": [[["a", 1], [1, 1], [1, 2], ["a", 1]]]},
    {"type": "MultiPolygon", "coordinates": []},
    "not json object", None,
])
def test_it_refuses_what_is_not_an_outline(outline):
    with pytest.raises(OutlineError):
        check_outline(outline)

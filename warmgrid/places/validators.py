from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from warmgrid.lib.geojson import OutlineError, check_outline


def validate_outline(value) -> None:
    if value in (None, ""):
        return
    try:
        check_outline(value)
    except OutlineError as exc:
        raise ValidationError(
            _("The outline must be a GeoJSON Polygon or MultiPolygon in longitude and "
              "latitude (%(detail)s)."), params={"detail": str(exc)}, code="outline",
        ) from exc

"""Open311 GeoReport v2, mounted at /open311/v2/: every resource as .json or .xml."""

from django.urls import re_path

from warmgrid.cases import open311

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, open311.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, open311.services, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + FORMAT, open311.service_definition,
            name="service"),
    re_path(r"^requests" + FORMAT, open311.service_requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)" + FORMAT, open311.service_request,
            name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + FORMAT, open311.request_from_token, name="token"),
]

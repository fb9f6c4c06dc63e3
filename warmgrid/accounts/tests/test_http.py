from django.test import RequestFactory

from warmgrid.accounts.http import client_ip


def request(remote="10.0.0.9", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_proxies_the_socket_address_counts(settings):
    settings.WARMGRID_PROXY_COUNT = 0
    assert client_ip(request(forwarded="6.6.6.6")) == "10.0.0.9"


def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_wrote(settings):
    settings.WARMGRID_PROXY_COUNT = 1
    # The client forged "6.6.6.6"; nginx appended the address it really came from.
    assert client_ip(request(remote="127.0.0.1", forwarded="6.6.6.6, 203.0.113.7")) == \
        "203.0.113.7"


def test_a_missing_header_behind_a_proxy_falls_back_to_the_socket(settings):
    settings.WARMGRID_PROXY_COUNT = 1
    assert client_ip(request(remote="127.0.0.1")) == "127.0.0.1"

import pytest
from django.test import Client


@pytest.fixture
def world(db):
    from warmgrid.testing import build_world

    return build_world()


def _verified_client(user):
    """A logged-in client; admins also pass the second factor, as they must in real use."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from warmgrid.accounts.scopes import needs_second_factor

    client = Client()
    client.force_login(user)
    if needs_second_factor(user):
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def login():
    return _verified_client


@pytest.fixture
def api_token():
    def issue(user):
        from warmgrid.accounts.actions import do_issue_api_token

        return do_issue_api_token(user=user)

    return issue


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 at production strength costs ~0.3 s a user; tests that need it ask for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_pages(settings):
    """Assertions read English msgids; the zh-Hans default is tested where it matters."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """Counters live in the cache, which outlives a test; the limiter's own tests turn
    the limits back on (warmgrid/accounts/tests/test_ratelimits.py)."""
    settings.WARMGRID_RATE_LIMITS_ENABLED = False


@pytest.fixture(autouse=True)
def fresh_case_reference():
    """Categories and routing rules are kept per process; a test's rolled-back rows must
    not reach the next test."""
    from warmgrid.cases import reference

    reference.forget()
    yield
    reference.forget()



def _flushes_the_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    return bool((marker and marker.kwargs.get("transaction"))
                or "transactional_db" in names or "live_server" in names)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends by flushing every table, migrations' seed rows included;
    put those back (and forget cached content types) so later tests in this process see
    the database every other test sees."""
    yield
    # After the last test the test database is already gone: nothing to put back.
    if nextitem is None or not _flushes_the_database(item):
        return
    from django.contrib.contenttypes.models import ContentType
    from pytest_django.plugin import blocking_manager_key

    from warmgrid.testing import ensure_reference_data

    with item.config.stash[blocking_manager_key].unblock():
        ContentType.objects.clear_cache()
        ensure_reference_data()

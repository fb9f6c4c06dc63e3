"""Keys: rotation re-encrypts everything readable; logs never carry identifiers."""

import logging

from django.core.management import call_command

from warmgrid.lib.crypto import new_key
from warmgrid.people.identifiers import _cipher_for, open_id_number, open_phone
from warmgrid.people.logging import RedactIdentifiers, redact
from warmgrid.people.models import Resident
from warmgrid.people.queries import search_residents


def test_rotation_moves_every_ciphertext_to_the_new_key(world, settings):
    old_ring = settings.WARMGRID_DATA_KEYS
    settings.WARMGRID_DATA_KEYS = f"k9:{new_key()},{old_ring}"
    _cipher_for.cache_clear()
    call_command("keys", "rotate", "--batch-size", "2")
    for resident in Resident.objects.all():
        assert resident.id_number_cipher.startswith("v1.k9.")
    # The old key can now be retired: everything opens with the new key alone.
    settings.WARMGRID_DATA_KEYS = settings.WARMGRID_DATA_KEYS.split(",")[0]
    _cipher_for.cache_clear()
    zhang = Resident.objects.get(pk=world.zhang_san.pk)
    assert open_id_number(zhang.id_number_cipher) == world.zhang_san.id_number_plain
    assert open_phone(zhang.phone_cipher) == "13812345678"
    _cipher_for.cache_clear()


def test_a_new_index_key_reindexes_so_search_still_finds(world, settings):
    settings.WARMGRID_INDEX_KEY = new_key()
    _cipher_for.cache_clear()
    last4 = world.zhang_san.id_number_plain[-4:]
    assert list(search_residents(world.worker_a, last4)) == []  # stale index
    call_command("keys", "rotate")
    assert [r.name for r in search_residents(world.worker_a, last4)] == ["张三"]
    _cipher_for.cache_clear()


def test_identifiers_are_redacted_from_log_lines():
    assert redact("call 13812345678 about 37010219900101123X") == \
        "call 138****5678 about **************123X"


def test_the_log_filter_rewrites_records(caplog):
    logger = logging.getLogger("warmgrid.test")
    logger.addFilter(RedactIdentifiers())
    with caplog.at_level(logging.INFO, logger="warmgrid.test"):
        logger.info("resident %s phone %s", "37010219900101123X", "13812345678")
    assert "37010219900101123X" not in caplog.text
    assert "**************123X" in caplog.text


def test_request_lines_and_every_configured_handler_redact(caplog):
    """runserver logs each request with its query string: a search for an ID number."""
    from django.conf import settings

    handlers = settings.LOGGING["handlers"]
    assert all("redact" in h.get("filters", []) for h in handlers.values())
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]
    server = logging.getLogger("django.server")
    assert any(isinstance(f, RedactIdentifiers) for h in server.handlers for f in h.filters)

"""Departmental ledgers (台帐): reading, checking and writing them back, without Django."""

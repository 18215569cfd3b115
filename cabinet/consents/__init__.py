"""Consent per purpose (policy 2.2, 3.5.1), kept as events; the current state is derived."""

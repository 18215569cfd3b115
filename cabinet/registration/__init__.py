"""Becoming a data subject: the account, the scans, the policy accepted and a consent per purpose, at once."""

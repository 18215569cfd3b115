"""Accounts: registration, sign-in, confirmation, password reset, roles."""

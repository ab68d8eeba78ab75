"""Accounts: sign-up with e-mail confirmation, login, password reset, account settings."""

"""Accounts: sign up, sign in/out, browser sessions."""

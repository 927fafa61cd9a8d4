"""Audit log: who did what, when, in which project."""

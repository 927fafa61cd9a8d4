"""Fixtures, factories and helper job types for the test suite."""

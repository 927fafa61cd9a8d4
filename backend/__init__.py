"""Moteforge backend package."""

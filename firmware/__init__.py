"""Moteforge firmware package."""

"""Moteforge workers package."""

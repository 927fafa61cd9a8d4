"""Moteforge backend: the FastAPI studio, one package per domain."""

__version__ = "0.1.0"

"""Lowering validated models to kernel calls and rendering them as C sources."""

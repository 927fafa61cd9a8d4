"""Deployment: per-board resource estimates, verified firmware bundles built as jobs, downloads."""

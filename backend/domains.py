"""Routers and job handlers of the product domains (data, impulses, training, deploy), in one list each."""

DOMAIN_ROUTERS: list[str] = []

# Modules that add commands to the `moteforge` CLI (they import backend.cli.main.app).
CLI_MODULES: list[str] = []

"""Organizations: teams that own projects together."""

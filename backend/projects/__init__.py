"""Projects, their members, invites, API keys and the permission matrix."""

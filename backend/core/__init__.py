"""Cross-cutting infrastructure: settings, database, errors, blobs, security and request dependencies."""

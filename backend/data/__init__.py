"""Data domain: uploaded samples, their storage and the file formats they arrive in."""

"""Deployment bundles: the impulse in C for a board, verified on the test samples and signed."""

"""Impulses: the versioned design (input block, processing blocks, learning blocks) and its features."""

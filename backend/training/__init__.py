"""Training, model testing and live classification in the studio."""

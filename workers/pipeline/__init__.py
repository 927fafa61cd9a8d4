"""Input pipeline: turning stored samples into fixed-size model inputs (resampling, windowing)."""

"""Jobs: every long task (training, conversion, builds) as a row with status, progress and logs."""

"""The `moteforge` command line: run the studio, administer it, and script a running studio over its API."""

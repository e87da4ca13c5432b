"""The `sequex` command line: each subcommand lives in its own module under `tools`."""

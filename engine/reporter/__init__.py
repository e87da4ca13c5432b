"""The reporter: books and records of every order event and execution, in SQLite or PostgreSQL.

``schema`` (the tables, as data) -> ``rows`` (commands and events to rows, pure) ->
``writer`` (the one writer interface; backends ``sqlite_writer`` and ``pg_writer``, the only
modules that import a database driver) -> ``follower`` (journal replay into a writer) ->
``status`` (its lag). The stage that runs it in a host: ``engine.stages.reporter``; the
command line: ``sequex report``; the schema and queries: docs/reporter.md.
"""

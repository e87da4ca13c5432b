"""``[reporter]`` in the host configuration, and what the topology makes of it."""

from __future__ import annotations

import pytest

from engine.config import ConfigError, ReporterConfig, parse_config
from engine.topology import TopologySpec


def test_the_reporter_runs_on_sqlite_by_default() -> None:
    config = parse_config("")
    assert config.reporter == ReporterConfig(enabled=True, dsn=None, schema="sequex")
    assert "reporter" in TopologySpec.from_config(config, "p-").stage_names()


def test_a_dsn_and_a_schema_choose_postgresql() -> None:
    config = parse_config('[reporter]\ndsn = "host=127.0.0.1 dbname=test"\nschema = "books"\n')
    assert (config.reporter.dsn, config.reporter.schema) == ("host=127.0.0.1 dbname=test", "books")


def test_a_disabled_reporter_has_no_process() -> None:
    config = parse_config("[reporter]\nenabled = false\n")
    assert "reporter" not in TopologySpec.from_config(config, "p-").stage_names()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[reporter]\nschema = "Books; DROP"\n', "reporter.schema: must be a lower-case SQL"),
        ('[reporter]\ndsn = ""\n', "reporter.dsn: must be a non-empty string"),
        ("[reporter]\nsqlite = 'x'\n", "reporter.sqlite: is not a known key"),
    ],
)
def test_a_bad_reporter_section_is_refused_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(";", ".")):
        parse_config(text)

"""docs/views.md names every endpoint and error code the OpenAPI document describes, and
nothing it does not."""

from __future__ import annotations

import json
import re
from pathlib import Path

from engine.views.server import STATIC

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "views.md").read_text(encoding="utf-8")
OPENAPI = json.loads((STATIC / "openapi.json").read_text(encoding="utf-8"))


def test_every_endpoint_is_in_the_doc_and_in_the_openapi_document() -> None:
    in_doc = set(re.findall(r"`GET (/[^`?]*)", DOC))
    assert in_doc == set(OPENAPI["paths"])


def test_every_error_code_is_in_the_doc() -> None:
    codes = OPENAPI["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    documented = set(re.findall(r"\| \d{3} \| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", DOC))
    named = {code for pair in documented for code in pair if code}
    assert named == set(codes["enum"]) - {"http_error"}

"""Sample replies: OpenAPI examples first, else data fitting the schema; and `gmbot preview`'s user errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator import yamlpos
from generator.openapi import OpenAPI, load
from gmbot.preview.samples import response_sample, sample

API = """
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingPage'}
              example: {items: [{id: "7", name: From the example}], total: 1}
        "404":
          description: none
          content:
            application/problem+json:
              schema: {$ref: '#/components/schemas/Problem'}
  /others:
    get:
      operationId: listOthers
      responses:
        "200":
          description: a page made from the schema alone
          content:
            application/json:
              schema:
                type: object
                properties:
                  others: {type: array, items: {$ref: '#/components/schemas/Thing'}}
                  othersCount: {type: integer, example: 1}
                  total: {type: integer, minimum: 1}
                  offset: {type: integer, minimum: 0, example: 40}
                  limit: {type: integer, minimum: 1, maximum: 100}
                  page: {type: integer, minimum: 1}
                  pages: {type: integer}
                  wins: {type: integer, minimum: 3}
  /things/{id}:
    get:
      operationId: getThing
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      properties:
        id: {type: string}
        name: {type: string, maxLength: 8}
        size: {type: integer, minimum: 3}
        kind: {type: string, enum: [big, small]}
        tags: {type: array, items: {$ref: '#/components/schemas/Tag'}}
        seen: {type: string, format: date-time}
        parent: {allOf: [{$ref: '#/components/schemas/Kind'}], nullable: true}
    Tag:
      type: object
      properties: {id: {type: string}, name: {type: string}}
    Kind: {type: string, enum: [a, b]}
    ThingPage:
      type: object
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/Thing'}}
        total: {type: integer}
    Problem:
      type: object
      properties: {title: {type: string}, status: {type: integer}}
"""


def _api() -> OpenAPI:
    doc, errors = yamlpos.load("openapi.yaml", API)
    assert not errors
    api, errors = load(doc)
    assert not errors, errors
    return api


def test_the_operation_example_is_the_sample() -> None:
    assert response_sample(_api(), "listThings", "200") == {"items": [{"id": "7", "name": "From the example"}],
                                                            "total": 1}


def test_without_an_example_the_sample_fits_the_schema() -> None:
    thing = response_sample(_api(), "getThing", "200")
    assert thing["name"] == "Sample t"  # "Sample thing", within maxLength 8
    assert thing["size"] >= 3
    assert thing["kind"] in {"big", "small"}
    assert thing["parent"] == "a"  # allOf of a non-object keeps the value
    assert thing["seen"].endswith("Z")
    assert [t["id"] for t in thing["tags"]] == ["1001", "1002"]  # list items differ
    assert thing["tags"][0]["name"] != thing["tags"][1]["name"]


def test_a_page_made_from_the_schema_agrees_with_itself() -> None:
    """Issue 17: no "total 1" beside two items, no "page 21 of 1"."""
    page = response_sample(_api(), "listOthers", "200")
    assert len(page["others"]) == 2
    assert page["total"] == page["othersCount"] == 2
    assert page["offset"] == 0 and page["page"] == 1 and page["pages"] == 1
    assert page["limit"] >= 2 and page["offset"] // page["limit"] + 1 == 1
    assert page["wins"] == 3  # not a count of the list: left as the schema makes it


def test_error_cards_get_the_error_response_or_a_problem() -> None:
    api = _api()
    assert set(response_sample(api, "listThings", "error")) == {"title", "status"}
    assert response_sample(api, "getThing", "error")["status"] == 409  # no error response declared
    assert sample(api, {"type": "array", "items": {"type": "integer"}, "minItems": 3}) == [1, 2, 3]


def test_a_missing_spec_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "gmbot.cli", "preview", "--spec", "nope.yaml"],
                            cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == ("gmbot preview: nope.yaml not found (run it from the project root, "
                                     "or pass --spec / --openapi)")


@pytest.mark.filterwarnings("ignore:Using `httpx`")
def test_a_plain_form_post_without_javascript_returns_to_the_card(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from generator.pipeline import Config
    from gmbot.preview.app import create_app

    root = Path(__file__).resolve().parents[2]
    client = TestClient(create_app(Config(spec=root / "specs/commands.yaml", openapi=root / "openapi.yaml")))
    answer = client.post("/render", data={"id": "command/setup/201", "sample": '{"name": "Posted"}'},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/#command/setup/201"
    assert "Welcome, Posted!" in client.get("/").text
    fragment = client.post("/render", data={"id": "command/setup/201", "reset": "1"}, headers={"X-Fragment": "1"})
    assert "Welcome, Posted!" not in fragment.text and fragment.text.startswith('<div class="entry"')


def test_a_taken_port_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    import socket

    root = Path(__file__).resolve().parents[2]
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "gmbot.cli", "preview", "--port", str(port)],
                                cwd=root, capture_output=True, text=True, check=False, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"gmbot preview: cannot listen on 127.0.0.1:{port}: Address already in use"
                                     " (pass --port to use another)")

"""Every object of the api schema is documented in the database (COMMENT ON), and docs/api.md is
what the database says (regenerate with `netfloox reference`)."""

from __future__ import annotations

from harness.presentation import api_reference


def test_every_api_object_has_a_comment(db):
    names = {o["name"] for o in api_reference.objects(db)}
    assert {"recommend", "search_titles", "predict_rating", "model_card", "recommendation"} <= names
    assert api_reference.undocumented(db) == []


def test_docs_api_md_is_current(db):
    assert api_reference.OUT.read_text(encoding="utf-8") == api_reference.render(db), (
        "docs/api.md is stale: run `netfloox reference`"
    )


def test_a_new_function_without_a_comment_is_caught(db):
    db.execute("CREATE FUNCTION api.undocumented_one() RETURNS integer LANGUAGE sql AS 'SELECT 1'")
    assert api_reference.undocumented(db) == ["function api.undocumented_one"]

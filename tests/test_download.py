"""Downloading the IMDb files from a base URL, against a local HTTP server."""

from __future__ import annotations

import pytest
from werkzeug import Request, Response

from database.download import DownloadError, fetch
from database.imdb_import import ImportOptions, run_import
from tests.imdb_fixture import FILES, gz

NAMES = list(FILES)


@pytest.fixture(autouse=True)
def _not_found_is_404(httpserver):
    """Like a real file server: a file it lacks is a 404."""
    httpserver.no_handler_status_code = 404


def _serve(httpserver, name: str, body: bytes, etag: str = '"v1"') -> list[Request]:
    """Serve ``body`` with an ETag, answering 304 to a matching If-None-Match; log requests."""
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304)
        return Response(body, headers={"ETag": etag, "Content-Type": "application/gzip"})

    httpserver.expect_request(f"/{name}").respond_with_handler(handler)
    return seen


def test_download_then_not_again_when_unchanged(httpserver, tmp_path):
    body = gz(FILES["title.ratings.tsv.gz"])
    seen = _serve(httpserver, "title.ratings.tsv.gz", body)
    base = httpserver.url_for("/")
    paths = fetch(base, ["title.ratings.tsv.gz", "title.akas.tsv.gz"], tmp_path, echo=print)
    assert paths["title.ratings.tsv.gz"].read_bytes() == body
    assert paths["title.akas.tsv.gz"] is None  # 404: missing, reported, allowed
    again = fetch(base, ["title.ratings.tsv.gz"], tmp_path, echo=print)
    assert again["title.ratings.tsv.gz"] == paths["title.ratings.tsv.gz"]
    assert seen[-1].headers.get("If-None-Match") == '"v1"'
    assert len(seen) == 2


def test_truncated_download_never_passes_for_complete(httpserver, tmp_path):
    body = gz(FILES["name.basics.tsv.gz"])
    # a server that closes early: a valid length header but a cut gzip stream
    httpserver.expect_request("/name.basics.tsv.gz").respond_with_data(body[:-30])
    with pytest.raises(DownloadError, match="not a complete gzip"):
        fetch(httpserver.url_for("/"), ["name.basics.tsv.gz"], tmp_path, echo=print)
    assert not list(tmp_path.rglob("name.basics.tsv.gz*"))


def test_server_error_is_reported_with_the_url(httpserver, tmp_path):
    httpserver.expect_request("/title.crew.tsv.gz").respond_with_data("boom", status=500)
    with pytest.raises(DownloadError, match=r"title.crew.tsv.gz: HTTP 500"):
        fetch(httpserver.url_for("/"), ["title.crew.tsv.gz"], tmp_path, echo=print)


def test_import_from_a_base_url(httpserver, db, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("NETFLOOX_CACHE_DIR", str(tmp_path / "cache"))
    for name, lines in FILES.items():
        _serve(httpserver, name, gz(lines))
    report = run_import(db_url, httpserver.url_for("/"), ImportOptions(), echo=print)
    assert report.status == "succeeded"
    assert all(f.present for f in report.files.values())
    assert (
        db.execute("SELECT count(*) FROM catalog.title WHERE NOT is_placeholder").fetchone()[0] == 8
    )


def test_not_a_directory_nor_url(tmp_path):
    with pytest.raises(DownloadError, match="not a directory nor an http"):
        fetch(str(tmp_path / "nope"), NAMES, tmp_path, echo=print)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_cache_is_detected_and_fetched_again(httpserver, tmp_path, damage):
    body = gz(FILES["title.ratings.tsv.gz"] * 50)
    seen = _serve(httpserver, "title.ratings.tsv.gz", body)
    base = httpserver.url_for("/")
    cached = fetch(base, ["title.ratings.tsv.gz"], tmp_path, echo=print)["title.ratings.tsv.gz"]
    data = bytearray(cached.read_bytes())
    if damage == "truncate":
        cached.write_bytes(bytes(data[: len(data) // 2]))
    else:  # same size, a flipped byte inside the compressed stream
        data[len(data) // 2] ^= 0xFF
        cached.write_bytes(bytes(data))
    again = fetch(base, ["title.ratings.tsv.gz"], tmp_path, echo=print)["title.ratings.tsv.gz"]
    assert again.read_bytes() == body
    assert len(seen) == 2 and "If-None-Match" not in seen[1].headers  # a full download

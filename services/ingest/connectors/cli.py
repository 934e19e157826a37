"""`python -m services.ingest wonde-pull`: publish a school's new and changed marks from Wonde."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from services.ingest.connectors.client import IngestRefused, chunks, ingest_client, post_rows
from services.ingest.connectors.wonde import Cursor, CursorStore, MappingProblem, pages, to_mark


def pull_school(
    wonde: httpx.Client, ingest: httpx.Client, store: CursorStore, school_id: str, school_urn: str, per_page: int
) -> int:
    """Publish every page after the saved cursor; the cursor moves only after ingest accepted a page."""
    cursor = store.load(school_id)
    published = 0
    for page, records, more in pages(wonde, school_id, cursor, per_page):
        rows = [to_mark(record, school_urn) for record in records]
        for chunk in chunks(rows):
            published += post_rows(ingest, "/v1/marks", chunk)
        newest = max([r["updated_at"]["date"][:19] for r in records] + [cursor.newest_seen or ""]) or None
        cursor = (
            Cursor(cursor.updated_after, page + 1, newest) if more else Cursor(newest or cursor.updated_after, 1, None)
        )
        store.save(school_id, cursor)
    return published


def wonde_pull(
    school_id: Annotated[str, typer.Option(help="Wonde's id for the school")],
    school_urn: Annotated[str, typer.Option(help="The school's 6-digit URN")],
    api_key: Annotated[str, typer.Option(envvar="INGEST_API_KEY", help="Connector key for ingest")],
    wonde_token: Annotated[str, typer.Option(envvar="WONDE_TOKEN", help="Wonde API token")],
    wonde_url: Annotated[str, typer.Option(help="Wonde API base URL")] = "https://api.wonde.com",
    ingest_url: Annotated[str, typer.Option(help="Ingest API base URL")] = "http://127.0.0.1:8001",
    state_file: Annotated[Path, typer.Option(help="Where the pull remembers how far it got")] = Path(
        "data/wonde-state.json"
    ),
    per_page: Annotated[int, typer.Option(min=1, max=1000)] = 200,
) -> None:
    """Pull new and changed session marks for one school and publish them through ingest."""
    headers = {"Authorization": f"Bearer {wonde_token}"}
    try:
        with (
            httpx.Client(base_url=wonde_url, headers=headers, timeout=60) as wonde,
            ingest_client(ingest_url, api_key) as ingest,
        ):
            published = pull_school(wonde, ingest, CursorStore(state_file), school_id, school_urn, per_page)
    except (MappingProblem, IngestRefused) as error:
        typer.echo(f"stopped; the cursor stays before this page: {error}", err=True)
        raise typer.Exit(1) from error
    except httpx.HTTPError as error:
        typer.echo(f"stopped; the cursor stays before this page: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"published {published} marks for school {school_urn}")

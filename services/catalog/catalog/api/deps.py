"""What the routes take from the request besides their bodies: the database, the search text."""

from typing import Annotated

from fastapi import Depends, Query, Request

from catalog.use_cases import Database
from shared.bounds import Search as SearchText


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


CatalogDatabase = Annotated[Database, Depends(_database)]
Search = Annotated[SearchText | None, Query(description="title or code contains")]

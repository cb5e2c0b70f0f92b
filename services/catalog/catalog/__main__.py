from pathlib import Path

from catalog.app import create_app
from catalog.settings import CatalogSettings
from shared.app import serve

if __name__ == "__main__":
    serve("catalog", CatalogSettings, create_app, Path(__file__).parent / "migrations")

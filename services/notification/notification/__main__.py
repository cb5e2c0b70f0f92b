from pathlib import Path

from notification.app import create_app
from notification.settings import NotificationSettings
from shared.app import serve

if __name__ == "__main__":
    serve("notification", NotificationSettings, create_app, Path(__file__).parent / "migrations")

from pathlib import Path

from registration.app import create_app
from registration.settings import RegistrationSettings
from shared.app import serve

if __name__ == "__main__":
    serve("registration", RegistrationSettings, create_app, Path(__file__).parent / "migrations")

import uvicorn
from pydantic import ValidationError

from console.app import create_app
from console.settings import ConsoleSettings
from shared.observability import configure_logging
from shared.settings import settings_problem

if __name__ == "__main__":
    try:
        settings = ConsoleSettings()
    except ValidationError as error:
        raise SystemExit(f"console: refusing to start: {settings_problem(error)}") from None
    configure_logging("console", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )

"""The console: the module's screens, rendered on the server from the public HTTP API."""

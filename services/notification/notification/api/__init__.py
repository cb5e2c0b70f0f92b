"""Notification's HTTP edge: `routes` (paths, who may call, the answers) and `models` (the
request and response bodies)."""

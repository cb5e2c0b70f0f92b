"""Registration HTTP routes, one module per resource: parse, call the use case, shape the
answer. `registration.app` mounts them; `deps` holds what every resource's routes share."""

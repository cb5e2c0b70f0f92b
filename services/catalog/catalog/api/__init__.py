"""Catalog HTTP routes, one module per resource: parse, call the use case, shape the answer.
`catalog.app` mounts them; `deps` and `bodies` hold what every resource's routes share."""

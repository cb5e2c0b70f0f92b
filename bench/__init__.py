"""Measurements on the real servers; `make bench` runs them (not part of `make test`)."""

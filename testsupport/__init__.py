"""What the test suites share: real infrastructure per run, deadlines, network faults."""

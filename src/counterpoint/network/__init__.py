"""Our own network, simulated: a Presto-style controller and the service activation test run on it."""

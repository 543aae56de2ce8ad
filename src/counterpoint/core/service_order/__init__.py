"""Our own service orchestration (the SOF behind a Legato-style service order) for the segments we build."""

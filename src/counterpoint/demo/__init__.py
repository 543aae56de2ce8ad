"""`counterpoint demo`: providers A, B and C in one process over real HTTP."""

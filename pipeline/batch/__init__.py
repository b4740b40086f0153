"""Many documents: the pre-translation analysis, the batch driver and the MT executors."""

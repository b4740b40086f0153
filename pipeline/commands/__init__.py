"""Click commands, one module per stage; ``pipeline.cli`` assembles them."""

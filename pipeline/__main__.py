"""``python -m pipeline`` runs the ``tmpipe`` command line."""

from .cli import main

main(prog_name="tmpipe")

"""Use cases behind the commands: read the user's files, run the stages, return results.

- :mod:`.scoring`: ``tmpipe score`` and ``tmpipe compare`` on runs and references read from disk;
- :mod:`.alignment`: ``tmpipe align``, a TMX from a Chinese text and its English edition;
- :mod:`.review`: ``tmpipe review``, any TMX re-checked and optionally scored.

Commands in :mod:`pipeline.commands` parse options, call one of these and display the result;
the stages they call (``align``, ``score``, ``qa``, ``tmx`` …) know nothing of files given on a
command line.
"""

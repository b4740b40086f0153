"""Exchange formats: TMX 1.4b (:mod:`.tmx`) and XLIFF 1.2 (:mod:`.xliff`) over shared safe
XML mechanics (:mod:`.xmlsafe`)."""

"""The primitives, one family per file; each forward sits directly above its VJP."""

"""Stock widget kinds. Subclass one, give it a name, title and ``load``, and register it."""

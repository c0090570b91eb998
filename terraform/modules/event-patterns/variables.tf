# This module has no inputs: it only holds the event patterns.

"""`gmbot preview`: every card of the spec being edited, rendered as each chat platform shows it."""

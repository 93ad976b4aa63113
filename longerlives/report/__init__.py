"""Coverage and inequalities report (issue 14): who gets their checks and who is left out."""

"""Query -> ranked hits: the query language, an open index generation, matching and
scoring, highlighting, and the explanation of a ranking."""

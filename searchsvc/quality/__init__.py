"""Measuring the engine: relevance against judgments, and symbols the dictionary lacks."""

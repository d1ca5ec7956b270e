"""Balie: Dutch-first omnichannel customer service."""

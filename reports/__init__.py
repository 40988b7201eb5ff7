"""Needs against provision: where needs go unmet and where provision is duplicated."""

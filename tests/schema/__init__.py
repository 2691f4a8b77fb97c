"""Tests of the GraphQL schema package."""

"""Marshmallow schemas: the input shapes the API accepts and the output shapes it answers with."""

"""Governing bodies: the organisations that enforce a code (ESPCC, CSEC), their public profile and
the roles people hold on each. Every other app may import this one; it imports none of them."""

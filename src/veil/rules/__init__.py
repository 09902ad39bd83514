"""Compliance checks: apps, APKs and face-recognition deployments against China's PI rules."""

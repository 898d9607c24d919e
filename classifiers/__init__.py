"""Segmentation, rules, features, model training and artifacts for coding MI sessions."""

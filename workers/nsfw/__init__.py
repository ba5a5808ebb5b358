"""NSFW scoring of generated images, in the worker only (apps/* never import it): see detector.py."""

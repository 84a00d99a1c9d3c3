"""lumos.cli"""

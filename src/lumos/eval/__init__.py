"""lumos.eval"""

"""lumos.annotate"""

"""lumos.train"""

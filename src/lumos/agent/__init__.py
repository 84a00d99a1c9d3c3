"""lumos.agent"""

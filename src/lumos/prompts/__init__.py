"""Prompts of the planning and grounding modules, and chat templates."""

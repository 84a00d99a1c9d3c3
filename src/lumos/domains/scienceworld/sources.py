"""The ScienceWorld annotation source: gold paths of train variations of seen task types."""

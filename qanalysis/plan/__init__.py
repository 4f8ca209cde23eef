"""The plan: what each indicator is and what its target means.

``catalogue`` reads the transcribed plan (tables 1 and 2, the prose targets),
``targetparse`` reads a target cell such as "≥96" or "3(在建2个)", ``regions``
holds the city and its counties and the county targets derived from the city's.
"""

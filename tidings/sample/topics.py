"""The invented world of the sample content: topics shared across many stories.

People and companies are invented; places and international bodies are real names used as
settings only. Nothing here is copied from a real publication.
"""

PEOPLE = {
    "Helena Varga": "European commissioner for climate action in the sample world.",
    "Tomás Ferreira": "Mayor of Lisbon in the sample world.",
    "Amara Okafor": "Chief executive of Kestrel Energy.",
    "Daniel Whitlock": "Transport minister in the sample world.",
    "Priya Raman": "Chief scientist at the Meridian Health Institute.",
    "Kenji Watanabe": "Founder of Halden Robotics.",
}
ORGANISATIONS = {
    "Kestrel Energy": ["Kestrel"],
    "European Central Bank": ["ECB"],
    "United Nations": ["UN"],
    "Northwind Airways": ["Northwind"],
    "Meridian Health Institute": ["Meridian Institute", "MHI"],
    "Halden Robotics": ["Halden"],
}
PLACES = {
    "Lisbon": [],
    "Kenya": ["Kenyan"],
    "Germany": ["German"],
    "Japan": ["Japanese"],
    "Brazil": ["Brazilian"],
    "London": [],
    "Nairobi": [],
}
THEMES = {
    "Climate change": ["climate change", "emissions"],
    "Markets": ["stocks", "shares", "bonds"],
    "Elections": ["vote", "ballot"],
    "Public health": ["health"],
    "Transport": ["rail", "airline"],
    "Technology": ["tech"],
}

"""Municipality names by Statistics Finland's code, for pages that would otherwise show only a code.

The list holds the municipalities of the ring's plans (SPEC 3) and the largest cities; a code not
listed is shown as the code alone. The names are the same in Finnish and English.
"""

NAMES = {
    # Päijät-Häme employment area and Lahti
    "016": "Asikkala",
    "081": "Hartola",
    "098": "Hollola",
    "111": "Heinola",
    "142": "Iitti",
    "316": "Kärkölä",
    "398": "Lahti",
    "560": "Orimattila",
    "576": "Padasjoki",
    "781": "Sysmä",
    # TyöHäme
    "061": "Forssa",
    "082": "Hattula",
    "103": "Humppila",
    "109": "Hämeenlinna",
    "169": "Jokioinen",
    "834": "Tammela",
    "981": "Ypäjä",
    # Läntinen Pirkanmaa
    "108": "Hämeenkyrö",
    "143": "Ikaalinen",
    "217": "Kihniö",
    "581": "Parkano",
    "608": "Punkalaidun",
    "790": "Sastamala",
    # largest cities
    "049": "Espoo",
    "091": "Helsinki",
    "092": "Vantaa",
    "167": "Joensuu",
    "179": "Jyväskylä",
    "297": "Kuopio",
    "564": "Oulu",
    "609": "Pori",
    "837": "Tampere",
    "853": "Turku",
}


def name_and_code(code: str | None) -> str:
    """'Lahti (398)', or the code alone when its name is not listed."""
    if not code:
        return "–"
    name = NAMES.get(code)
    return f"{name} ({code})" if name else code

"""A tiny word-by-word phrasebook: the scripted model's FAKE translator (for live-translation tests).

Real translation is a real model's job; this one exists so the timing of simultaneous output can be
tested deterministically. Unknown words pass through unchanged.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "translate"]

_ENGLISH = (
    "i you he she we they it the a an is are am was and or but not no yes hello goodbye please thank thanks "
    "today tomorrow yesterday morning evening night day week year time good bad big small new old "
    "house car train station ticket city street water coffee tea bread food friend family mother father "
    "want need like have go come see know think speak eat drink buy book meet "
    "one two three four five six seven eight nine ten where when what who how why here there now very "
    "my your our to in on at with for from of"
).split()
_TRANSLATIONS = {
    "spanish": (
        "yo tú él ella nosotros ellos eso el un un es son soy era y o pero no no sí hola adiós por-favor "
        "gracias gracias hoy mañana ayer mañana tarde noche día semana año tiempo bueno malo grande pequeño "
        "nuevo viejo "
        "casa coche tren estación billete ciudad calle agua café té pan comida amigo familia madre padre "
        "quiero necesito me-gusta tengo voy vengo veo sé pienso hablo como bebo compro reservo encuentro "
        "uno dos tres cuatro cinco seis siete ocho nueve diez dónde cuándo qué quién cómo por-qué aquí allí "
        "ahora muy mi tu nuestro a en en en con para de de"
    ).split(),
    "french": (
        "je tu il elle nous ils ça le un un est sont suis était et ou mais ne-pas non oui bonjour au-revoir "
        "s'il-vous-plaît merci merci aujourd'hui demain hier matin soir nuit jour semaine année temps bon "
        "mauvais grand petit nouveau vieux maison voiture train gare billet ville rue eau café thé pain "
        "nourriture ami famille mère père veux besoin aime ai vais viens vois sais pense parle mange bois "
        "achète réserve rencontre un deux trois quatre cinq six sept huit neuf dix où quand quoi qui comment "
        "pourquoi ici là maintenant très mon ton notre à dans sur à avec pour de de"
    ).split(),
}
LANGUAGES = tuple(sorted(_TRANSLATIONS))
_TABLES = {language: dict(zip(_ENGLISH, words, strict=True)) for language, words in _TRANSLATIONS.items()}


def translate(text: str, language: str) -> str:
    """Word by word into ``language`` (a key of LANGUAGES); unknown words and languages pass through."""
    table = _TABLES.get(language.lower(), {})
    out = [table.get(token.lower(), token).replace("-", " ") for token in text.split()]
    return " ".join(out)

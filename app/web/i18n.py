"""French and English: the visitor's language, the words of the pages in it, and films under
their French title where the akas are loaded.

The language is the ``lang`` cookie when the visitor chose one (the navbar's switch, /lang/fr),
else the best of the browser's Accept-Language, else English. It is read per request, so a page's
layout and every callback answer in it; the switch sets the cookie and reloads the page.
Texts are written in English in the code and looked up here (``t("Recommend")``); a text with no
French entry shows in English (tests/test_i18n.py lists the pages' texts that lack one).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, redirect, request

from app.db import db

LANGUAGES = ("en", "fr")
COOKIE = "lang"
# The akas' region whose titles a language shows (IMDb's title.akas: region FR, "Le Parrain").
REGION = {"fr": "FR"}

FR = {
    # navbar, shared pieces
    "Explore": "Explorer",
    "Recommend": "Recommander",
    "Predict": "Prédire",
    "What drives popularity": "Ce qui fait le succès",
    "Film or person…": "Film ou personne…",
    "Open {id}": "Ouvrir {id}",
    "Language": "Langue",
    "Something went wrong on our side; the error has been logged.": (
        "Une erreur s'est produite de notre côté ; elle a été consignée."
    ),
    "no votes": "aucun vote",
    "{n} M votes": "{n} M votes",
    "{n} k votes": "{n} k votes",
    "{n} votes": "{n} votes",
    "not rated": "non noté",
    "Title types": "Types de titre",
    "Years": "Années",
    "The address's {name}={value!r} is not a whole number.": (
        "Le paramètre {name}={value!r} de l'adresse n'est pas un nombre entier."
    ),
    "The address's years={value!r} end before they start.": (
        "Les années years={value!r} de l'adresse finissent avant de commencer."
    ),
    # Explore
    "Explore the catalogue": "Explorer le catalogue",
    "Titles": "Titres",
    "Films": "Films",
    "People": "Personnes",
    "Rated titles": "Titres notés",
    "Average rating": "Note moyenne",
    "Genre": "Genre",
    "all genres": "tous les genres",
    "People: role and minimum rated films": "Personnes : rôle et minimum de films notés",
    "minimum rated films": "minimum de films notés",
    "Most prolific": "Les plus prolifiques",
    "Best rated": "Les mieux notés",
    "Choose at least one title type.": "Choisissez au moins un type de titre.",
    "Titles per year": "Titres par année",
    "year": "année",
    "titles": "titres",
    "Share of titles by genre and decade (%)": "Part des titres par genre et décennie (%)",
    "Average rating by genre and decade": "Note moyenne par genre et décennie",
    "decade": "décennie",
    "% of titles": "% des titres",
    "average rating": "note moyenne",
    "Rating distribution": "Distribution des notes",
    "rating": "note",
    "rated titles": "titres notés",
    "Runtime (minutes)": "Durée (minutes)",
    "Votes (log10)": "Votes (log10)",
    "{label} vs average rating": "{label} et note moyenne",
    "No title matches these filters.": "Aucun titre ne correspond à ces filtres.",
    "{n} titles match the filters.": "{n} titres correspondent aux filtres.",
    "name": "nom",
    "rated": "notés",
    "The address's genre={genre!r} is not a genre of the catalogue.": (
        "Le genre={genre!r} de l'adresse n'est pas un genre du catalogue."
    ),
    "The address's role={role!r} is not one of {roles}.": (
        "Le rôle={role!r} de l'adresse n'est pas l'un de {roles}."
    ),
    # Recommend
    "Films for you": "Des films pour vous",
    "Type a film you liked (several if you wish); get five films to watch next.": (
        "Tapez un film que vous avez aimé (plusieurs si vous voulez) : voici cinq films à voir "
        "ensuite."
    ),
    "Films you liked": "Films que vous avez aimés",
    "Type a title, e.g. The Matrix…": "Tapez un titre, par ex. Matrix…",
    "Minimum votes": "Votes minimum",
    "You may like": "Vous aimerez peut-être",
    "The address names unknown films: {ids}.": "L'adresse nomme des films inconnus : {ids}.",
    "Type the title of a film you liked to get recommendations.": (
        "Tapez le titre d'un film que vous avez aimé pour obtenir des recommandations."
    ),
    "Unknown film: pick one from the suggestions.": (
        "Film inconnu : choisissez-en un parmi les suggestions."
    ),
    "No recommendation for this choice: the film may have too few votes, or the filters "
    "exclude every candidate.": (
        "Aucune recommandation pour ce choix : le film a peut-être trop peu de votes, ou les "
        "filtres excluent tous les candidats."
    ),
    "For a client of the service": "Pour un client du service",
    "The rating log is loaded: type a client's id to get five films they have not rated, "
    "from what they liked.": (
        "Le journal des notes est chargé : tapez le numéro d'un client pour obtenir cinq films "
        "qu'il n'a pas notés, d'après ce qu'il a aimé."
    ),
    "Client id": "Numéro de client",
    "Client id…": "Numéro de client…",
    "client {id} ({n} ratings)": "client {id} ({n} notes)",
    "None of the films this client liked is in the recommender.": (
        "Aucun des films aimés par ce client n'est dans le recommandeur."
    ),
    # Predict
    "Estimate": "Estimer",
    "Estimate a film's rating and audience": "Estimer la note et le public d'un film",
    "Type": "Type",
    "Year": "Année",
    "Genres": "Genres",
    "Directors": "Réalisation",
    "Writers": "Scénario",
    "Actors": "Acteurs et actrices",
    "Producers": "Production",
    "Type a name…": "Tapez un nom…",
    "Model card": "Fiche du modèle",
    "Expected IMDb rating": "Note IMDb attendue",
    "Expected audience (IMDb votes)": "Public attendu (votes IMDb)",
    "80 % range: {low} – {high}": "Intervalle à 80 % : {low} – {high}",
    "model version {v}": "version du modèle {v}",
    "Rating (points)": "Note (points)",
    "Audience (× votes, log scale)": "Public (× votes, échelle log)",
    "Against the {average} ({rating}, {votes})": "Par rapport à la {average} ({rating}, {votes})",
    "Runtime (min)": "Durée (min)",
    "Each person → a newcomer": "Chaque personne → un nouveau venu",
    "as entered": "tel que saisi",
    "no {who}": "sans {who}",
    "name people to see<br>what each one brings": (
        "nommez des personnes pour voir<br>ce que chacune apporte"
    ),
    "What if… (everything else as entered)": "Et si… (le reste tel que saisi)",
    "Describe the film: at least a genre or a person.": (
        "Décrivez le film : au moins un genre ou une personne."
    ),
    "No model yet: run `netfloox train popularity`.": (
        "Pas encore de modèle : lancez `netfloox train popularity`."
    ),
    "Rating": "Note",
    "Audience (log10 votes)": "Public (log10 des votes)",
    "{what}: {kind} version {version}, trained {at}; held-out movies: R² {r2}, RMSE {rmse}, "
    "MAE {mae} ({n} films). Weighs most: {strongest}.": (
        "{what} : {kind} version {version}, entraîné le {at} ; films mis de côté : R² {r2}, "
        "RMSE {rmse}, MAE {mae} ({n} films). Pèse le plus : {strongest}."
    ),
    "expected rating": "note attendue",
    "expected votes": "votes attendus",
    "votes": "votes",
    # What drives popularity
    "Each point is the active models' mean prediction over the training movies with one input "
    "set and the others as they are (partial dependence): the expected rating, and the "
    "expected audience in IMDb votes.": (
        "Chaque point est la prédiction moyenne des modèles actifs sur les films "
        "d'entraînement, une entrée fixée et les autres telles quelles (dépendance partielle) : "
        "la note attendue et le public attendu en votes IMDb."
    ),
    "Each genre alone: expected rating": "Chaque genre seul : note attendue",
    "Most common combinations": "Combinaisons les plus fréquentes",
    "Decade": "Décennie",
    "{films} training films · {votes} votes": "{films} films d'entraînement · {votes} votes",
    "Track records of": "Palmarès des",
    "Of titles of type": "Sur les titres de type",
    "every type": "tous les types",
    "At least (titles)": "Au moins (titres)",
    "Name contains": "Le nom contient",
    "Lead actors": "Premiers rôles",
    "mean rating": "note moyenne",
    "effect on the rating": "effet sur la note",
    "audience": "public",
    "Smoothed effect of the person's rated titles (films, series, specials) on the rating — 3 "
    "pseudo-titles of the average pull thin records back — and their audience against the "
    "average title; with a type, only people with that many rated titles of the type.": (
        "Effet lissé des titres notés de la personne (films, séries, spéciaux) sur la note — 3 "
        "pseudo-titres moyens ramènent les palmarès minces vers la moyenne — et leur public "
        "par rapport au titre moyen ; avec un type, seules les personnes ayant assez de titres "
        "notés de ce type."
    ),
    # a film's page
    "Original title: {title}": "Titre original : {title}",
    "An episode of ": "Un épisode de ",
    "its series": "sa série",
    "Directed by": "Réalisé par",
    "Written by": "Écrit par",
    "No credited person in the catalogue.": "Aucune personne créditée dans le catalogue.",
    "Also known as: ": "Aussi connu sous les titres : ",
    "The popularity model has no estimate for this title (no model trained, or a type it does "
    "not learn).": (
        "Le modèle de popularité n'a pas d'estimation pour ce titre (aucun modèle entraîné, ou "
        "un type qu'il n'apprend pas)."
    ),
    "real: ★ {rating}, {votes}": "réel : ★ {rating}, {votes}",
    "not rated yet": "pas encore noté",
    "The popularity model expects ": "Le modèle de popularité attend ",
    "★ {rating} and {votes} ({real}). ": "★ {rating} et {votes} ({real}). ",
    "This film is not a training film (fewer than 20 votes, or not a type the model learns).": (
        "Ce film n'est pas un film d'entraînement (moins de 20 votes, ou un type que le modèle "
        "n'apprend pas)."
    ),
    "This film was held out from training: an honest estimate.": (
        "Ce film a été mis de côté à l'entraînement : une estimation honnête."
    ),
    "This film is a training film: its own rating is in its people's track records.": (
        "Ce film est un film d'entraînement : sa propre note est dans le palmarès de ses équipes."
    ),
    "No recommendation: the recommender has no vector for this title (too few votes, an "
    "episode, or no trained model).": (
        "Aucune recommandation : le recommandeur n'a pas de vecteur pour ce titre (trop peu de "
        "votes, un épisode, ou aucun modèle entraîné)."
    ),
    "If you liked it": "Si vous l'avez aimé",
    "Clients who liked it also liked": "Les clients qui l'ont aimé ont aussi aimé",
    " ({year}) — {n} clients": " ({year}) — {n} clients",
    # a person's page
    "No person {id} in the catalogue.": "Aucune personne {id} dans le catalogue.",
    "No credited title in the catalogue.": "Aucun titre crédité dans le catalogue.",
    "title": "titre",
    "type": "type",
    " (the {shown} most recent of {n})": " (les {shown} plus récents sur {n})",
    "Director": "Réalisation",
    "Writer": "Scénario",
    "Actor": "Interprétation",
    "No track record in the popularity model (no rated training title).": (
        "Aucun palmarès dans le modèle de popularité (aucun titre d'entraînement noté)."
    ),
    "role": "rôle",
    "titles it rests on": "titres sur lesquels il repose",
    "Track record, as the popularity model sees it": "Palmarès, vu par le modèle de popularité",
    "Films like their work": "Des films comme leur œuvre",
    "From their best-known: {titles}.": "D'après leurs titres les plus connus : {titles}.",
}

ROLE_FR = {
    "director": "réalisation",
    "writer": "scénario",
    "actor": "acteur",
    "actress": "actrice",
    "producer": "production",
    "composer": "musique",
    "cinematographer": "image",
    "editor": "montage",
    "self": "lui-même / elle-même",
}


GENRE_FR = {
    "Action": "Action",
    "Adult": "Adulte",
    "Adventure": "Aventure",
    "Animation": "Animation",
    "Biography": "Biographie",
    "Comedy": "Comédie",
    "Crime": "Policier",
    "Documentary": "Documentaire",
    "Drama": "Drame",
    "Family": "Famille",
    "Fantasy": "Fantasy",
    "Film-Noir": "Film noir",
    "Game-Show": "Jeu télévisé",
    "History": "Histoire",
    "Horror": "Horreur",
    "Music": "Musique",
    "Musical": "Comédie musicale",
    "Mystery": "Mystère",
    "News": "Actualités",
    "Reality-TV": "Téléréalité",
    "Romance": "Romance",
    "Sci-Fi": "Science-fiction",
    "Short": "Court métrage",
    "Sport": "Sport",
    "Talk-Show": "Talk-show",
    "Thriller": "Thriller",
    "War": "Guerre",
    "Western": "Western",
}

# The recommender's reasons (ml.recommend_from_vector writes them in English).
REASON_FR = [
    ("clients who liked it also liked this", "les clients qui l'ont aimé ont aussi aimé celui-ci"),
    ("similar profile (era, audience, popularity)", "profil proche (époque, public, popularité)"),
    ("same director: ", "même réalisation : "),
    ("same writer: ", "même scénario : "),
    ("also with: ", "avec aussi : "),
    ("genres: ", "genres : "),
]


def language() -> str:
    """The visitor's language: their choice (cookie), else their browser's, else English."""
    try:
        chosen = request.cookies.get(COOKIE)
        if chosen in LANGUAGES:
            return chosen
        return request.accept_languages.best_match(LANGUAGES, default="en") or "en"
    except RuntimeError:  # outside a request (a test calling a layout directly): English
        return "en"


def t(text: str, **values) -> str:
    """``text`` in the visitor's language, with ``values`` put in its {placeholders}."""
    if language() == "fr":
        text = FR.get(text, text)
    return text.format(**values) if values else text


def role_name(role: str) -> str:
    return ROLE_FR.get(role, role) if language() == "fr" else role


def genre_name(genre: str) -> str:
    return GENRE_FR.get(genre, genre) if language() == "fr" else genre


def reason(text: str | None) -> str | None:
    """A recommendation's reason in the visitor's language (genres named in it too)."""
    if not text or language() != "fr":
        return text
    for english, french in REASON_FR:
        text = text.replace(english, french)
    parts = text.split("genres : ", 1)
    if len(parts) == 2:
        genres, sep, rest = parts[1].partition(";")
        named = ", ".join(genre_name(g.strip()) for g in genres.split(","))
        text = f"{parts[0]}genres : {named}{sep}{rest}"
    return text


FEATURE_FR = {
    "title type": "type de titre",
    "genres": "genres",
    "year": "année",
    "runtime": "durée",
    "directors": "réalisation",
    "writers": "scénario",
    "cast": "distribution",
    "producers": "production",
    "other": "autre",
    "not given": "non renseigné",
}


def feature_group(group: str) -> str:
    """A group of the popularity model's inputs (ml.feature_group, 'average movie') in the
    visitor's language."""
    if language() != "fr":
        return group
    if group.startswith("average "):
        return f"moyenne des {group.removeprefix('average ')}"
    return FEATURE_FR.get(group, group)


def region() -> str | None:
    """The akas' region whose titles the visitor reads (None: the primary titles)."""
    return REGION.get(language())


def localised(rows: list[dict], key: str = "tconst", field: str = "primary_title") -> list[dict]:
    """``rows`` with each film's title in the visitor's language where the akas have one (one
    query for all of them: api.local_titles); the rows as they are in English."""
    wanted = region()
    ids = [r[key] for r in rows if r.get(key)]
    if not wanted or not ids:
        return rows
    local = {
        r["tconst"]: r["title"]
        for r in db().fetch("SELECT * FROM api.local_titles(%s, %s)", (ids, wanted))
    }
    return [{**r, field: local.get(r.get(key), r[field])} for r in rows]


def add_switch_route(server: Flask) -> None:
    """/lang/fr and /lang/en: remember the choice (a year) and go back to the page."""

    def switch(code: str):
        back = request.referrer or "/"
        parts = urlsplit(back)
        if parts.netloc and parts.netloc != request.host:  # only back to this site
            back = "/"
        else:
            back = parts.path + (f"?{parts.query}" if parts.query else "")
        answer = redirect(back or "/")
        if code in LANGUAGES:
            answer.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
        return answer

    server.add_url_rule("/lang/<code>", "switch_language", switch)

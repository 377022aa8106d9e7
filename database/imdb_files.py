"""The seven IMDb non-commercial dataset files: names, headers and their staging tables.

Format, as IMDb publishes it: gzip, UTF-8, one header line, tab-separated, ``\\N`` for NULL, no
quoting at all (a title may contain ``"``), lists comma-separated, ``characters`` a JSON array.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImdbFile:
    name: str  # file name, e.g. "title.basics.tsv.gz"
    header: tuple[str, ...]  # exact header columns in the file
    table: str  # staging table (columns: line_no, then one per header column)
    columns: tuple[str, ...]  # staging column names, in file order

    @property
    def staging(self) -> str:
        return f"staging.{self.table}"


FILES: tuple[ImdbFile, ...] = (
    ImdbFile(
        "title.basics.tsv.gz",
        (
            "tconst",
            "titleType",
            "primaryTitle",
            "originalTitle",
            "isAdult",
            "startYear",
            "endYear",
            "runtimeMinutes",
            "genres",
        ),
        "title_basics",
        (
            "tconst",
            "title_type",
            "primary_title",
            "original_title",
            "is_adult",
            "start_year",
            "end_year",
            "runtime_minutes",
            "genres",
        ),
    ),
    ImdbFile(
        "title.akas.tsv.gz",
        (
            "titleId",
            "ordering",
            "title",
            "region",
            "language",
            "types",
            "attributes",
            "isOriginalTitle",
        ),
        "title_akas",
        (
            "title_id",
            "ordering",
            "title",
            "region",
            "language",
            "types",
            "attributes",
            "is_original_title",
        ),
    ),
    ImdbFile(
        "title.crew.tsv.gz",
        ("tconst", "directors", "writers"),
        "title_crew",
        ("tconst", "directors", "writers"),
    ),
    ImdbFile(
        "title.episode.tsv.gz",
        ("tconst", "parentTconst", "seasonNumber", "episodeNumber"),
        "title_episode",
        ("tconst", "parent_tconst", "season_number", "episode_number"),
    ),
    ImdbFile(
        "title.principals.tsv.gz",
        ("tconst", "ordering", "nconst", "category", "job", "characters"),
        "title_principals",
        ("tconst", "ordering", "nconst", "category", "job", "characters"),
    ),
    ImdbFile(
        "title.ratings.tsv.gz",
        ("tconst", "averageRating", "numVotes"),
        "title_ratings",
        ("tconst", "average_rating", "num_votes"),
    ),
    ImdbFile(
        "name.basics.tsv.gz",
        ("nconst", "primaryName", "birthYear", "deathYear", "primaryProfession", "knownForTitles"),
        "name_basics",
        (
            "nconst",
            "primary_name",
            "birth_year",
            "death_year",
            "primary_profession",
            "known_for_titles",
        ),
    ),
)

BY_NAME: dict[str, ImdbFile] = {f.name: f for f in FILES}

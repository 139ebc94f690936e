"""What a pledge's fields accept as typed (numbers in the reader's language, focus areas and pillars by name)
and what every kind of error says, in English and in French, all errors at once."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from observatory.i18n import translations
from observatory.i18n.validation import CSV, error_message, parse_number
from observatory.pledges.schemas import (
    CSV_CONTEXT,
    PledgeFields,
    PledgeIn,
    focus_area_code,
    pillar_code,
    validation_context,
)

NBSP, NNBSP = "\u00a0", "\u202f"
GOOD: dict[str, Any] = {"title": "Connect 200 schools", "focus_areas": ["access"]}


# ---------------------------------------------------------------- numbers as people write them


@pytest.mark.parametrize(
    ("text", "language", "number"),
    [
        ("5000000", "en", 5_000_000),
        ("5,000,000", "en", 5_000_000),
        ("5,000", "en", 5_000),  # "," is the English thousands separator: one reading only
        ("2,500.50", "en", 2_500.5),
        ("5 000 000", "en", 5_000_000),  # a space between groups of three always separates thousands
        ("5.000.000", "en", 5_000_000),  # several points can only be thousands separators
        ("1,5", "en", 1.5),  # a comma before one digit can only be a decimal mark
        ("  12  ", "en", 12),
        ("5 000 000", "fr", 5_000_000),
        (f"5{NBSP}000{NBSP}000", "fr", 5_000_000),
        (f"5{NNBSP}000{NNBSP}000", "fr", 5_000_000),
        (f"2{NNBSP}500,50", "fr", 2_500.5),
        ("2500,5", "fr", 2_500.5),
        ("1.5", "fr", 1.5),
        ("5.000.000", "fr", 5_000_000),
        ("5,000,000.50", "fr", 5_000_000.5),  # English-style in French: still one reading only
        ("-5", "en", -5),  # read; the field's bounds then say it cannot be negative
    ],
)
def test_numbers_are_read_as_the_reader_writes_them(text: str, language: str, number: float) -> None:
    assert parse_number(text, language) == number


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("5,00,0", "en", "number_format"),
        ("5,00,0", "fr", "number_format"),
        ("5.000", "en", "number_ambiguous"),  # five, or five thousand the German way?
        ("5,000", "fr", "number_ambiguous"),  # five, or five thousand the English way?
        ("5.000", "fr", "number_ambiguous"),
        ("1e400", "en", "number_format"),
        ("1e14", "en", "number_format"),
        ("Infinity", "en", "number_format"),
        ("inf", "fr", "number_format"),
        ("NaN", "en", "number_format"),
        ("deux millions", "fr", "number_format"),
        ("5 00 000", "fr", "number_format"),
        ("12.", "en", "number_format"),
        ("9" * 400, "en", "number_too_large"),
    ],
)
def test_numbers_that_cannot_be_read_one_way_are_refused(text: str, language: str, kind: str) -> None:
    with pytest.raises(PydanticCustomError) as refused:
        parse_number(text, language)
    assert refused.value.type == kind


@pytest.mark.parametrize(("text", "number"), [("5000000", 5e6), ("5000000.50", 5e6 + 0.5), ("5,000,000.50", 5e6 + 0.5),
                                              ("0.125", 0.125), ("5.000", 5.0)])  # fmt: skip
def test_csv_numbers_have_a_point_before_decimals_and_commas_between_thousands(text: str, number: float) -> None:
    assert parse_number(text, CSV) == number


@pytest.mark.parametrize("text", ["5 000 000", "5000000,5", "5,00,0", "1e4", "Infinity", "5.000.000"])
def test_csv_numbers_written_otherwise_are_refused(text: str) -> None:
    with pytest.raises(PydanticCustomError) as refused:
        parse_number(text, CSV)
    assert refused.value.type == "csv_number"


def test_the_json_api_keeps_numbers_as_numbers() -> None:
    """Without a context (the API), a text is not read as a number: strict JSON refuses it."""
    body = '{"title": "x", "focus_areas": ["access"], "value": "5,000,000", "currency": "USD"}'
    with pytest.raises(ValidationError) as refused:
        PledgeFields.model_validate_json(body, strict=True)
    assert [e["type"] for e in refused.value.errors()] == ["float_type"]
    form = PledgeFields.model_validate(
        {**GOOD, "value": "5,000,000", "currency": "USD"}, context=validation_context("en")
    )
    assert form.value == 5_000_000 and form.value_usd == 5_000_000


# ---------------------------------------------------------------- focus areas and pillars by name


@pytest.mark.parametrize(
    "written", ["Skills", "Digital skills", "digital_skills", "COMPÉTENCES NUMÉRIQUES", "  compétences numériques ",
                "competences numeriques", "digital-skills", "Compétences", "SKILLS"],
)  # fmt: skip
def test_a_pillar_is_accepted_by_code_or_by_name(written: str) -> None:
    assert pillar_code(written) == "digital_skills"
    pledge = PledgeFields.model_validate({**GOOD, "focus_areas": ["Adoption"], "pillars": [written]})
    assert pledge.pillars == ["digital_skills"] and pledge.focus_areas == ["adoption"]


@pytest.mark.parametrize(
    ("written", "code"),
    [("Access", "access"), ("ACCÈS", "access"), ("accès", "access"), ("Value creation", "value_creation"),
     ("Création de valeur", "value_creation"), ("acceleration of investment", "acceleration")],
)  # fmt: skip
def test_a_focus_area_is_accepted_by_code_or_by_name(written: str, code: str) -> None:
    assert focus_area_code(written) == code


def test_a_short_name_is_accepted_only_when_it_names_one_pillar() -> None:
    assert pillar_code("Inclusion") == "digital_inclusion"
    assert pillar_code("Innovation and entrepreneurship") == "innovation_entrepreneurship"
    assert pillar_code("Connectivity and infrastructure") == "infrastructure"


def test_an_unknown_pillar_lists_the_accepted_names() -> None:
    with pytest.raises(ValidationError) as refused:
        PledgeFields.model_validate({**GOOD, "focus_areas": ["adoption"], "pillars": ["skils"]})
    (error,) = refused.value.errors()
    assert error["loc"] == ("pillars",) and error["type"] == "unknown_pillar"
    english = error_message(error, _en, "Pillars")
    assert english.startswith("Pillars: “skils” is not a pillar. Write one of: ")
    assert "Digital skills (digital_skills)" in english and "Investor coordination (investor_coordination)" in english
    french = error_message(error, _fr, "Piliers", language="fr")
    assert "Compétences numériques (digital_skills)" in french and "skils" in french


# ---------------------------------------------------------------- every error at once


def test_every_error_of_a_pledge_is_reported_at_once_cross_field_rules_included() -> None:
    data = {"title": "", "focus_areas": ["access"], "value": "5,00,0", "currency": "USD", "start_year": "2027",
            "end_year": "2025"}  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        PledgeFields.model_validate(data, context=validation_context("en"))
    found = {e["loc"][0]: e["type"] for e in refused.value.errors()}
    assert found == {"title": "string_too_short", "value": "number_format", "end_year": "end_before_start"}


def test_cross_field_rules_are_checked_on_the_fields_that_are_valid() -> None:
    with pytest.raises(ValidationError) as refused:
        PledgeFields.model_validate({**GOOD, "value": "-3", "pillars": ["Skills"], "start_year": "20x5",
                                     "end_year": "2020"}, context=validation_context("en"))  # fmt: skip
    found = {e["loc"][0]: e["type"] for e in refused.value.errors()}
    # no currency check (the value is wrong anyway), no year order (the start year is wrong)
    assert found == {"value": "greater_than_equal", "pillars": "pillar_outside_focus_area", "start_year": "int_parsing"}
    with pytest.raises(ValidationError) as refused:
        PledgeFields.model_validate({**GOOD, "value": "5000"}, context=validation_context("en"))
    assert [(e["loc"], e["type"]) for e in refused.value.errors()] == [(("currency",), "value_needs_currency")]


def test_a_csv_row_reads_numbers_the_csv_way() -> None:
    org = {"name": "Org", "stakeholder_type": "government"}
    row = PledgeIn.model_validate({**GOOD, "pledger": org, "value": "5,000,000.50", "currency": "USD"},
                                  context=CSV_CONTEXT)  # fmt: skip
    assert row.value == 5_000_000.5
    with pytest.raises(ValidationError) as refused:
        PledgeIn.model_validate({**GOOD, "pledger": org, "value": "5 000 000", "currency": "USD"}, context=CSV_CONTEXT)
    assert [e["type"] for e in refused.value.errors()] == ["csv_number"]


# ---------------------------------------------------------------- every message, for people, in both languages


def _en(message: str) -> str:
    return message


def _fr(message: str) -> str:
    return translations("fr").gettext(message)


def _error(
    data: dict[str, Any], field: str, context: dict[str, str] | None = None, model: Any = PledgeFields
) -> ErrorDetails:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data, context=context)
    errors = [e for e in refused.value.errors() if e["loc"] and e["loc"][0] == field]
    assert errors, refused.value.errors()
    return errors[0]


ORG = {"name": "Org", "stakeholder_type": "government"}
CASES: list[tuple[str, dict[str, Any], str, str, str, str, str]] = [
    # (type, data, field, English label, French label, English message, French message)
    ("missing", {"focus_areas": ["access"]}, "title", "Title", "Titre",
     "Title is required.", "Le champ « Titre » est obligatoire."),
    ("string_too_short", {**GOOD, "title": ""}, "title", "Title", "Titre",
     "Title is required.", "Le champ « Titre » est obligatoire."),
    ("too_short", {**GOOD, "focus_areas": []}, "focus_areas", "Focus areas", "Domaines d’action",
     "Focus areas: choose at least one.", "Domaines d’action : choisissez-en au moins un."),
    ("string_too_long", {**GOOD, "title": "x" * 501}, "title", "Title", "Titre",
     "Title can have at most 500 characters.", "Le champ « Titre » peut contenir au plus 500 caractères."),
    ("greater_than_equal", {**GOOD, "value": -5, "currency": "USD"}, "value", "Value", "Valeur",
     "Value cannot be negative.", "Le champ « Valeur » ne peut pas être négatif."),
    ("less_than_equal", {**GOOD, "value": 1e14, "currency": "USD"}, "value", "Value", "Valeur",
     "Value can be at most 10,000,000,000,000.",
     "Le champ « Valeur » peut valoir au plus 10\u202f000\u202f000\u202f000\u202f000."),
    ("less_than_equal", {**GOOD, "sdgs": [18]}, "sdgs", "SDGs", "ODD",
     "SDGs can be at most 17.", "Le champ « ODD » peut valoir au plus 17."),
    ("greater_than_equal", {**GOOD, "sdgs": [0]}, "sdgs", "SDGs", "ODD",
     "SDGs must be 1 or more.", "Le champ « ODD » doit valoir au moins 1."),
    ("greater_than_equal", {**GOOD, "start_year": 1800}, "start_year", "Start year", "Année de début",
     "Start year must be a year such as 2025 (from 1990 to 2100).",
     "Le champ « Année de début » doit contenir une année, par exemple 2025 (de 1990 à 2100)."),
    ("int_parsing", {**GOOD, "start_year": "20x5"}, "start_year", "Start year", "Année de début",
     "Start year must be a year such as 2025 (from 1990 to 2100).",
     "Le champ « Année de début » doit contenir une année, par exemple 2025 (de 1990 à 2100)."),
    ("int_parsing", {**GOOD, "sdgs": ["four"]}, "sdgs", "SDGs", "ODD",
     "SDGs must be a whole number, such as 12.", "Le champ « ODD » doit contenir un nombre entier, par exemple 12."),
    ("float_parsing", {**GOOD, "value": "lots", "currency": "USD"}, "value", "Value", "Valeur",
     "Enter a number in digits for “Value”, such as 5,000,000 or 2500.50.",
     "Saisissez un nombre en chiffres dans le champ « Valeur », par exemple 5 000 000 ou 2500,50."),
    ("finite_number", {**GOOD, "value": float("nan"), "currency": "USD"}, "value", "Value", "Valeur",
     "Enter a number in digits for “Value”, such as 5,000,000 or 2500.50.",
     "Saisissez un nombre en chiffres dans le champ « Valeur », par exemple 5 000 000 ou 2500,50."),
    ("finite_number", {**GOOD, "value": "inf", "currency": "USD"}, "value", "Value", "Valeur",
     "Enter a number in digits for “Value”, such as 5,000,000 or 2500.50.",
     "Saisissez un nombre en chiffres dans le champ « Valeur », par exemple 5 000 000 ou 2500,50."),
    ("date_from_datetime_parsing", {**GOOD, "announced_on": "26/02/2024"}, "announced_on", "Announcement date",
     "Date d’annonce", "Announcement date must be a date written as YYYY-MM-DD, such as 2025-03-31.",
     "Le champ « Date d’annonce » doit contenir une date écrite AAAA-MM-JJ, par exemple 2025-03-31."),
    ("literal_error", {**GOOD, "status": "done"}, "status", "Status", "Statut",
     "Status must be one of: 'planned', 'in_progress', 'completed' or 'discontinued'.",
     "Le champ « Statut » doit valoir l’une de ces valeurs : 'planned', 'in_progress', 'completed' or 'discontinued'."),
    ("url", {**GOOD, "source_url": "ftp://example.org"}, "source_url", "Source", "Source",
     "Source must be a web address starting with http:// or https://.",
     "Le champ « Source » doit contenir une adresse web commençant par http:// ou https://."),
    ("end_before_start", {**GOOD, "start_year": 2027, "end_year": 2025}, "end_year", "End year", "Année de fin",
     "End year (2025) is before the start year (2027).",
     "Année de fin (2025) : cette année précède l’année de début (2027)."),
    ("value_needs_currency", {**GOOD, "value": 5}, "currency", "Currency", "Monnaie",
     "Currency: choose the currency of the value.", "Monnaie : choisissez la monnaie de la valeur."),
    ("pillar_outside_focus_area", {**GOOD, "pillars": ["digital_skills"]}, "pillars", "Pillars", "Piliers",
     "Pillars: “Digital skills” belongs to the focus area “Adoption”: tick that focus area too.",
     "Piliers : « Compétences numériques » relève du domaine d’action « Adoption » : "
     "cochez aussi ce domaine d’action."),
    ("unknown_focus_area", {**GOOD, "focus_areas": ["connectivity"]}, "focus_areas", "Focus areas",
     "Domaines d’action", "Focus areas: “connectivity” is not a focus area. Write one of: Access (access), "
     "Adoption (adoption), Value creation (value_creation), Acceleration of investment (acceleration).",
     "Domaines d’action : « connectivity » n’est pas un domaine d’action. Écrivez l’un de ceux-ci : Accès (access), "
     "Adoption (adoption), Création de valeur (value_creation), Accélération des investissements (acceleration)."),
    ("unknown_country", {**GOOD, "target_countries": ["XXX"]}, "target_countries", "Countries", "Pays",
     "unknown country code 'XXX' (ISO 3166-1 alpha-3 expected)",
     "code de pays inconnu : 'XXX' (code ISO 3166-1 alpha-3 attendu)"),
    ("unknown_currency", {**GOOD, "value": 5, "currency": "EURO"}, "currency", "Currency", "Monnaie",
     "unknown currency code 'EURO' (ISO 4217 expected)", "code de monnaie inconnu : 'EURO' (code ISO 4217 attendu)"),
    ("extra_forbidden", {**GOOD, "colour": "blue"}, "colour", "colour", "colour",
     "colour is not a field of this record.", "« colour » n’est pas un champ de cet enregistrement."),
    ("string_type", {**GOOD, "event": 5}, "event", "Event", "Événement",
     "Event must be text.", "Le champ « Événement » doit contenir du texte."),
    ("list_type", {**GOOD, "partners": 5}, "partners", "Partners", "Partenaires",
     "Partners must be a list.", "Le champ « Partenaires » doit contenir une liste."),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "data", "field", "en", "fr", "english", "french"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{n}" for n, c in enumerate(CASES)])  # fmt: skip
def test_each_error_type_reads_as_a_sentence_in_english_and_french(
    kind: str, data: dict[str, Any], field: str, en: str, fr: str, english: str, french: str
) -> None:
    error = _error(data, field)
    assert error["type"] == kind
    assert error_message(error, _en, en, field) == english
    assert error_message(error, _fr, fr, field, "fr") == french.replace(" :", "\u00a0:").replace(
        "« ", "«\u00a0").replace(" »", "\u00a0»").replace("5 000 000", "5\u00a0000\u00a0000")  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "text", "language", "english_or_french"),
    [
        ("number_format", "5,00,0", "en", "Enter a number in digits for “Value”, such as 5,000,000 or 2500.50."),
        ("number_ambiguous", "5.000", "en",
         "Value: “5.000” can be read two ways. Write thousands as 5,000 or 5000, and decimals with a point, "
         "such as 2.5."),
        ("number_ambiguous", "5,000", "fr", "Valeur\u00a0: «\u00a05,000\u00a0» peut se lire de deux façons. Écrivez "
         "les milliers 5\u00a0000 ou 5000, et les décimales avec une virgule, par exemple 2,5."),
        ("number_too_large", "9" * 400, "en", "Value is too large a number."),
    ],
)  # fmt: skip
def test_number_errors_say_how_to_write_the_number(kind: str, text: str, language: str, english_or_french: str) -> None:
    error = _error({**GOOD, "value": text, "currency": "USD"}, "value", validation_context(language))
    assert error["type"] == kind
    gettext = _fr if language == "fr" else _en
    assert (
        error_message(error, gettext, "Valeur" if language == "fr" else "Value", "value", language) == english_or_french
    )


def test_csv_number_and_reference_messages() -> None:
    error = _error({**GOOD, "pledger": ORG, "value": "5 000", "currency": "USD"}, "value", CSV_CONTEXT, PledgeIn)
    assert error_message(error, _en, "value", "value") == (
        "value must be a number in digits, with a point before the decimals and, if you like, commas between "
        "thousands, such as 5000000 or 5,000,000.50."
    )
    error = _error({**GOOD, "pledger": ORG, "reference": "P2C-24-1"}, "reference", model=PledgeIn)
    assert error_message(error, _en, "reference") == "'P2C-24-1' is not a reference of the form P2C-YYYY-NNNNN"
    assert error_message(error, _fr, "référence", language="fr") == (
        "'P2C-24-1' n’est pas une référence de la forme P2C-AAAA-NNNNN"
    )


def test_no_message_speaks_the_validators_language() -> None:
    validators = ("Input should", "Value error", "no lower than", "String should", "greater than or equal")
    for _kind, data, field, en, fr, _english, _french in CASES:
        error = _error(data, field)
        for said in (error_message(error, _en, en, field), error_message(error, _fr, fr, field, "fr")):
            assert not any(v in said for v in validators), said

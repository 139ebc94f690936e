"""The pledge form, the API and the CSV importer in the users' words: numbers with thousands separators in the
reader's language, focus areas and pillars by name, every error at once in sentences naming the field, and
the country picker without JavaScript. Bad input saves nothing."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from observatory import reference
from observatory.db import transaction
from observatory.pledges.csvio import import_pledges
from observatory.pledges.models import Pledge
from tests.conftest import AUTH
from tests.pledges.test_portal import PLEDGER, make_organisation, pledge_form
from tests.web.conftest import csrf, sign_in

NNBSP = "\u202f"


def pledges(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Pledge)) or 0


def saved(engine: Engine) -> Pledge:
    with transaction(engine) as session:
        pledge = session.scalars(select(Pledge)).one()
        pledge.countries  # noqa: B018 (loaded before the session closes)
        session.expunge_all()
        return pledge


def post(client: TestClient, org: int, lang: str = "en", **fields: Any) -> Any:
    form = {**pledge_form(org, **fields), "action": "draft", "csrf_token": csrf(client)}
    return client.post(f"/portal/pledges/new?lang={lang}", data=form, follow_redirects=False)


def errors_of(client: TestClient, org: int, lang: str = "en", **fields: Any) -> dict[str, list[str]]:
    form = {**pledge_form(org, **fields), "action": "draft", "csrf_token": csrf(client)}
    answer = client.post(f"/portal/pledges/new?format=json&lang={lang}", data=form)
    assert answer.status_code == 422, answer.text
    errors: dict[str, list[str]] = answer.json()["errors"]
    return errors


def signed_in(client: TestClient, engine: Engine) -> int:
    org = make_organisation(engine)
    sign_in(client, engine, PLEDGER, "pledger", [org])
    return org


def test_five_million_with_commas_in_english(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    assert post(client, org, value="5,000,000").status_code == 303
    assert saved(engine).value_amount == 5_000_000


def test_five_million_with_spaces_in_french(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    assert post(client, org, "fr", value=f"5{NNBSP}000{NNBSP}000").status_code == 303
    assert saved(engine).value_amount == 5_000_000


def test_five_million_with_ordinary_spaces_in_french(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    assert post(client, org, "fr", value="5 000 000,50").status_code == 303
    assert saved(engine).value_amount == 5_000_000.5


def test_a_badly_grouped_number_is_refused_naming_the_field(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    refused = post(client, org, value="5,00,0")
    assert refused.status_code == 422
    assert "Enter a number in digits for “Value”, such as 5,000,000 or 2500.50." in refused.text
    assert 'value="5,00,0"' in refused.text  # what was typed is kept
    french = errors_of(client, org, "fr", value="5,00,0")
    assert french == {"value": ["Saisissez un nombre en chiffres dans le champ «\u00a0Valeur\u00a0», par exemple "
                                "5\u00a0000\u00a0000 ou 2500,50."]}  # fmt: skip
    ambiguous = errors_of(client, org, "fr", value="5,000")
    assert ambiguous["value"][0].startswith("Valeur\u00a0: «\u00a05,000\u00a0» peut se lire de deux façons.")
    assert pledges(engine) == 0


def test_three_errors_at_once_cross_field_rule_included(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    bad = {"title": "", "value": "lots", "start_year": "2028", "end_year": "2026"}
    assert errors_of(client, org, **bad) == {
        "title": ["Title is required."],
        "value": ["Enter a number in digits for “Value”, such as 5,000,000 or 2500.50."],
        "end_year": ["End year (2026) is before the start year (2028)."],
    }
    page = post(client, org, **bad).text
    summary = page.split('role="alert"')[1].split("</div>")[0]
    assert summary.count("<li>") == 3 and 'href="#end_year"' in summary and 'href="#title"' in summary
    said = re.sub(r"<[^>]+>", "", summary)
    for validator in ("Input should", "Value error", "no lower than", "String should", "body.", "end_year"):
        assert validator not in said
    assert errors_of(client, org, "fr", **bad) == {
        "title": ["Le champ «\u00a0Titre\u00a0» est obligatoire."],
        "value": ["Saisissez un nombre en chiffres dans le champ «\u00a0Valeur\u00a0», par exemple "
                  "5\u00a0000\u00a0000 ou 2500,50."],
        "end_year": ["Année de fin (2026)\u00a0: cette année précède l’année de début (2028)."],
    }  # fmt: skip
    assert pledges(engine) == 0


def test_a_negative_value_and_a_too_long_title_in_words(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    errors = errors_of(client, org, value="-5", title="x" * 501)
    assert errors == {"value": ["Value cannot be negative."], "title": ["Title can have at most 500 characters."]}


def test_pillars_by_name_through_the_api(client: TestClient) -> None:
    body = {
        "pledger": {"name": "Ministère du Numérique", "stakeholder_type": "government", "country": "SEN"},
        "title": "Former 10 000 jeunes",
        "focus_areas": ["Adoption"],
        "pillars": ["Skills"],
        "value": 5_000_000,
        "currency": "USD",
    }
    created = client.post("/api/v1/pledges", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    assert created.json()["pillars"] == ["digital_skills"] and created.json()["focus_areas"] == ["adoption"]
    french = client.post("/api/v1/pledges", json={**body, "pillars": ["COMPÉTENCES NUMÉRIQUES"], "title": "Autre"},
                         headers=AUTH)  # fmt: skip
    assert french.status_code == 201 and french.json()["pillars"] == ["digital_skills"]


def test_the_api_answers_every_error_in_words_in_the_requests_language(client: TestClient) -> None:
    body = {"pledger": {"name": "Org", "stakeholder_type": "government"}, "title": "x", "focus_areas": ["adoption"],
            "pillars": ["skils"], "start_year": 2030, "end_year": 2025, "value": -1, "currency": "USD"}  # fmt: skip
    refused = client.post("/api/v1/pledges", json=body, headers=AUTH)
    assert refused.status_code == 422
    detail = {tuple(e["loc"]): e for e in refused.json()["detail"]}
    assert set(detail) == {("body", "pillars"), ("body", "end_year"), ("body", "value")}
    assert detail[("body", "value")]["type"] == "greater_than_equal"  # for programs
    assert detail[("body", "value")]["msg"] == "Value cannot be negative."  # for people
    assert detail[("body", "end_year")]["msg"] == "End year (2025) is before the start year (2030)."
    pillar = detail[("body", "pillars")]["msg"]
    assert (
        pillar.startswith("Pillars: “skils” is not a pillar. Write one of: ")
        and "Digital skills (digital_skills)" in pillar
    )
    french = client.post("/api/v1/pledges", json=body, headers={**AUTH, "accept-language": "fr-FR,fr;q=0.9"})
    messages = {tuple(e["loc"]): e["msg"] for e in french.json()["detail"]}
    assert messages[("body", "value")] == "Le champ «\u00a0Valeur\u00a0» ne peut pas être négatif."
    assert "Compétences numériques (digital_skills)" in messages[("body", "pillars")]
    strict = client.post("/api/v1/pledges", json={**body, "pillars": [], "end_year": 2031, "value": "5,000,000"},
                         headers=AUTH)  # fmt: skip
    assert [e["type"] for e in strict.json()["detail"]] == ["float_type"]  # the API takes numbers, not text


CSV_HEADER = "pledger,pledger_type,title,focus_areas,pillars,value,currency,start_year,end_year\n"


def csv_import(engine: Engine, *rows: str, language: str = "en") -> Any:
    data = io.BytesIO((CSV_HEADER + "".join(r + "\n" for r in rows)).encode())
    with transaction(engine) as session:
        return import_pledges(session, data, "tests", skip_invalid=True, language=language)


def test_a_csv_row_reports_all_its_errors_at_once(engine: Engine) -> None:
    result = csv_import(engine, 'Org,government,,access,,"5,00,0",USD,2028,2026')
    assert result.created == 0 and result.rejected_lines == 1
    reasons = {e.column: e.reason for _row, e in result.rejected}
    assert reasons == {
        "title": "title is required.",
        "value": "value must be a number in digits, with a point before the decimals and, if you like, commas "
        "between thousands, such as 5000000 or 5,000,000.50.",
        "end_year": "end_year (2026) is before the start year (2028).",
    }
    french = csv_import(engine, "Org,government,,access,,-5,USD,2028,2026", language="fr")
    assert {e.column: e.reason for _row, e in french.rejected} == {
        "title": "Le champ «\u00a0title\u00a0» est obligatoire.",
        "value": "Le champ «\u00a0value\u00a0» ne peut pas être négatif.",
        "end_year": "end_year (2026)\u00a0: cette année précède l’année de début (2028).",
    }
    assert pledges(engine) == 0


def test_csv_numbers_and_pillar_names(engine: Engine) -> None:
    result = csv_import(
        engine,
        'Org,government,One,Adoption,Skills,"5,000,000",USD,2025,2026',
        "Org,government,Two,adoption,Compétences numériques;digital inclusion,2500000.50,USD,,",
        "Org,government,Three,adoption,skils,5000,USD,,",
        'Org,government,Four,access,,"5 000 000",USD,,',
    )
    assert result.created == 2
    assert {e.line: e.column for _row, e in result.rejected} == {4: "pillars", 5: "value"}
    (skils,) = [e.reason for _row, e in result.rejected if e.line == 4]
    assert skils.startswith("pillars: “skils” is not a pillar. Write one of: Connectivity and digital infrastructure")
    with transaction(engine) as session:
        rows = {p.title: (p.value_amount, sorted(x.pillar for x in p.pillars)) for p in session.scalars(select(Pledge))}
    assert rows == {
        "One": (5_000_000, ["digital_skills"]),
        "Two": (2_500_000.5, ["digital_inclusion", "digital_skills"]),
    }


# ---------------------------------------------------------------- the country picker without JavaScript


def test_the_picker_without_javascript(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    page = client.get("/portal/pledges/new").text
    assert '<script src="/static/country-picker.js" defer></script>' in page and "<script>" not in page
    malawi = re.search(r'<input type="checkbox" id="country-MWI" name="target_countries" value="MWI"[^>]*>', page)
    assert malawi and 'data-groups="LDC LLDC"' in malawi.group(0) and 'data-region="africa"' in malawi.group(0)
    assert page.count('<details class="picker-region"') == len(reference.ITU_REGIONS) + 1  # and other territories
    assert 'name="add_countries" value="group:LDC"' in page
    # a plain post: Malawi ticked, and "every LDC" ticked in the groups
    form = {**pledge_form(org, target_countries=["MWI"]), "add_countries": ["group:LDC"], "action": "draft",
            "csrf_token": csrf(client)}  # fmt: skip
    assert client.post("/portal/pledges/new", data=form, follow_redirects=False).status_code == 303
    ldc = set(reference.group_members("LDC", dt.date.today()))
    assert {c.country for c in saved(engine).countries} == ldc | {"MWI"}


def test_the_expand_button_ticks_a_region_and_shows_it_chosen(client: TestClient, engine: Engine) -> None:
    org = signed_in(client, engine)
    form = {**pledge_form(org, target_countries=[]), "add_countries": ["region:cis"], "action": "expand",
            "csrf_token": csrf(client)}  # fmt: skip
    page = client.post("/portal/pledges/new", data=form).text
    cis = [c.alpha3 for c in reference.countries().values() if c.itu_region == "cis"]
    assert cis and all(re.search(rf'value="{c}"[^>]* checked', page) for c in cis)
    assert re.search(r'data-region="cis" open>', page) and f"({len(cis)} chosen)" in page
    assert pledges(engine) == 0


def test_the_edit_form_shows_the_amount_as_the_reader_writes_it_and_reads_it_back(
    client: TestClient, engine: Engine
) -> None:
    org = signed_in(client, engine)
    assert post(client, org, value="2500000.5").status_code == 303
    ref = saved(engine).reference
    french = client.get(f"/portal/pledges/{ref}/edit?format=json&lang=fr").json()["values"]
    assert french["value"] == f"2{NNBSP}500{NNBSP}000,5" and french["start_year"] == "2025"
    english = client.get(f"/portal/pledges/{ref}/edit?format=json&lang=en").json()["values"]
    assert english["value"] == "2,500,000.5"
    form = {**pledge_form(org, value=french["value"]), "version": "1", "action": "save", "csrf_token": csrf(client)}
    assert client.post(f"/portal/pledges/{ref}/edit?lang=fr", data=form, follow_redirects=False).status_code == 303
    assert saved(engine).value_amount == 2_500_000.5

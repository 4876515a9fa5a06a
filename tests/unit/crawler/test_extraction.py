import json

from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from parsel import Selector

from crawler.extraction import (
    element_text,
    html_to_text,
    job_posting_fields,
    jsonld_objects,
)

PAGE = """<html><head><script type="application/ld+json">{ld}</script></head>
<body><h1>Title</h1><div class="body"><p>First  para.</p><p>Second<br>para.</p>
<script>var x = 1;</script></div></body></html>"""


def test_jsonld_jobposting_found_in_graph_and_fields_flattened() -> None:
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "Organization", "name": "X"},
                {
                    "@type": "JobPosting",
                    "title": "Cook",
                    "description": "<p>Cook &amp; clean</p>",
                    "hiringOrganization": {"@type": "Organization", "name": "Kro A/S"},
                    "jobLocation": {
                        "address": {"addressLocality": "Vejle", "addressCountry": "DK"}
                    },
                    "baseSalary": {"currency": "DKK", "value": {"value": 180, "unitText": "HOUR"}},
                    "identifier": {"@type": "PropertyValue", "value": "job-1"},
                },
            ],
        }
    )
    objs = jsonld_objects(Selector(text=PAGE.format(ld=ld)), "JobPosting")
    assert len(objs) == 1
    fields = job_posting_fields(objs[0])
    assert fields == {
        "company": "Kro A/S",
        "location": "Vejle",
        "country": "DK",
        "salary": "180 DKK HOUR",
        "listing_id": "job-1",
    }
    assert html_to_text(objs[0]["description"]) == "Cook & clean"


def test_bad_jsonld_is_skipped() -> None:
    assert jsonld_objects(Selector(text=PAGE.format(ld="{not json")), "JobPosting") == []


def test_element_text_keeps_paragraphs_and_drops_scripts() -> None:
    sel = Selector(text=PAGE.format(ld="{}"))
    assert element_text(sel.css("div.body")) == "First para.\n\nSecond para."


@settings(max_examples=examples(150), deadline=None)
@given(st.text(max_size=3000))
def test_hostile_markup_never_crashes(markup: str) -> None:
    page = (
        f"<html><body><div class='body'>{markup}</div>"
        f"<script type='application/ld+json'>{markup}</script></body></html>"
    )
    sel = Selector(text=page)
    assert isinstance(element_text(sel.css("div.body")), str)
    jsonld_objects(sel, "JobPosting")
    assert "\x00" not in html_to_text(markup)


def test_deep_nesting_and_huge_attributes() -> None:
    deep = "<div>" * 5000 + "x" + "</div>" * 5000
    huge = f"<p title='{'a' * 2_000_000}'>hello</p>"
    for page in (deep, huge, "\x00<p>nul</p>"):
        sel = Selector(text=f"<html><body>{page}</body></html>")
        assert isinstance(element_text(sel.css("body")), str)

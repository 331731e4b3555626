"""The pure pipeline: text and a small registry in, candidates out. The spaCy model is the real
one (loaded once per test process); the fallback tests run without it."""

import re
from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.test import SimpleTestCase

from topics.tagging import Article, Candidate, Entry, Tagger
from topics.tagging.model import load_model
from topics.tagging.text import clean_name, expand_prefix, fold, is_acronym

REGISTRY = [
    Entry("france", "France", "place", ("French", "Frenchman")),
    Entry("united-states", "United States", "place", ("US", "U.S.", "America", "American")),
    Entry("turkey", "Turkey", "place", ("Türkiye", "Turkish")),
    Entry("sao-paulo", "São Paulo", "place", ()),
    Entry("world-health-organization", "World Health Organization", "organisation", ("WHO",)),
    Entry("amara-diallo", "Amara Diallo", "person", ()),
    Entry("elections", "Elections", "theme", ("election", "ballot", "voters", "turnout")),
    Entry("energy", "Energy", "theme", ("wind farm", "power grid", "energy")),
]


class GivenSpans:
    """A stand-in for the model that labels what the given patterns match: to test
    what the tagger makes of a span the real model gave on real news (a title run into a
    name), whatever the model makes of the invented words."""

    def __init__(self, spans: dict[str, str]) -> None:
        self.spans = spans

    def pipe(self, texts: Iterable[str], batch_size: int = 0) -> Iterator[Any]:
        for text in texts:
            ents = [
                SimpleNamespace(start_char=m.start(), end_char=m.end(), label_=label)
                for pattern, label in self.spans.items()
                for m in re.finditer(pattern, text)
            ]
            yield SimpleNamespace(ents=sorted(ents, key=lambda e: e.start_char))


def given(model: GivenSpans, article: Article) -> dict[str, Candidate]:
    """The candidates, by name, with the model's spans as given."""
    return by_name(Tagger(REGISTRY, model).tag(article))


def tagger(model: bool = True) -> Tagger:
    return Tagger(REGISTRY, load_model(settings.TAGGING_MODEL) if model else None)


def by_name(candidates: list[Candidate]) -> dict[str, Candidate]:
    return {c.name: c for c in candidates}


class CanonicalisationTests(SimpleTestCase):
    def test_titles_and_possessives_are_cut_from_names(self) -> None:
        self.assertEqual(clean_name("Prime Minister Jonah Okafor's", person=True), "Jonah Okafor")
        self.assertEqual(clean_name("Mr. Okafor", person=True), "Okafor")
        self.assertEqual(clean_name("the Home Office"), "Home Office")
        self.assertEqual(clean_name("Home Office", person=False), "Home Office")

    def test_the_words_a_span_ran_into_are_cut(self) -> None:
        self.assertEqual(clean_name("Oakland Press of"), "Oakland Press")
        self.assertEqual(clean_name("Associated Press the"), "Associated Press")
        self.assertEqual(clean_name("Bank of England"), "Bank of England")
        self.assertEqual(clean_name("Little Rock school marks"), "Little Rock school")
        self.assertEqual(clean_name("Republican party"), "Republican party")
        self.assertEqual(clean_name("Carmaker Vonmark"), "Vonmark")
        self.assertEqual(clean_name("Miner County"), "Miner County")
        self.assertEqual(clean_name("Lender Processing Services"), "Lender Processing Services")
        self.assertEqual(clean_name("the Iraq war"), "Iraq war")
        self.assertEqual(clean_name("Network Rail"), "Network Rail")
        self.assertEqual(clean_name("Tynemouth City 2-1"), "Tynemouth City")
        self.assertEqual(clean_name("Orbita €1.8bn"), "Orbita")
        self.assertEqual(clean_name("Apollo 13"), "Apollo 13")
        # A caption glued to the next sentence; not a name's own capitals
        self.assertEqual(clean_name("Velmar NewsThe"), "Velmar News")
        self.assertEqual(clean_name("Jana JeffreyWhite", person=True), "Jana Jeffrey")
        for name in ("Ted FitzGerald", "Carla LaNier", "Ron McDowell", "Rita MacArthur"):
            self.assertEqual(clean_name(name, person=True), name)
        for name in ("WikiLeaks", "BlackBerry", "LinkedIn"):
            self.assertEqual(clean_name(name), name)
        registry = [*REGISTRY, Entry("arctic", "Arctic", "theme", ())]
        spans = GivenSpans(
            {r"São Paulo city": "GPE", r"Arctic sea": "LOC", r"Bank of France": "ORG"}
        )
        found = by_name(Tagger(registry, spans).tag(Article(
            headline="Arctic sea ice shrinks again",
            body=["Scientists in São Paulo city said the Arctic sea ice had shrunk.",
                  "The Bank of France said nothing."],
        )))  # fmt: skip
        self.assertEqual(
            found["São Paulo"].key, "sao-paulo", "the registry's, not 'São Paulo city'"
        )
        self.assertEqual(found["Arctic"].kind, "theme")
        self.assertEqual(found["Arctic"].mentions, 2)
        self.assertNotIn("Arctic sea", found)
        self.assertIn("Bank of France", found, "a capitalised word makes a longer name")
        # Not another place ("Niger delta") nor a body named after a country.
        registry = [*REGISTRY, Entry("niger", "Niger", "place", ("Nigerien",)),
                    Entry("un-sc", "United Nations Security Council", "organisation",
                          ("UN Security Council", "Security Council"))]  # fmt: skip
        spans = GivenSpans({r"Niger delta": "LOC", r"Nigerien Security Council": "ORG",
                            r"The UN Security Council": "ORG"})  # fmt: skip
        found = by_name(Tagger(registry, spans).tag(Article(body=[
            "Oil spilled in the Niger delta. The Nigerien Security Council met.",
            "The UN Security Council said nothing."],
        )))  # fmt: skip
        self.assertIn("Niger delta", found)
        self.assertIn("Nigerien Security Council", found)
        self.assertEqual(found["United Nations Security Council"].key, "un-sc")
        self.assertEqual(found["United Nations Security Council"].mentions, 1)

    def test_accents_and_case_fold_for_matching_only(self) -> None:
        self.assertEqual(fold("  José  ÁLVAREZ "), "jose alvarez")
        found = by_name(tagger(model=False).tag(Article(body=["Flights to Sao Paulo resumed."])))
        self.assertIn("São Paulo", found, "the display name keeps its accents")

    def test_honorifics_and_surnames_join_the_full_name(self) -> None:
        article = Article(
            headline="Ndlovu's gamble pays off",
            body=[
                "Finance Minister Thandeka Ndlovu unveiled the budget on Monday.",
                "Ms Ndlovu said the plan would cut borrowing. Ndlovu's deputy agreed.",
            ],
        )
        people = [c for c in tagger().tag(article) if c.kind == "person"]
        self.assertEqual([c.name for c in people], ["Thandeka Ndlovu"])
        self.assertGreaterEqual(people[0].mentions, 3)
        self.assertEqual(people[0].role, "primary")

    def test_demonyms_fold_into_their_country(self) -> None:
        article = Article(
            body=["French officials met American diplomats.", "The French side was pleased."]
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["France"].key, "france")
        self.assertEqual(found["France"].mentions, 2)
        self.assertIn("United States", found)
        self.assertNotIn("French", found)

    def test_a_state_organ_named_by_its_demonym_is_its_countrys_too(self) -> None:
        spans = GivenSpans({r"[Tt]he French Army": "ORG", r"Turkish Airlines": "ORG",
                            r"Kestrel": "GPE"})  # fmt: skip
        found = given(spans, Article(
            headline="Militants attack convoy in Kestrel",
            body=["Militants attacked three vehicles of the French Army near Kestrel.",
                  "Turkish Airlines cancelled flights. The French Army said two were hurt."],
        ))  # fmt: skip
        self.assertEqual(found["French Army"].mentions, 2)
        self.assertEqual(found["France"].mentions, 2, "named only in its army's name")
        self.assertNotIn("Turkey", found, "an airline is no organ of its state")
        # Where the story names the country itself, the army's name adds nothing to it
        found = given(spans, Article(
            headline="France sends troops to Kestrel",
            body=["France will send 300 soldiers of the French Army to Kestrel."],
        ))  # fmt: skip
        self.assertEqual(found["France"].mentions, 2)

    def test_aliases_and_acronyms_join_one_topic(self) -> None:
        article = Article(
            headline="WHO warns of measles surge",
            body=[
                "The World Health Organization said cases had doubled.",
                "A new body, the Coastal Fisheries Authority (CFA), will count boats. "
                "The Coastal Fisheries Authority opens in May; the CFA has 40 staff.",
            ],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["World Health Organization"].mentions, 2)
        self.assertEqual(found["Coastal Fisheries Authority"].mentions, 4)  # 2 names, 2 "CFA"
        self.assertNotIn("CFA", found)

    def test_mr_surname_finds_a_registry_person(self) -> None:
        found = by_name(tagger(model=False).tag(Article(body=["Mr Diallo said no."])))
        self.assertEqual(found["Amara Diallo"].key, "amara-diallo")
        # A bare surname, never tied to the person, is someone else.
        found = by_name(tagger(model=False).tag(Article(body=["Diallo Street is shut."])))
        self.assertNotIn("Amara Diallo", found)

    def test_acronyms_and_names_need_their_case(self) -> None:
        article = Article(body=["Let us roast a turkey.", "Who knows? Ask us."])
        self.assertEqual(tagger(model=False).tag(article), [])
        found = by_name(tagger(model=False).tag(Article(body=["The US and Türkiye met."])))
        self.assertEqual(set(found), {"United States", "Turkey"})

    def test_a_longer_name_beats_a_registry_name_inside_it(self) -> None:
        article = Article(body=["The Bank of France raised rates, the Bank of France said."])
        found = by_name(tagger().tag(article))
        self.assertIn("Bank of France", found)
        self.assertNotIn("France", found)

    def test_small_letter_acronyms_and_a_country_before_the_name(self) -> None:
        for letters in ("DoD", "MoD", "DfE", "WHO", "U.S.", "P&O"):
            self.assertTrue(is_acronym(letters), letters)
        for word in ("PhD", "GmbH", "Dod", "McD", "Of"):
            self.assertFalse(is_acronym(word), word)
        spans = GivenSpans({r"US Department of Defense|\bDoD\b": "ORG",
                            r"Ministry of Welfare|\bMoW\b": "ORG", r"\bDOD\b": "ORG"})  # fmt: skip
        found = given(spans, Article(
            headline="Zembla detainees on hunger strike",
            body=["Eleven detainees refuse food, a US Department of Defense spokesman said.",
                  "A DoD officer denied it; the DOD later agreed. The Ministry of Welfare "
                  "sent doctors, the MoW said."],
        ))  # fmt: skip
        self.assertEqual(found["United States Department of Defense"].mentions, 3)
        self.assertEqual(found["Ministry of Welfare"].mentions, 2)
        self.assertFalse({"DoD", "DOD", "MoW"} & set(found))

    def test_a_river_or_sea_written_without_its_word_is_that_river(self) -> None:
        spans = GivenSpans({r"Korvath Sea|Korvath\b": "LOC", r"Mount Selm|\bSelm\b": "LOC",
                            r"Lake Dorne|Dorne\b": "LOC"})  # fmt: skip
        found = given(spans, Article(
            headline="Storm closes ports on the Korvath Sea",
            body=["Ferries on the Korvath Sea were halted. The Korvath stayed rough all week.",
                  "Climbers on Mount Selm turned back; hotels in Selm shut. Talks in Dorne on "
                  "Lake Dorne went on; Dorne's mayor agreed."],
        ))  # fmt: skip
        self.assertEqual(found["Korvath Sea"].mentions, 3)
        self.assertNotIn("Korvath", found)
        # A town by its mountain's or its lake's name is the town
        self.assertEqual(found["Mount Selm"].mentions, 1)
        self.assertEqual(found["Selm"].kind, "place")
        self.assertEqual(found["Dorne"].mentions, 2)
        # The model's person by a river's name is the river; a town named for its lake, a
        # state for its river, stay
        spans = GivenSpans({r"Rhone River": "LOC", r"Rhone\b(?! River)": "PERSON",
                            r"Lake Varna": "LOC", r"Varna\b": "GPE", r"Calloway\b": "GPE",
                            r"Calloway River": "LOC"})  # fmt: skip
        found = given(spans, Article(
            headline="Floods on the Rhone River",
            body=["Barges on the Rhone were halted. Algae spread across Lake Varna; the "
                  "town of Varna shut its beaches.",
                  "The governor of Calloway said the Calloway River had crested."],
        ))  # fmt: skip
        self.assertEqual(found["Rhone River"].mentions, 2)
        self.assertNotIn("Rhone", found)
        self.assertEqual(found["Varna"].kind, "place")
        self.assertIn("Calloway", found)

    def test_a_name_with_a_number_is_no_one_and_nowhere(self) -> None:
        spans = GivenSpans({r"\bVX9\b": "GPE", r"\bK7\b": "PERSON", r"Area 51": "LOC"})
        found = given(spans, Article(
            headline="Users told to drop VX9 browser",
            body=["Velmar Soft said VX9 users should update. K7 said it agreed. A base at Area "
                  "51 was mentioned.", "VX9 will be retired; K7 will not."],
        ))  # fmt: skip
        self.assertEqual(found["VX9"].kind, "theme")
        self.assertEqual(found["K7"].kind, "theme")
        self.assertEqual(found["Area 51"].kind, "place")

    def test_an_event_is_no_short_name_of_a_body(self) -> None:
        spans = GivenSpans({r"Spring Games Opening Ceremony": "ORG",
                            r"(?<=The )Spring Games": "EVENT"})  # fmt: skip
        found = given(spans, Article(
            headline="Spring Games Opening Ceremony held in Velmar",
            body=["The Spring Games opened last night in Velmar before 40,000 people."],
        ))  # fmt: skip
        self.assertEqual(found["Spring Games"].mentions, 1)

    def test_a_mountain_or_loch_is_a_place_and_a_builder_a_body(self) -> None:
        spans = GivenSpans({r"Mount Carrow": "PRODUCT", r"Loch Ailsa": "PERSON",
                            r"Alvaro Hermanos Construction": "PERSON"})  # fmt: skip
        found = given(spans, Article(
            headline="Wildfire reaches Mount Carrow",
            body=["Fire crews on Mount Carrow said a swimmer had crossed Loch Ailsa. Alvaro "
                  "Hermanos Construction will rebuild the huts."],
        ))  # fmt: skip
        self.assertEqual(found["Mount Carrow"].kind, "place")
        self.assertEqual(found["Loch Ailsa"].kind, "place")
        self.assertEqual(found["Alvaro Hermanos Construction"].kind, "organisation")

    def test_a_name_with_small_words_is_one_person(self) -> None:
        spans = GivenSpans({r"Marta del Campo": "PERSON", r"(?<!Campo )Ortiz Ruano": "PERSON"})
        found = given(spans, Article(
            headline="Marta del Campo Ortiz Ruano named judge",
            body=["Marta del Campo Ortiz Ruano has joined the Supreme Court of Valtierra.",
                  "Ortiz Ruano, 56, was a prosecutor."],
        ))  # fmt: skip
        self.assertEqual(found["Marta del Campo Ortiz Ruano"].mentions, 3)
        self.assertEqual(set(found) & {"Marta del Campo", "Ortiz Ruano"}, set())

    def test_a_list_of_towns_the_model_ran_together_is_each_town(self) -> None:
        spans = GivenSpans({r"Pellby, Dunmoor and Orvell": "ORG", r"Marks and Spender": "ORG"})
        found = given(spans, Article(
            headline="Ferry strike strands commuters",
            body=["Commuters in the lakeside towns of Pellby, Dunmoor and Orvell were stranded. "
                  "Marks and Spender closed its shops."],
        ))  # fmt: skip
        self.assertEqual({found[n].kind for n in ("Pellby", "Dunmoor", "Orvell")}, {"place"})
        self.assertIn("Marks and Spender", found)

    def test_an_adjective_alone_is_no_body(self) -> None:
        spans = GivenSpans({r"U\.S\. Naval": "ORG", r"Selby Central High School": "ORG",
                            r"(?<=at )Central": "ORG", r"Royal Navy": "ORG"})  # fmt: skip
        found = given(spans, Article(
            headline="Former pupils recall Selby Central High School",
            body=["A U.S. Naval ship carried the class of 1957 from Selby Central High School. "
                  "The Royal Navy escorted it.",
                  "\"Our days at Central were hard,\" one said."],
        ))  # fmt: skip
        self.assertNotIn("United States Naval", found)
        self.assertNotIn("Central", found)
        self.assertEqual(found["Selby Central High School"].mentions, 3)
        self.assertEqual(found["United States"].mentions, 1, "the Naval ship's country")
        self.assertIn("Royal Navy", found)

    def test_the_short_forms_rules_leave_other_names_alone(self) -> None:
        spans = GivenSpans({r"Kestrel Federal": "ORG", r"Rosario Central": "ORG",
                            r"Miner County": "GPE", r"(?<=The )National": "ORG",
                            r"Velmar Centre for Disease Control": "ORG", r"\bCDC\b": "ORG",
                            r"Ministry of Unification": "ORG", r"\bMoU\b": "ORG",
                            r"North and South Kessa": "GPE"})  # fmt: skip
        found = given(spans, Article(
            headline="Kestrel Federal shares fall",
            body=["Kestrel Federal said profits fell. Rosario Central fans cheered in Miner "
                  "County. The National will headline the festival.",
                  "The Velmar Centre for Disease Control said the CDC in Atlanta had helped. "
                  "The Ministry of Unification signed an MoU. Floods hit the provinces of "
                  "North and South Kessa."],
        ))  # fmt: skip
        for name in ("Kestrel Federal", "Rosario Central", "Miner County", "National", "CDC",
                     "MoU", "North and South Kessa"):  # fmt: skip
            self.assertIn(name, found)
        self.assertEqual(found["Velmar Centre for Disease Control"].mentions, 1)
        self.assertEqual(found["Ministry of Unification"].mentions, 1)
        self.assertNotIn("North", found)

    def test_a_pact_named_for_a_place_is_no_mention_of_the_place(self) -> None:
        registry = [*REGISTRY, Entry("velmar", "Velmar", "place", ())]
        spans = GivenSpans({r"Ines Varga": "PERSON", r"Abran": "PERSON"})
        found = by_name(Tagger(registry, spans).tag(Article(
            headline="Countries miss Velmar agreement goals",
            body=["Most countries are off track for the Velmar agreement, Ines Varga said. "
                  "The Abran accords turn five."],
        )))  # fmt: skip
        self.assertNotIn("Velmar", found)
        self.assertEqual(found["Velmar agreement"].kind, "theme")
        self.assertIn("Abran accords", found)
        self.assertNotIn("Abran", found)
        spans = GivenSpans({r"Lassa": "PERSON", r"Velmar": "GPE"})
        found = by_name(Tagger(registry, spans).tag(Article(
            headline="Lassa fever cases rise",
            body=["Cases of Lassa fever rose again, and the Velmar virus spread in Velmar."],
        )))  # fmt: skip
        self.assertEqual(found["Lassa fever"].kind, "theme")
        self.assertNotIn("Lassa", found)
        self.assertEqual(found["Velmar"].mentions, 2, "a town the registry knows stays one")
        # Neither after an opening phrase nor for a body, nor a craze for a person named
        # alone too
        spans = GivenSpans({r"Mira Solberg": "PERSON", r"\bSolberg\b": "PERSON",
                            r"Brussels": "GPE"})  # fmt: skip
        found = by_name(Tagger([*registry, Entry("brussels", "Brussels", "place", ())],
                               spans).tag(Article(
            headline="Solberg fever grips the city",
            body=["In Brussels agreement on the budget came late. Solberg scored twice, and "
                  "Mira Solberg said the Velmar treaty could wait."],
        )))  # fmt: skip
        self.assertIn("Brussels", found)
        self.assertIn("Mira Solberg", found)
        self.assertNotIn("Solberg fever", found)
        self.assertNotIn("Velmar", found, "the Velmar treaty, after 'the'")

    def test_a_state_with_small_words_and_a_prince_beside_a_lake(self) -> None:
        spans = GivenSpans({r"Rio Verde(?= do)": "GPE", r"Lake Albor|(?<=Prince )Albor": "LOC",
                            r"(?<=\. )Albor": "PERSON"})  # fmt: skip
        found = given(spans, Article(
            headline="Floods in southern states",
            body=["Floods hit the state of Rio Verde do Norte on Sunday. Prince Albor visited "
                  "the shores of Lake Albor. Albor said he would return."],
        ))  # fmt: skip
        self.assertIn("Rio Verde do Norte", found)
        self.assertEqual(found["Lake Albor"].mentions, 1)
        self.assertEqual(found["Albor"].kind, "person")
        # Not a place the registry knows before a person's small word ("In France da Costa")
        found = given(GivenSpans({r"France": "GPE", r"(?<=da )Costa": "PERSON"}), Article(
            body=["In France da Costa's party gained seats; France voted on Sunday."],
        ))  # fmt: skip
        self.assertEqual(found["France"].mentions, 2)

    def test_a_first_name_the_model_cut_from_two_more(self) -> None:
        spans = GivenSpans({r"\bCarla\b": "ORG", r"Minna Brood": "PERSON"})
        found = given(spans, Article(
            headline="Veteran of the Selby Nine dies",
            body=["His death was confirmed by fellow members Carla Walls Lanier and Minna Brood."],
        ))  # fmt: skip
        self.assertIn("Carla Walls Lanier", found)
        self.assertNotIn("Carla", found)


class NoiseTests(SimpleTestCase):
    def test_dates_numbers_credits_agencies_and_publisher_are_not_topics(self) -> None:
        article = Article(
            headline="Harbour authority approves new quay",
            body=[
                "On Tuesday, 14 March, the Harbour Authority of Port Elsby approved 300 berths "
                "(Reuters) - the Daily Planet reported.",
                "The vote followed a decade of delays, Harbour Authority chair Ines Barros said. "
                "Barros said the first berths open in June.",
            ],
            credits=["Photograph: Lena Brandt/AFP", "By Tom Okoro"],
            publisher="Daily Planet",
        )
        names = {fold(c.name) for c in tagger().tag(article)}
        for noise in ("tuesday", "14 march", "march", "june", "300", "reuters", "afp",
                      "lena brandt", "tom okoro", "daily planet", "a decade"):  # fmt: skip
            self.assertNotIn(noise, names)
        self.assertIn("ines barros", names)

    def test_clock_zones_and_degrees_are_not_topics(self) -> None:
        article = Article(
            headline="Dunmore ferry sinks at 08:30 BST",
            body=["The Dunmore ferry sank at 08:30 BST (07:30 GMT), said Ines Barros, a PhD "
                  "student on board. Barros, who has an MBA, swam ashore."],
        )  # fmt: skip
        model = GivenSpans({"BST": "ORG", "GMT": "ORG", "PhD": "WORK_OF_ART", "MBA": "ORG",
                            "Ines Barros": "PERSON"})  # fmt: skip
        names = {fold(c.name) for c in Tagger(REGISTRY, model).tag(article)}
        self.assertEqual(names & {"bst", "gmt", "phd", "mba"}, set())
        self.assertIn("ines barros", names)
        # Letters that are a company's name too stay, away from a clock or a degree
        article = Article(
            headline="MSC and UTC cut jobs",
            body=["MSC said it would divert ships at noon BST. UTC agreed to merge, the MBA "
                  "said."],
        )  # fmt: skip
        model = GivenSpans({"MSC": "ORG", "UTC": "ORG", "MBA": "ORG", "BST": "ORG"})
        names = {c.name for c in Tagger(REGISTRY, model).tag(article)}
        self.assertEqual(names, {"MSC", "UTC", "MBA"})

    def test_a_single_unsure_word_met_once_is_dropped(self) -> None:
        article = Article(
            headline="Ferry operator adds winter sailings",
            body=["Breakwater said on Monday that it would add sailings. Passengers cheered."],
        )
        self.assertNotIn("Breakwater", by_name(tagger().tag(article)))

    def test_a_lone_word_the_sentence_runs_into_is_a_passing_mention_only(self) -> None:
        article = Article(
            headline="Charity funds went to arms firms",
            body=[
                "The money went to shares in weapons firms and alcohol company Varnhelm, the "
                "report said, and to the Kestova clinic.",
                "The charity said the Defense of its record would follow.",
            ],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Varnhelm"].kind, "organisation")
        self.assertEqual(found["Varnhelm"].role, "mention", "never a topic of its own")
        self.assertNotIn("Defense", found, "a role's word is not a name")


class SalienceTests(SimpleTestCase):
    def test_headline_and_spread_outrank_a_passing_mention(self) -> None:
        article = Article(
            headline="Amara Diallo wins the Kisumu mayoral election",
            standfirst="Voters turned out in record numbers.",
            body=[
                "Amara Diallo took 58% of the vote, the electoral board said.",
                "Mr Diallo thanked voters. Turnout was 71%.",
                "The ballot was observed by French monitors.",
                "Diallo said he would start work on Monday.",
            ],
        )
        ranked = tagger().tag(article)
        names = [c.name for c in ranked]
        self.assertEqual(names[0], "Amara Diallo")
        self.assertEqual(ranked[0].role, "primary")
        self.assertLess(names.index("Amara Diallo"), names.index("France"))
        self.assertEqual(by_name(ranked)["France"].role, "mention")
        self.assertEqual(by_name(ranked)["Elections"].role, "about")
        self.assertEqual([c.salience for c in ranked[1:]], sorted(
            (c.salience for c in ranked[1:]), reverse=True
        ))  # fmt: skip

    def test_a_hint_overrides_the_primary(self) -> None:
        article = Article(
            headline="Amara Diallo visits Paris",
            body=["Amara Diallo met French ministers in Paris."],
            primary_hint="France",
        )
        self.assertEqual(tagger().tag(article)[0].name, "France")

    def test_themes_come_from_keywords_not_from_names(self) -> None:
        article = Article(
            headline="Kestrel Energy hires a new chief",
            body=["Kestrel Energy named Ana Costa as its chief executive."],
        )
        self.assertNotIn("Energy", by_name(tagger().tag(article)))
        article = Article(
            headline="Coastal wind farm connects to the power grid",
            body=["The wind farm will feed the power grid from May."],
        )
        self.assertEqual(by_name(tagger().tag(article))["Energy"].kind, "theme")


class FallbackTests(SimpleTestCase):
    def test_without_a_model_the_registry_still_tags(self) -> None:
        with self.assertLogs("topics.tagging.model", "WARNING") as logs:
            self.assertIsNone(load_model("no_such_spacy_package"))
        self.assertIn("gazetteer only", logs.output[0])
        ranked = tagger(model=False).tag(
            Article(headline="WHO praises French vaccination drive", body=["In France, ..."])
        )
        self.assertEqual({c.name for c in ranked}, {"World Health Organization", "France"})
        self.assertEqual(ranked[0].role, "primary")

    def test_empty_model_name_means_gazetteer_only(self) -> None:
        with self.assertLogs("topics.tagging.model", "WARNING"):
            self.assertIsNone(load_model(""))


class NamesAndKindsTests(SimpleTestCase):
    def test_us_and_un_before_a_name_are_its_full_name(self) -> None:
        self.assertEqual(expand_prefix("U.S. Senate"), "United States Senate")
        self.assertEqual(expand_prefix("U.S Army"), "United States Army", "a dot left out")
        self.assertEqual(
            expand_prefix("UN Human Rights Council"), "United Nations Human Rights Council"
        )
        self.assertEqual(expand_prefix("USA Today"), "USA Today", "only the two short forms")
        self.assertEqual(expand_prefix("Us Weekly"), "Us Weekly", "a word, not the acronym")
        found = by_name(tagger().tag(Article(body=["The U.S. Senate voted; the US Senate won."])))
        self.assertIn("United States Senate", found)

    def test_a_title_before_the_surname_makes_a_person(self) -> None:
        article = Article(
            body=["Talks with Lindiwe Okonjo-Bassey went on.", "Ms Okonjo-Bassey said no."]
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Lindiwe Okonjo-Bassey"].kind, "person")

    def test_titles_inside_the_models_span_are_cut(self) -> None:
        self.assertEqual(clean_name("State for Defence Des Browne", person=True), "Des Browne")
        self.assertEqual(clean_name("Cardinals Marc Ouellet", person=True), "Marc Ouellet")
        self.assertEqual(clean_name("Teenager Malia Osei", person=True), "Malia Osei")
        self.assertEqual(clean_name("Driver Osei", person=True), "Driver Osei")
        self.assertEqual(clean_name("Harbour City &mdash;"), "Harbour City")
        # Two-word ranks, and the see an archbishop's span starts in
        self.assertEqual(clean_name("Lance Corporal Tomas Reyes", person=True), "Tomas Reyes")
        self.assertEqual(clean_name("Staff Sgt. Ana Ruiz", person=True), "Ana Ruiz")
        self.assertEqual(clean_name("Lance Armstrong", person=True), "Lance Armstrong")
        self.assertEqual(clean_name("PM Orlanko", person=True), "Orlanko")
        self.assertEqual(clean_name("All Velmaria Theodoros", person=True), "Theodoros")

    def test_a_place_at_the_start_of_another_name_of_the_story_is_that_names(self) -> None:
        registry = [*REGISTRY, Entry("lyon", "Lyon", "place", ())]
        spans = GivenSpans({r"Lyon Club": "ORG", r"Zembla": "GPE"})
        found = by_name(Tagger(registry, spans).tag(Article(
            headline="Lyon club creditors agree Zembla debt deal",
            body=["The Lyon Club of creditor nations agreed to restructure Zembla's debt.",
                  "The Lyon club said talks would go on in Lyon next month."],
        )))  # fmt: skip
        self.assertEqual(found["Lyon Club"].mentions, 3)
        self.assertEqual(found["Lyon Club"].role, "primary")
        self.assertEqual(found["Lyon"].mentions, 1, "the city itself, met once")

    def test_a_rank_or_title_the_model_took_for_a_body_is_a_person(self) -> None:
        spans = GivenSpans({r"Lance Corporal Tomas Reyes": "ORG", r"Viktor Orlanko": "PERSON",
                            r"PM Orlanko": "ORG", r"\bState\b": "ORG",
                            r"Dana Whitfield": "PERSON", r"Rear Admiral": "ORG",
                            r"Ines Varga": "PERSON", r"PM Capital": "ORG",
                            r"Field Marshal Road": "FAC"})  # fmt: skip
        found = given(spans, Article(
            headline="Marine cleared over checkpoint shooting",
            body=["Lance Corporal Tomas Reyes was cleared on Monday. Prime minister Viktor "
                  "Orlanko welcomed the ruling.",
                  "\"Justice was done,\" said PM Orlanko. Secretary of State Dana Whitfield "
                  "called for calm. Rear Admiral Ines Varga said the navy agreed.",
                  "PM Capital, a fund, sold its stake. Field Marshal Road was closed."],
        ))  # fmt: skip
        self.assertEqual(found["Tomas Reyes"].kind, "person")
        self.assertNotIn("Rear Admiral", found, "a rank the model split from its holder")
        self.assertEqual(found["PM Capital"].kind, "organisation", "a role word: no surname")
        self.assertEqual(found["Field Marshal Road"].kind, "place")
        self.assertEqual(found["Viktor Orlanko"].mentions, 2, "the PM is the premier")
        self.assertNotIn("PM Orlanko", found)
        self.assertNotIn("State", found, "the office of a title is no body")
        self.assertIn("Dana Whitfield", found)

    def test_the_names_own_words_decide_its_kind(self) -> None:
        article = Article(
            headline="Floods close Marrow River crossing",
            body=[
                "Water from the Marrow River closed Kellerby Intercontinental Airport on "
                "Sunday, and Ostrander Racing cancelled its meeting.",
                "Kellerby Intercontinental Airport reopened later; Ostrander Racing did not.",
            ],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Kellerby Intercontinental Airport"].kind, "place")
        self.assertEqual(found["Ostrander Racing"].kind, "organisation")
        self.assertEqual(found["Marrow River"].kind, "place")
        from topics.tagging.text import kind_from_words

        self.assertEqual(kind_from_words("East Fenwick Magazine"), "organisation")
        self.assertEqual(kind_from_words("Brantham Marine Corps"), "organisation")
        # A caption run into the text ("Dunmore State Prison The sole maker of"): the head
        # word still belongs to the name the model cut short.
        found = given(GivenSpans({r"Dunmore State\b": "ORG"}), Article(
            headline="Executions delayed",
            body=["Dunmore State Prison The sole maker of the drug has stopped making it."],
        ))  # fmt: skip
        self.assertEqual(found["Dunmore State Prison"].kind, "place")

    def test_named_events_and_laws_are_themes(self) -> None:
        article = Article(
            headline="Kisumu readies for the Olympic Games",
            body=[
                "Crews raced to finish the stadium before the Olympic Games opened in Kisumu, "
                "weeks after the Coastal Defence Act was passed.",
                "The Olympic Games will bring 10,000 athletes, the organisers of the Olympic "
                "Games said; the Coastal Defence Act paid for the sea walls.",
            ],
        )
        found = by_name(tagger().tag(article))
        games = found["Olympic Games"]
        self.assertEqual(games.kind, "theme")
        self.assertGreater(games.salience, 0.2, "a named event ranks like a name, not a keyword")
        self.assertEqual(found["Coastal Defence Act"].kind, "theme")


class SalienceModelTests(SimpleTestCase):
    def test_features_name_the_headline_subject_and_not_its_setting_or_demonyms(self) -> None:
        article = Article(
            headline="Kenyan minister Amara Diallo visits flood-hit towns in Turkey",
            body=[
                "Amara Diallo, Kenya's foreign minister, toured flooded towns in Turkey on "
                "Monday. Turkish officials said 3,000 people had been moved.",
                "Diallo promised aid. Turkey thanked the Kenyan government.",
            ],
        )
        found = by_name(Tagger([*REGISTRY, Entry("kenya", "Kenya", "place", ("Kenyan",))],
                               load_model(settings.TAGGING_MODEL)).tag(article))  # fmt: skip
        diallo, turkey, kenya = found["Amara Diallo"], found["Turkey"], found["Kenya"]
        self.assertEqual(diallo.features["headline_first"], 1.0, "Kenyan is a modifier")
        self.assertEqual(kenya.features["headline_first"], 0.0)
        self.assertGreater(kenya.features["demonym"], 0.5)
        self.assertEqual(turkey.features["headline_setting"], 1.0, '"in Turkey"')
        self.assertEqual(diallo.features["lead_subject"], 1.0)
        self.assertEqual(diallo.role, "primary")

    def test_fitting_is_deterministic_and_learns_the_signal(self) -> None:
        from topics.tagging.salience import fit

        rows = [{"headline": float(i % 2), "mentions": (i % 5) / 4} for i in range(40)]
        targets = [float(r["headline"] and r["mentions"] > 0.3) for r in rows]
        first, second = fit(rows, targets), fit(rows, targets)
        self.assertEqual(first, second)
        self.assertGreater(first.score({"headline": 1, "mentions": 1}), 0.5)
        self.assertLess(first.score({"headline": 0, "mentions": 0}), 0.2)

    def test_the_checked_in_model_is_used_and_picks_the_primary(self) -> None:
        from topics.tagging.salience import Salience

        model = Salience.load()
        assert model is not None, "topics/tagging/salience.json is checked in"
        article = Article(
            headline="Port Elsby council approves Kestrel Energy wind farm",
            body=[
                "The council of Port Elsby on Tuesday approved a wind farm that Kestrel Energy "
                "will build with turbines made in France.",
                "Kestrel Energy said building would start in May. Kestrel Energy shares rose.",
            ],
        )
        ranked = Tagger(REGISTRY, load_model(settings.TAGGING_MODEL), salience=model).tag(article)
        self.assertEqual(ranked[0].role, "primary")
        self.assertIn(ranked[0].name, {"Kestrel Energy", "Port Elsby"})
        self.assertEqual(max(c.salience for c in ranked), 1.0)
        self.assertLess(
            by_name(ranked)["France"].salience, by_name(ranked)["Kestrel Energy"].salience
        )


class TitleMentionTests(SimpleTestCase):
    def test_the_title_counts_for_the_one_person_who_holds_it(self) -> None:
        article = Article(
            headline="Budget passes after late-night vote",
            body=[
                "Chancellor Ilse Brandt won the vote on Thursday after Governor Tomas Reyes "
                "dropped his objection.",
                "The chancellor said the budget would cut borrowing. The governor agreed.",
                "Critics said the chancellor had given too much away.",
            ],
        )
        found = by_name(tagger().tag(article))
        brandt, reyes = found["Ilse Brandt"], found["Tomas Reyes"]
        self.assertEqual(brandt.mentions, 3, "her name and the chancellor twice")
        self.assertEqual(reyes.mentions, 2)

    def test_a_shared_title_points_at_nobody(self) -> None:
        article = Article(
            body=[
                "Minister Ilse Brandt met Minister Tomas Reyes on Thursday.",
                "The minister said the talks went well.",
            ]
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Ilse Brandt"].mentions, 1)
        self.assertEqual(found["Tomas Reyes"].mentions, 1)

    def test_a_headline_role_without_a_name_is_the_person_the_lead_gives_it(self) -> None:
        spans = GivenSpans({r"Anselm Voight|Voight(?!')": "PERSON", r"Ruritania": "GPE"})
        article = Article(
            headline="Ruritanian foreign minister criticised after reading the wrong speech",
            body=[
                "Ruritania's foreign minister has been criticised by lawmakers after a speech "
                "at the summit. Anselm Voight read out a speech written for another country.",
                "Voight apologised on Friday.",
            ],
        )
        voight = given(spans, article)["Anselm Voight"]
        self.assertEqual(voight.mentions, 3, "his name, his surname and the headline's role")
        self.assertEqual(voight.features["headline"], 1.0)
        # A role the lead does not give: nobody's ("minister" is not in the lead).
        unsaid = Article(
            headline="Minister criticised after summit",
            body=["Anselm Voight read out the wrong speech.", "Voight apologised."],
        )
        self.assertEqual(given(spans, unsaid)["Anselm Voight"].features["headline"], 0.0)
        # Not a bus: "coach" is no role here.
        coach = Article(
            headline="Coach overturns near border",
            body=["A coach overturned on Tuesday and Anselm Voight, a passenger, was hurt."],
        )
        self.assertEqual(given(spans, coach)["Anselm Voight"].features["headline"], 0.0)

    def test_a_headline_title_is_the_holders_when_its_qualifier_agrees(self) -> None:
        spans = GivenSpans({r"Jonah Okafor": "PERSON", r"Okafor(?= said)": "PERSON"})
        body = [
            "Prime Minister Jonah Okafor arrived in the capital on Monday.",
            "Okafor said the visit would last three days.",
        ]
        visit = given(spans, Article(headline="Prime Minister in first visit abroad", body=body))
        self.assertEqual(visit["Jonah Okafor"].features["headline"], 1.0, "followed by a word")
        other = given(spans, Article(headline="Foreign minister quits over visit", body=body))
        self.assertEqual(other["Jonah Okafor"].features["headline"], 0.0, "not his title")


class SubjectTests(SimpleTestCase):
    def test_a_named_subject_is_a_topic_when_prominent_and_may_be_primary(self) -> None:
        from topics.tagging.salience import Salience

        registry = [*REGISTRY, Entry("ramadan", "Ramadan", "theme", ()),
                    Entry("olympic-games", "Olympic Games", "theme", ("Olympics",))]  # fmt: skip
        model = Tagger(registry, load_model(settings.TAGGING_MODEL), salience=Salience.load())
        ranked = model.tag(Article(
            headline="Ramadan begins across Kisumu",
            body=["Ramadan began on Tuesday in Kisumu, where mosques opened late.",
                  "Families broke the fast together as Ramadan's first day ended."],
        ))  # fmt: skip
        ramadan = by_name(ranked)["Ramadan"]
        self.assertEqual(ramadan.kind, "theme")
        self.assertGreater(ramadan.salience, 0.2, "ranked like a name, not capped like keywords")
        passing = model.tag(Article(body=["Shops in Kisumu stay open late during Ramadan."]))
        self.assertNotIn("Ramadan", by_name(passing), "named once in passing: not a topic")
        games = model.tag(Article(headline="Kisumu bids for the Olympics",
                                  body=["Kisumu will bid for the Olympics in 2036."]))  # fmt: skip
        self.assertIn("Olympic Games", by_name(games), "the registry's name, not the model's")
        self.assertNotIn("Olympics", by_name(games))

    def test_a_name_the_model_gives_a_subject_joins_the_subject(self) -> None:
        registry = [*REGISTRY, Entry("moon", "Moon", "theme", ())]
        spans = GivenSpans({r"^Moon": "PERSON", r"Nasa": "ORG"})
        ranked = Tagger(registry, spans).tag(Article(
            headline="Moon water may have come from comets",
            body=["Water on the Moon may have come from comets, Nasa said.",
                  "Samples from the Moon were studied again this year."],
        ))  # fmt: skip
        moons = [c for c in ranked if c.name == "Moon"]
        self.assertEqual(len(moons), 1, "one topic, not a person beside the subject")
        self.assertEqual((moons[0].kind, moons[0].key), ("theme", "moon"))
        self.assertEqual(moons[0].mentions, 3)
        # A titled person, or one whose story names the thing once in an idiom, stays one.
        spans = GivenSpans({r"\bMoon\b(?! landing)": "PERSON"})
        for body in ("President Moon said talks would resume. Moon met envoys.",
                     "Moon said he had promised the moon. Moon met envoys."):  # fmt: skip
            found = by_name(Tagger(registry, spans).tag(Article(headline="Moon vows talks",
                                                                body=[body])))  # fmt: skip
            self.assertEqual((found["Moon"].kind, found["Moon"].key), ("person", None), body)


class KindEvidenceTests(SimpleTestCase):
    """A name's kind from the words around its mentions, not from one label."""

    def test_roles_and_appositions_decide_the_kind(self) -> None:
        from topics.tagging.pipeline import _cue

        def cue(text: str, name: str, places: dict[int, int] | None = None) -> Any:
            at = text.index(name)
            return _cue(text, at, at + len(name), places or {})

        self.assertEqual(cue("money from Olvaro, a large Welsh cider company.", "Olvaro")[0],
                         "organisation")  # fmt: skip
        self.assertEqual(
            cue("the charity Brightwell Aid said", "Brightwell Aid")[0], "organisation"
        )
        self.assertEqual(cue("Congresswoman Delia Farrant was hurt", "Delia Farrant")[0], "person")
        self.assertEqual(cue("Tam Oduya, Kenya's envoy to the UN, spoke", "Tam Oduya")[0], "person")
        self.assertEqual(cue("Tam Oduya, U.S. envoy to Accra, spoke", "Tam Oduya")[0], "person")
        self.assertEqual(cue("Oren Valdés, 54, said", "Oren Valdés")[0], "person")
        self.assertEqual(cue("the town of Westerholm flooded", "Westerholm")[0], "place")
        text = "a shooting in Carrowby, Arizona. Police"
        at = text.index("Arizona")
        self.assertEqual(cue(text, "Carrowby", {at: at + len("Arizona")}), ("place", 2.5))
        # Not a place: "James Orr, U.S. envoy" names his country, it does not place him.
        text = "James Orr, U.S. envoy, said"
        self.assertEqual(cue(text, "James Orr", {11: 15})[0], "person")
        # A company may be an owner or a rival: weak evidence of a person, outvoted by labels.
        self.assertEqual(cue("by Halvard, the owner of Teleko, and", "Teleko"), None)
        self.assertEqual(cue("said rival Ama Quaye", "Ama Quaye"), ("person", 1.0))
        # A comma after an organisation's role starts a new clause unless the name closes it.
        self.assertIsNone(cue("In a letter to the company, Ruth Obi said", "Ruth Obi"))
        self.assertEqual(cue("the company, Vantra, said", "Vantra")[0], "organisation")

    def test_where_a_name_is_and_what_follows_it(self) -> None:
        from topics.tagging.pipeline import REGION_VOTE, WEAK_CUE_VOTE, _cue

        def cue(text: str, name: str) -> Any:
            at = text.index(name)
            return _cue(text, at, at + len(name), {})

        # "in X" is weak: "jobs in Jaguar Land Rover", "trust in Boeing"
        self.assertEqual(cue("A senior officer in Dravomir said", "Dravomir"),
                         ("place", WEAK_CUE_VOTE))  # fmt: skip
        # An administrative word after the name, ending its phrase: more than one label
        self.assertEqual(
            cue("unrest in the Kesmar region of Velmaria", "Kesmar"), ("place", REGION_VOTE)
        )
        self.assertEqual(cue("fighting in Tolvar province.", "Tolvar")[0], "place")
        # A name that qualifies the district or the word after it is no place of its own.
        self.assertIsNone(cue("a bomb in a northern Kesmari district", "Kesmari"))
        self.assertIsNone(cue("The Brewton district manager told staff", "Brewton"))
        self.assertIsNone(cue("Turnout in the Halvorsen district was high", "Halvorsen"))
        # A plural role before a list of names; not before a firm's name
        self.assertEqual(cue("cosmonauts Ilya Varko and Oleg Drum", "Ilya Varko")[0], "person")
        self.assertIsNone(cue("designed by architects Foster Kell, in 2004", "Foster Kell"))
        # What one founds is a body; "the co-founder of" may run into the founder's name
        self.assertEqual(cue("he founded Tarn Bastion in 1989", "Tarn Bastion")[0], "organisation")
        self.assertIsNone(cue("the co-founder of Corvane Ada Lowry", "Corvane Ada Lowry"))
        # Roles news gives people and bodies before their names
        self.assertEqual(cue("Eyewitness Rafael Campos said", "Rafael Campos")[0], "person")
        self.assertEqual(cue("cleared nurse Bethan Cole of", "Bethan Cole")[0], "person")
        self.assertEqual(cue("said the influencer Jaz Rook", "Jaz Rook")[0], "person")
        self.assertEqual(cue("shares in carmaker Vonmark fell", "Vonmark")[0], "organisation")
        # A role the next clause's subject follows; a role word as a verb
        self.assertIsNone(cue("interviewed the headteacher, Ofsted said", "Ofsted"))
        self.assertIsNone(cue("Countries miss Velmar targets", "Velmar"))
        self.assertEqual(cue("extradited the drug lord Ovidio Marz", "Ovidio Marz")[0], "person")
        self.assertEqual(cue("said Miss Okafor", "Okafor")[0], "person")
        self.assertEqual(cue("the spokesman, Ali Reza, said", "Ali Reza")[0], "person")
        self.assertEqual(cue("directed by his son, Felix.", "Felix")[0], "person")
        self.assertIsNone(cue("agreed to fund Pellby flood defences", "Pellby"))
        self.assertIsNone(cue("The 300 migrants Pellmar agreed to shelter", "Pellmar"))
        self.assertEqual(cue("the militant group Jamaat Kelar", "Jamaat Kelar")[0], "organisation")
        # A capitalised title closing an apposition; not the next clause's subject
        self.assertEqual(cue("Hana Soliman, the Executive Director of the Cairo Rights Network, "
                             "said", "Hana Soliman")[0], "person")  # fmt: skip
        self.assertIsNone(cue("with the Vellum Post, the Iraqi Prime Minister Adel Rami said",
                              "Vellum Post"))  # fmt: skip
        # What one holds shares in is a company, not a place
        self.assertIsNone(cue("Shares in Korvel Systems fell", "Korvel Systems"))

    def test_a_tie_goes_to_the_words_around_the_name_and_the_the_of_a_title(self) -> None:
        found = given(GivenSpans({r"Dravomir": "ORG", r"Glenmoor Courier": "GPE",
                                  r"Korvel War": "EVENT", r"Korvel Systems": "ORG",
                                  r"The Hollins": "GPE", r"The Iron Butcher": "PERSON",
                                  r"the Brantham Fusiliers": "ORG"}), Article(
            headline="Curfew after night of clashes",
            body=["A senior officer in Dravomir said the curfew would hold, a reporter from "
                  "The Glenmoor Courier wrote. Veterans of the fighting in the Korvel War "
                  "marched. Shares in Korvel Systems fell.",
                  "Crowds gathered in The Hollins, where a boxer known as The Iron Butcher spoke. "
                  "He served in the Brantham Fusiliers."],
        ))  # fmt: skip
        self.assertEqual(found["Dravomir"].kind, "place", "one label, one 'in': the 'in' wins")
        self.assertEqual(found["Glenmoor Courier"].kind, "organisation")
        self.assertEqual(found["Korvel War"].kind, "theme", "an event stays an event")
        self.assertEqual(found["Korvel Systems"].kind, "organisation")
        self.assertEqual(found["Hollins"].kind, "place", "'in The X', a place by its label")
        self.assertEqual(found["Iron Butcher"].kind, "person", "a nickname")
        self.assertEqual(found["Brantham Fusiliers"].kind, "organisation", "'in the X': a body")

    def test_the_model_s_span_runs_on_to_the_whole_name(self) -> None:
        from topics.tagging.pipeline import _run_on

        def run_on(text: str, name: str, registry: dict[int, Any] | None = None) -> str:
            at = text.index(name)
            return text[at : _run_on(text, at, at + len(name), registry or {})]

        # The words after it say what the whole is
        self.assertEqual(run_on("at San Teodoro State Prison, where", "San Teodoro State"),
                         "San Teodoro State Prison")  # fmt: skip
        self.assertEqual(run_on("for Harlow Veck Racing in 2010", "Harlow Veck"),
                         "Harlow Veck Racing")  # fmt: skip
        # A road's or a mission's number is part of its name; a count after a place is not
        self.assertEqual(run_on("on scenic Highway 1 about 12 miles", "Highway"), "Highway 1")
        self.assertEqual(run_on("on Highway 1.", "Highway"), "Highway 1")
        self.assertEqual(run_on("Expedition 11 docked", "Expedition"), "Expedition 11")
        self.assertEqual(run_on("in Kabul 3 people died", "Kabul", {3: None}), "Kabul")
        self.assertEqual(run_on("Highway 1.5 miles on", "Highway"), "Highway")
        # One word the registry does not know, and one more after it
        self.assertEqual(run_on("cosmonauts Aleksei Varko and", "Aleksei"), "Aleksei Varko")
        self.assertEqual(run_on("in Velmaria Tuesday", "Velmaria", {3: None}), "Velmaria")
        # A title starts the next name; a body's word is a name in full already
        self.assertEqual(run_on("the US President Ilse Brandt said", "US"), "US")
        self.assertEqual(run_on("Velmaria Secretary Ama Lowry", "Velmaria"), "Velmaria")
        self.assertEqual(run_on("the Senate Minority spoke", "Senate"), "Senate")
        self.assertEqual(run_on("Ama Lowry Holt Mercer said", "Ama Lowry"), "Ama Lowry")
        # A headline capitalises every word: only a club's letters run on there
        at = len("Velnet")
        self.assertEqual(_run_on("Velnet Says Fees Rise", 0, at, {}, headline=True), at)
        self.assertEqual(_run_on("Dunmore FC Sack Coach", 0, len("Dunmore"), {}, headline=True),
                         len("Dunmore FC"))  # fmt: skip

    def test_what_a_person_is_of_is_not_a_person(self) -> None:
        article = Article(
            body=[
                "The list was topped by investor Warrick Bellamy of Corwen Hathaway, who "
                "gained $20 billion.",
                "Bellamy has run the firm since 1970.",
            ]
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Warrick Bellamy"].kind, "person")
        self.assertEqual(found["Corwen Hathaway"].kind, "organisation")
        # A work's subject is: "a portrait by Lena Voss of Ivo Brandt"; and one who speaks
        for story in (
            ["A portrait by Lena Voss of Ivo Brandt sold for £14m."],
            ["The firm of Lena Voss of Ivo Brandt grew.", "Ivo Brandt said he was pleased."],
        ):
            model = GivenSpans({"Lena Voss": "PERSON", "Ivo Brandt": "PERSON"})
            found = given(model, Article(body=story))
            self.assertEqual(found["Ivo Brandt"].kind, "person", story)

    def test_a_holder_named_inside_a_title_is_a_person(self) -> None:
        article = Article(
            body=[
                "British Secretary of State for Defence Ama Lowry said the crash was "
                "dreadful news.",
                "Lowry flew to Kandahar on Sunday.",
            ]
        )
        # The span the real model gave on a real story of this shape, as an organisation
        model = GivenSpans({"State for Defence Ama Lowry": "ORG", "Kandahar": "GPE"})
        found = given(model, article)
        self.assertEqual(found["Ama Lowry"].kind, "person")
        self.assertFalse([name for name in found if "Defence" in name], found)

    def test_a_body_or_a_person_the_model_called_a_work(self) -> None:
        article = Article(
            body=[
                "The Tarnwell Charity Commission said trustees must invest wisely.",
                '"Simply brilliant," judge Corin Vale Ashby exclaimed.',
                "Vale Ashby used the word remarkable. Cry Me a River closed the show.",
            ]
        )
        model = GivenSpans({
            "Tarnwell Charity Commission": "WORK_OF_ART",
            "Corin Vale Ashby": "WORK_OF_ART",
            "(?<!Corin )Vale Ashby": "PERSON",
            "Cry Me a River": "WORK_OF_ART",
        })  # fmt: skip
        found = given(model, article)
        self.assertEqual(found["Tarnwell Charity Commission"].kind, "organisation")
        self.assertEqual(found["Corin Vale Ashby"].kind, "person", "who exclaimed")
        self.assertIn("Vale Ashby", found["Corin Vale Ashby"].forms)
        self.assertNotIn("Vale Ashby", found)
        self.assertEqual(found["Cry Me a River"].kind, "theme", "a song named after a river")
        # A film named after its star, and a film in quotes named like a club, stay films
        article = Article(
            body=[
                'Ada Lowry said she almost turned down "Being Ada Lowry" and "Fight Club".',
                "Being Ada Lowry was a hit. Fight Club was too. Ada Lowry is 70.",
            ]
        )
        model = GivenSpans({
            "Being Ada Lowry": "WORK_OF_ART",
            "Fight Club": "WORK_OF_ART",
            "(?<!Being )Ada Lowry": "PERSON",
        })  # fmt: skip
        found = given(model, article)
        self.assertEqual(found["Ada Lowry"].kind, "person")
        self.assertEqual(found["Being Ada Lowry"].kind, "theme")
        self.assertEqual(found["Fight Club"].kind, "theme")

    def test_many_labels_of_one_name_count_less_than_as_many_cues(self) -> None:
        story = [
            "Velnet network Ardal-TV reaches Asia. The Velnet network Ardal-TV is banned.",
            "Ardal-TV said it was news. Ardal-TV denies this. Ardal TV was fined.",
            "Ardal-TV is watched daily. Ardal-TV calls itself a station.",
        ]
        # The real model called a television station a person in most of its mentions
        model = GivenSpans({"Velnet": "ORG", "Ardal[- ]TV": "PERSON"})
        found = given(model, Article(body=story))
        self.assertEqual(found["Ardal-TV"].kind, "organisation")
        self.assertEqual(found["Ardal-TV"].mentions, 7, "with and without the hyphen, one name")
        self.assertNotIn("Ardal TV", found)

    def test_the_same_weak_cue_again_counts_less(self) -> None:
        article = Article(
            headline="Workers lose faith in Corvane",
            body=["Engineers in Corvane have lost confidence. Trust in Corvane has fallen."],
        )
        found = given(GivenSpans({"Corvane": "ORG"}), article)
        self.assertEqual(found["Corvane"].kind, "organisation")

    def test_a_clubs_letters_belong_to_its_name(self) -> None:
        model = GivenSpans({"Dunmore(?= F)": "GPE", "Corran": "GPE"})
        article = Article(body=["Dunmore F.C. beat Corran AFC on Saturday, in Corran."])
        found = given(model, article)
        self.assertEqual(found["Dunmore F.C."].kind, "organisation")
        self.assertEqual(clean_name("the Dunmore F.C.,"), "Dunmore F.C.")
        self.assertEqual(clean_name("Washington D.C."), "Washington D.C.")

    def test_a_person_the_quotes_show_to_be_a_title_is_a_work(self) -> None:
        article = Article(
            headline="'Corwin Beats Hale' error in state election report",
            body=[
                'The report recalls the 1948 "Corwin Beats Hale" headline, printed the day '
                "before Senator Ada Hale won.",
            ],
        )
        # The real model's span of such a headline: its last words, as a person
        model = GivenSpans({"Beats Hale": "PERSON", "Ada Hale": "PERSON"})
        found = given(model, article)
        self.assertEqual(found["Corwin Beats Hale"].kind, "theme")
        self.assertNotIn("Beats Hale", found)
        self.assertEqual(found["Ada Hale"].kind, "person")
        # A quoted nickname is still a person
        article = Article(body=["'Iron Tam' Brody watched from ringside with \"Big Ada\"."])
        model = GivenSpans({"Tam": "PERSON", "Big Ada": "PERSON"})
        found = given(model, article)
        self.assertEqual(found["Big Ada"].kind, "person")

    def test_no_ones_name_has_a_number(self) -> None:
        article = Article(body=["Leaders of the G9 met in Dunmore. The G9 agreed on aid."])
        model = GivenSpans({"G9": "PERSON", "Tropical Storm Dolores": "ORG"})
        found = given(model, article)
        self.assertEqual(found["G9"].kind, "theme")

    def test_a_bodys_word_names_the_body(self) -> None:
        from topics.tagging.text import is_storm, kind_from_words

        self.assertEqual(kind_from_words("Parliament"), "organisation")
        self.assertEqual(kind_from_words("Fairleigh Media"), "organisation")
        self.assertEqual(kind_from_words("Dunmore Central High School"), "organisation")
        self.assertEqual(kind_from_words("Highway 1"), "place")
        self.assertEqual(kind_from_words("Larkspur Prize"), "thing")
        self.assertEqual(kind_from_words("Clean Rivers Act"), "thing")
        self.assertEqual(kind_from_words("Harcourt Medal"), "thing")
        self.assertEqual(kind_from_words("Minor Planet Center"), "organisation")
        self.assertEqual(kind_from_words("Sydney Entertainment Centre"), "place")
        self.assertEqual(kind_from_words("Corvane Holocaust Museum"), "place")
        self.assertTrue(is_storm("Tropical Storm Dolores", "the storm made landfall"))
        self.assertFalse(is_storm("Hurricane Electric", "the internet company said"))
        self.assertIsNone(kind_from_words("Dravomir"))

    def test_context_outweighs_the_models_label_in_a_story(self) -> None:
        article = Article(
            headline="Teenager Malia Osei leaves hospital",
            body=[
                "Pakistani schoolgirl Malia Osei left hospital in Birmingham on Friday, doctors "
                "said.",
                "Osei was shot on a school bus last year. Malia thanked the nurses.",
                "Money came from Olvaro, a large Welsh cider company. Olvaro gave £2,000.",
            ],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Malia Osei"].kind, "person")
        self.assertIn("Osei", found["Malia Osei"].forms, "the surname folds into the name")
        self.assertEqual(found["Olvaro"].kind, "organisation")

    def test_a_name_with_an_adjective_of_its_own_is_a_place(self) -> None:
        article = Article(
            body=[
                "Border guards stopped Velmarian goods at the crossing with Velmaria.",
                "Velmaria said the Velmarian trucks carried fruit.",
            ]
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Velmaria"].kind, "place")

    def test_a_plural_title_before_a_list_of_names_is_cut(self) -> None:
        article = Article(
            headline="Bookmakers favour Cardinals Mateo Larraz and Peter Oduya",
            body=[
                "Bookmakers favour Cardinals Mateo Larraz, Peter Oduya and Ivo Brandt.",
                "Larraz said nothing. Oduya prayed.",
            ],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Mateo Larraz"].kind, "person")
        self.assertNotIn("Cardinals Mateo Larraz", found)


class HeadlineSubjectTests(SimpleTestCase):
    def test_a_name_that_qualifies_the_next_is_not_the_headlines_subject(self) -> None:
        article = Article(
            headline="Kestrel Energy founder Amara Diallo dies aged 71",
            body=[
                "Amara Diallo, who founded Kestrel Energy in 1990, died on Sunday.",
                "Kestrel Energy said Diallo had been ill.",
            ],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["Amara Diallo"].features["headline_first"], 1.0)
        self.assertEqual(found["Kestrel Energy"].features["headline_first"], 0.0)

    def test_a_possessive_still_leads_the_headline(self) -> None:
        article = Article(
            headline="France's Senate passes the farm bill",
            body=["The French Senate passed the bill on Tuesday.", "France will now act."],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(found["France"].features["headline_first"], 1.0)


class ChoiceModelTests(SimpleTestCase):
    def test_the_primary_model_learns_which_candidate_beats_the_others(self) -> None:
        from topics.tagging.salience import FEATURES, fit_choice

        # In every story the headline's subject is chosen; mentions alone do not decide.
        stories = [
            [{"headline_first": 1.0, "mentions": 0.3}, {"mentions": 1.0}, {"mentions": 0.5}]
            for _ in range(30)
        ]
        chosen = [[1.0, 0.0, 0.0] for _ in stories]
        model = fit_choice(stories, chosen)
        self.assertEqual(model, fit_choice(stories, chosen), "deterministic")
        self.assertGreater(
            model.linear({"headline_first": 1.0, "mentions": 0.3}),
            model.linear({"mentions": 1.0}),
        )
        self.assertEqual(model.bias, 0.0)
        # Stories with nothing chosen teach nothing.
        self.assertEqual(fit_choice([[{"mentions": 1.0}]], [[0.0]]).weights, [0.0] * len(FEATURES))


class CaseAndShortNameTests(SimpleTestCase):
    def test_a_name_written_in_another_case_is_still_the_name(self) -> None:
        spans = GivenSpans({r"LeakBox": "ORG", r"Corvane": "GPE"})
        found = given(spans, Article(
            headline="Leakbox to publish embassy files",
            body=["The site Leakbox said it would publish the files. LeakBox has done so before.",
                  "Diplomats in Corvane were worried about the leakbox project."],
        ))  # fmt: skip
        self.assertEqual(found["LeakBox"].mentions, 3, "not the lower-case 'leakbox'")
        self.assertEqual(found["LeakBox"].features["headline"], 1.0)
        self.assertNotIn("Leakbox", found)

    def test_a_short_name_joins_the_bodys_long_name_and_a_place_keeps_its_own(self) -> None:
        spans = GivenSpans({
            r"Zephyra Boeing": "ORG", r"Zephyra Airlines": "ORG", r"Zephyra(?! [AB])": "ORG",
            r"(?<!Zephyra )Boeing": "ORG",
            r"Port Aldous General Hospital": "ORG", r"Port Aldous(?! G)": "GPE",
        })  # fmt: skip
        found = given(spans, Article(
            headline="Zephyra Boeing crashes on landing",
            body=["A Zephyra Airlines Boeing 777 crashed on landing in Port Aldous. Boeing "
                  "sent engineers.",
                  "Injured passengers were taken to Port Aldous General Hospital. Zephyra "
                  "said it would help the families. Zephyra flies to 30 cities."],
        ))  # fmt: skip
        self.assertEqual(found["Zephyra Airlines"].mentions, 3, "and its short name twice")
        self.assertEqual(found["Zephyra Boeing"].mentions, 1)
        self.assertEqual(found["Port Aldous"].kind, "place")
        self.assertEqual(found["Port Aldous General Hospital"].mentions, 1)

    def test_two_names_sharing_their_last_word_are_both_found(self) -> None:
        registry = [*REGISTRY, Entry("north-korea", "North Korea", "place", ()),
                    Entry("south-korea", "South Korea", "place", ())]  # fmt: skip
        spans = GivenSpans({r"North and South Korea|North, South Korea": "GPE"})
        found = by_name(Tagger(registry, spans).tag(Article(
            headline="North, South Korea to field one team",
            body=["North and South Korea's athletes will march together."],
        )))  # fmt: skip
        self.assertEqual(found["North Korea"].mentions, 2)
        self.assertEqual(found["South Korea"].mentions, 2)
        self.assertNotIn("North and South Korea", found)

    def test_a_bodys_last_words_are_the_one_body_that_has_them(self) -> None:
        spans = GivenSpans({
            r"Corvane Security Council": "ORG", r"(?<=the )Security Council": "ORG",
            r"Advisory Board of the Order of Merit": "ORG", r"Order of Merit(?! is)": "ORG",
            r"Skylark(?! 206)": "ORG", r"Skylark 206": "PRODUCT",
            r"Financial Times": "ORG", r"(?<=The )Times": "ORG",
        })  # fmt: skip
        found = given(spans, Article(body=[
            "The Corvane Security Council met on Monday. Later the Security Council voted.",
            "The Advisory Board of the Order of Merit met too. The Order of Merit is old.",
            "A Skylark 206 crashed. Skylark said it would help. Skylark builds 40 a year.",
            "The Financial Times said so. The Times disagreed. The Times is older.",
        ]))  # fmt: skip
        council = found["Corvane Security Council"]
        self.assertEqual((council.mentions, council.kind), (2, "organisation"))
        self.assertNotIn("Security Council", found)
        self.assertIn("Order of Merit", found, "another body, not the board's")
        self.assertIn("Skylark", found, "a maker, not its aircraft")
        self.assertIn("Times", found, "a lone word may be another body")
        self.assertEqual(found["Financial Times"].mentions, 1)
        # The short name first, then a longer one: another prize.
        spans = GivenSpans({r"(?<!International )Booker Prize": "EVENT",
                            r"International Booker Prize": "EVENT"})  # fmt: skip
        found = given(spans, Article(
            headline="Booker Prize shortlist announced",
            body=["Six novels made the Booker Prize shortlist.",
                  "The International Booker Prize, for translated fiction, is in May."],
        ))  # fmt: skip
        self.assertEqual(found["Booker Prize"].mentions, 2)

    def test_a_headline_word_the_story_writes_in_lower_case_is_no_name(self) -> None:
        spans = GivenSpans({r"^Cabin": "PERSON", r"Northwind Airways": "ORG", r"^Shell": "ORG",
                            r"(?<=\. )Shell": "ORG"})  # fmt: skip
        found = given(spans, Article(
            headline="Cabin crew strike grounds Northwind Airways flights",
            body=["Northwind Airways cancelled 200 flights as cabin crew walked out."],
        ))  # fmt: skip
        self.assertNotIn("Cabin", found)
        self.assertEqual(found["Northwind Airways"].role, "primary")
        kept = given(spans, Article(
            headline="Shell profits double",
            body=["Profits rose at the oil firm. Shell said a shell company was sold."],
        ))  # fmt: skip
        self.assertIn("Shell", kept, "named in the body as well, mid-clause")

    def test_markup_between_two_captions_makes_two_names(self) -> None:
        spans = GivenSpans({r"Corvane Museum\]\] Harbour Street School": "ORG"})
        found = given(spans, Article(
            body=["Corvane Museum]] Harbour Street School pupils visited the museum."],
        ))  # fmt: skip
        self.assertEqual(found["Corvane Museum"].kind, "place", "a museum's words say place")
        self.assertEqual(found["Harbour Street School"].kind, "organisation")

    def test_a_country_named_in_the_headline_only_by_its_demonym(self) -> None:
        found = by_name(tagger().tag(Article(
            headline="Hijackers seize Turkish airliner",
            body=["Hijackers seized a plane flying from Tirana to Istanbul.",
                  "Turkey said the passengers were safe."],
        )))  # fmt: skip
        self.assertEqual(found["Turkey"].features["headline_demonym"], 1.0)
        named = by_name(tagger().tag(Article(headline="Turkey closes its airspace",
                                             body=["Turkey closed its airspace."])))  # fmt: skip
        self.assertEqual(named["Turkey"].features["headline_demonym"], 0.0)


class PersonFoldingTests(SimpleTestCase):
    def test_a_first_name_or_last_words_join_the_one_person_who_has_them(self) -> None:
        article = Article(
            headline="Dancer Lottie Brennan wins the final",
            body=[
                "Lottie Brennan won the dance final on Saturday night in Leeds.",
                "Lottie said she cried. Brennan thanked her partner.",
            ],
        )
        found = by_name(tagger().tag(article))
        self.assertEqual(
            set(found["Lottie Brennan"].forms), {"Lottie", "Brennan", "Lottie Brennan"}
        )
        story = [
            "Abdel Karim Bou Nasr, a rebel commander, was killed in a raid on Sunday.",
            "Bou Nasr had led the group since 2009. Soldiers said Bou Nasr fired first.",
        ]
        found = by_name(tagger().tag(Article(body=story)))
        self.assertIn("Bou Nasr", found["Abdel Karim Bou Nasr"].forms)
        self.assertNotIn("Bou Nasr", found)
        # Two people share "Bou Nasr": it is neither's.
        found = by_name(
            tagger().tag(Article(body=[*story, "His brother Yusuf Bou Nasr was away."]))
        )
        self.assertNotIn("Bou Nasr", found["Abdel Karim Bou Nasr"].forms)

    def test_a_surname_takes_the_first_name_a_role_puts_before_it(self) -> None:
        article = Article(
            body=[
                "Commander Ilse Brandt and Flight Engineer Tomas Vrba landed on Sunday.",
                "Brandt and Vrba briefed the new crew.",
            ]
        )
        # The real model missed such a full name and called the surname an organisation
        model = GivenSpans({"Ilse Brandt": "PERSON", "(?<=and )Vrba": "ORG"})
        found = given(model, article)
        self.assertEqual(found["Tomas Vrba"].kind, "person")
        self.assertNotIn("Vrba", found)
        self.assertNotIn("Flight Engineer", " ".join(found))


class UnreviewedKindTests(SimpleTestCase):
    def test_a_reviewed_kind_is_final_an_unreviewed_one_is_weighed_again(self) -> None:
        article = Article(
            headline="Halden Rusk leaves hospital",
            body=[
                "Congresswoman Halden Rusk left hospital on Friday. Halden Rusk, 54, thanked "
                "the nurses.",
                "Rusk said she would be back in May.",
            ],
        )
        model = load_model(settings.TAGGING_MODEL)
        for reviewed, kind in ((True, "organisation"), (False, "person")):
            entry = Entry("halden-rusk", "Halden Rusk", "organisation", (), reviewed)
            found = by_name(Tagger([*REGISTRY, entry], model).tag(article))["Halden Rusk"]
            self.assertEqual(found.kind, kind, f"reviewed={reviewed}")
            self.assertEqual(bool(found.kind_votes), not reviewed)
        # The name's own words settle it, reviewed or not.
        entry = Entry("rusk-river", "Rusk River", "place", (), False)
        river = by_name(
            Tagger([entry], model).tag(Article(body=["Mayor Rusk River said the plan was good."]))
        )["Rusk River"]
        self.assertEqual(river.kind, "place")

"""The query language and the percolator's index, without a database."""

from unittest import TestCase

from search.percolator import Percolator
from search.query import (
    MAX_LENGTH,
    MAX_TERMS,
    And,
    Document,
    Or,
    Phrase,
    QueryError,
    Tag,
    Term,
    anchors,
    matches,
    parse,
    to_fts5,
    to_tsquery,
)
from search.text import tag_term, terms


def doc(*fields: str, tags: tuple[str, ...] = ()) -> Document:
    return Document.of([terms(f) for f in fields], tags)


class ParseTests(TestCase):
    def test_words_all_must_match_and_are_stemmed_and_folded(self) -> None:
        query = parse("Offshore  WINDS Zürich")
        self.assertEqual(query.text, "Offshore WINDS Zürich")
        self.assertEqual(query.root, And((Term("offshor"), Term("wind"), Term("zurich"))))

    def test_phrases_or_exclusions_groups_and_topics(self) -> None:
        query = parse('("offshore wind" OR solar) -Kenya topic:kestrel-energy')
        self.assertEqual(
            query.root,
            And(
                (Or((Phrase(("offshor", "wind")), Term("solar"))), Tag("kestrel-energy")),
                (Term("kenya"),),
            ),
        )
        self.assertEqual(query.tags, ["kestrel-energy"])
        self.assertEqual(query.wanted, frozenset({"offshor", "wind", "solar"}))

    def test_folding_reaches_compatibility_forms_and_letters_without_accents(self) -> None:
        self.assertEqual(
            terms("Kestrel™ Ørsted ŁÓDŹ Işık Søren 30℃"),
            terms("kestreltm orsted lodz isik soren 30 c"),
        )

    def test_a_hyphenated_or_dotted_word_is_a_phrase_and_possessives_fold(self) -> None:
        self.assertEqual(parse("covid-19").root, Phrase(("covid", "19")))
        self.assertEqual(parse("U.S.").root, Phrase(("u", "s")))
        self.assertEqual(parse("Ruto's").root, Term("ruto"))

    def test_lowercase_or_is_a_word_and_a_lone_dash_is_punctuation(self) -> None:
        self.assertEqual(
            parse("wind or solar").root, And((Term("wind"), Term("or"), Term("solar")))
        )
        self.assertEqual(parse("wind - solar").root, And((Term("wind"), Term("solar"))))

    def test_nested_groups_flatten_and_repeats_collapse(self) -> None:
        self.assertEqual(parse("a (b (c OR c))").root, And((Term("a"), Term("b"), Term("c"))))
        self.assertEqual(parse("(a OR (b OR c))").root, Or((Term("a"), Term("b"), Term("c"))))

    def test_malformed_queries_say_what_is_wrong_and_where(self) -> None:
        cases = {
            '"offshore wind': "quote at character 1 is never closed",
            "(wind OR solar": "'(' at character 1 is never closed",
            "wind) solar": "')' at character 5 has no '('",
            "OR wind": "OR at character 1 needs words before it",
            "wind OR": "OR at character 6 needs words after it",
            "wind () solar": "parentheses at character 6 are empty",
            "-Kenya": "only excludes words",
            "-Kenya -Uganda": "only excludes words",
            "wind OR -Kenya": "Each side of an OR needs a word",
            "wind -(-solar)": "A group inside an exclusion only excludes words",
            "topic:": "topic: needs",
            "topic:Not_A_Slug": "topic: needs",
            "!!! ???": "only punctuation",
            "   ": "Type a word",
            "(" * 9 + "a" + ")" * 9: "nest at most 8",
        }
        for text, message in cases.items():
            with self.subTest(text), self.assertRaises(QueryError) as caught:
                parse(text)
            self.assertIn(message, caught.exception.message)

    def test_limits_name_themselves(self) -> None:
        with self.assertRaisesRegex(QueryError, f"at most {MAX_LENGTH} characters"):
            parse("a" * (MAX_LENGTH + 1))
        with self.assertRaisesRegex(QueryError, f"at most {MAX_TERMS} words"):
            parse(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
        parse(" ".join(f"w{i}" for i in range(MAX_TERMS)))  # the limit itself is allowed

    def test_hostile_input_gives_a_query_or_a_query_error_never_anything_else(self) -> None:
        for text in ['"', '""', "()", ")(", "-", "--a", "-(-a)", 'a -"', "a\x00b", "OR OR",
                     "topic:a-", "'; DROP TABLE x; --", 'NEAR("a" "b")', "a:b", "{x}: y",
                     "\u202e\u0301", "a" * 5000, "((((((((((((((("]:  # fmt: skip
            with self.subTest(text=text[:20]):
                try:
                    query = parse(text)
                except QueryError:
                    continue
                to_fts5(query.root), to_tsquery(query.root)


class CompileTests(TestCase):
    def test_fts5_and_tsquery_get_the_same_tree_with_every_term_quoted(self) -> None:
        root = parse('"offshore wind" (farm OR park) -Kenya topic:kestrel-energy').root
        self.assertEqual(
            to_fts5(root),
            '(("offshor wind" AND ("farm" OR "park") AND tags : "tqkestrelzqenergy0") NOT "kenya")',
        )
        self.assertEqual(
            to_tsquery(root),
            "(('offshor' <-> 'wind') & ('farm' | 'park') & 'tqkestrelzqenergy0' & !'kenya')",
        )

    def test_words_that_look_like_operators_stay_words(self) -> None:
        self.assertEqual(to_fts5(parse("NOT AND near").root), '("not" AND "and" AND "near")')

    def test_tag_terms_are_unambiguous(self) -> None:
        self.assertNotEqual(tag_term("a-b"), tag_term("ab"))
        self.assertNotEqual(tag_term("a-zb"), tag_term("azq-b"))
        self.assertTrue(tag_term("x").isalnum())


class MatchTests(TestCase):
    story = doc(
        "Kestrel Energy builds an offshore wind farm",
        "Turbines will stand off the Kenyan coast.",
        tags=("kestrel-energy", "kenya"),
    )

    def check(self, text: str) -> bool:
        return matches(parse(text).root, self.story)

    def test_the_language_evaluated_in_memory(self) -> None:
        self.assertTrue(self.check("offshore winds"))
        self.assertTrue(self.check('"wind farm"'))
        self.assertFalse(self.check('"farm wind"'))
        self.assertFalse(self.check('"farm turbines"'), "no phrase runs from one field on")
        self.assertTrue(self.check("solar OR wind"))
        self.assertFalse(self.check("wind -turbines"))
        self.assertTrue(self.check("wind -(solar OR coal)"))
        self.assertTrue(self.check("topic:kenya"))
        self.assertFalse(self.check("topic:uganda OR solar"))

    def test_anchors_are_needed_by_every_match(self) -> None:
        self.assertEqual(anchors(parse("offshore wind").root), {"offshor"})
        self.assertEqual(anchors(parse("wind OR solar").root), {"wind", "solar"})
        self.assertEqual(anchors(parse('"wind farm" -coal').root), {"wind"})
        self.assertEqual(anchors(parse("(wind OR solar) farm").root), {"farm"})


class PercolatorTests(TestCase):
    def test_only_candidates_are_evaluated_and_all_matches_found(self) -> None:
        percolator = Percolator()
        queries = {
            1: "offshore wind",
            2: "wind -turbines",
            3: '"wind farm" OR solar',
            4: "topic:kenya farm",
            5: "coal",
            6: "(Kestrel OR Falcon) energy -coal",
        }
        for search_id, text in queries.items():
            percolator.add(search_id, text)
        story = MatchTests.story
        expected = [i for i, text in queries.items() if matches(parse(text).root, story)]
        self.assertEqual(percolator.match(story), expected)
        self.assertEqual(expected, [1, 3, 4, 6])
        percolator.add(1, "coal")  # an edited search is filed again under its new anchors
        percolator.remove(3)
        self.assertEqual(percolator.match(story), [4, 6])
        self.assertNotIn(1, percolator.by_anchor["offshor"])

"""Who said what, on invented stories: each attribution pattern, pronouns, roles, quotes over
paragraphs and around their attribution, partial quotes, organisations as speakers."""

from django.conf import settings
from django.test import SimpleTestCase

from topics.tagging import Article, Tagger
from topics.tagging.model import load_model
from topics.tagging.quotes import Quote, Speaker, find_quotes

PEOPLE = [
    Speaker("Mara Lindqvist", "person", "mara-lindqvist", ("Ms Lindqvist", "Lindqvist")),
    Speaker("Tomas Reyes", "person", None, ("Mr Reyes", "Reyes")),
    Speaker("Ines Barros", "person", None, ("Barros",)),
    Speaker(
        "Harbour Authority of Port Elsby",
        "organisation",
        "harbour-authority",
        ("Harbour Authority",),
    ),
    Speaker("Ministry of Health", "organisation", None, ()),
    Speaker("Pentagon", "organisation", "pentagon", ("the Pentagon",)),
]


def quotes(*paragraphs: str, people: list[Speaker] = PEOPLE) -> list[Quote]:
    return find_quotes(list(paragraphs), people)


def who(*paragraphs: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in quotes(*paragraphs) if not q.partial]


class PatternTests(SimpleTestCase):
    def test_said_name_after_the_quote_with_the_role(self) -> None:
        [quote] = quotes(
            '"We were not consulted," said Tomas Reyes, head of the Dockworkers Union.'
        )
        self.assertEqual(
            (quote.speaker, quote.role), ("Tomas Reyes", "head of the Dockworkers Union")
        )
        self.assertEqual(quote.text, "We were not consulted,")

    def test_name_said_after_the_quote(self) -> None:
        self.assertEqual(who('"The first ships arrive in April," Ms Lindqvist said.'),
                         [("The first ships arrive in April,", "Mara Lindqvist")])  # fmt: skip

    def test_name_said_colon_before_the_quote(self) -> None:
        self.assertEqual(who('Reyes said: "The quay will cost jobs."'),
                         [("The quay will cost jobs.", "Tomas Reyes")])  # fmt: skip

    def test_told_an_audience_and_according_to(self) -> None:
        self.assertEqual(who('"It is a good day," Barros told the council.'),
                         [("It is a good day,", "Ines Barros")])  # fmt: skip
        self.assertEqual(who('"It is a good day," according to Mayor Ines Barros.'),
                         [("It is a good day,", "Ines Barros")])  # fmt: skip
        self.assertEqual(who('According to Reyes, "the talks failed on Sunday."'),
                         [("the talks failed on Sunday.", "Tomas Reyes")])  # fmt: skip

    def test_a_pronoun_is_the_latest_person_of_its_gender(self) -> None:
        story = [
            "Ms Lindqvist met Mr Reyes on Monday.",
            '"The quay opens in March," she said.',
            '"Not without a deal," he said.',
        ]
        self.assertEqual([s for _, s in who(*story)], ["Mara Lindqvist", "Tomas Reyes"])

    def test_a_pronoun_without_a_known_gender_is_the_latest_person(self) -> None:
        self.assertEqual(who("Barros spoke after the vote.", '"We won," she said.'),
                         [("We won,", "Ines Barros")])  # fmt: skip

    def test_a_quote_standing_alone_takes_the_speaker_named_before(self) -> None:
        story = [
            "Ms Lindqvist said the authority had waited long enough.",
            '"We have done the work. The numbers add up."',
        ]
        self.assertEqual(who(*story)[0][1], "Mara Lindqvist")
        self.assertEqual(who('Reyes said the plan was rushed. "Nobody asked us."')[0][1],
                         "Tomas Reyes")  # fmt: skip

    def test_organisations_speak(self) -> None:
        self.assertEqual(who('"There is no plan to deploy," the Pentagon said.')[0][1], "Pentagon")
        self.assertEqual(
            who("The Ministry of Health will fund sampling.",
                '"We take every strain seriously," the ministry said.')[0][1],
            "Ministry of Health",
        )  # fmt: skip

    def test_an_unnamed_speaker_is_no_one_named_earlier(self) -> None:
        story = ["Reyes spoke first.", '"Our offer stands," a spokesperson said.']
        self.assertEqual(who(*story), [("Our offer stands,", None)])


class ShapeTests(SimpleTestCase):
    def test_a_quote_split_by_its_attribution_is_one_quote(self) -> None:
        found = who('"This is our largest investment," Ms Lindqvist said. "It pays for itself."')
        self.assertEqual(found, [("This is our largest investment, It pays for itself.",
                                  "Mara Lindqvist")])  # fmt: skip
        found = who('"I have heard this before," Reyes replied, "and so has the town."')
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0][0].endswith("and so has the town."))

    def test_a_quote_over_several_paragraphs_is_one_quote(self) -> None:
        story = [
            "Reyes, the union's leader, said members had no choice.",
            '"We offered compromise after compromise.',
            '"If they want the ships unloaded, they know where to find us."',
        ]
        [(text, speaker)] = who(*story)
        self.assertEqual(speaker, "Tomas Reyes")
        self.assertTrue(text.startswith("We offered") and text.endswith("find us."))

    def test_brackets_inside_a_quote_are_kept(self) -> None:
        [(text, speaker)] = who('"President [Ines] Barros has chosen well," Reyes said.')
        self.assertEqual(
            (text, speaker), ("President [Ines] Barros has chosen well,", "Tomas Reyes")
        )

    def test_curly_quotes(self) -> None:
        self.assertEqual(who("“We warned in June,” Ms Lindqvist said."),
                         [("We warned in June,", "Mara Lindqvist")])  # fmt: skip

    def test_scare_quotes_and_titles_are_partial(self) -> None:
        found = quotes(
            'Critics called the quay a "vanity project".',
            'Her novel, "The Salt Road", won the prize.',
        )
        self.assertEqual([(q.text, q.partial) for q in found],
                         [("vanity project", True), ("The Salt Road", True)])  # fmt: skip


class RoleTests(SimpleTestCase):
    def test_roles_before_and_after_the_name(self) -> None:
        [quote] = quotes('Harbour Authority chair Ines Barros said: "We are ready."')
        self.assertEqual(quote.role, "Harbour Authority chair")
        [quote] = quotes(
            '"Nobody wants a long mission," said Tomas Reyes, a former admiral and now a '
            "researcher at the Halden Institute."
        )
        self.assertEqual(
            quote.role, "a former admiral and now a researcher at the Halden Institute"
        )

    def test_an_organisations_role_before_the_name(self) -> None:
        people = [Speaker("Mara Lindqvist", "person"), Speaker("Kestrel Energy", "organisation")]
        for paragraph in (
            'Kestrel Energy\'s chief executive, Mara Lindqvist, said: "We will build it."',
            '"We will build it," Kestrel Energy\'s chief executive, Mara Lindqvist, said.',
        ):
            [quote] = quotes(paragraph, people=people)
            self.assertEqual((quote.speaker, quote.role),
                             ("Mara Lindqvist", "Kestrel Energy's chief executive"))  # fmt: skip
        [quote] = quotes('"We will build it," said Mara Lindqvist, chief executive at Kestrel '
                         "Energy.", people=people)  # fmt: skip
        self.assertEqual(quote.role, "chief executive at Kestrel Energy")


class TaggerLinkTests(SimpleTestCase):
    def test_speakers_are_the_stories_topics_and_quotes_count_for_them(self) -> None:
        tagger = Tagger([], load_model(settings.TAGGING_MODEL))
        article = Article(
            headline="Port Elsby quay to open in March",
            body=[
                "Mara Lindqvist, head of the Harbour Authority, said the quay was ready.",
                '"This is the largest investment we have made," Ms Lindqvist said.',
                '"It will pay for itself," she added.',
            ],
        )
        [(candidates, found)] = tagger.tag_with_quotes([article])
        mara = next(c for c in candidates if c.name == "Mara Lindqvist")
        self.assertEqual(mara.quoted, 2)
        self.assertEqual({q.speaker for q in found}, {"Mara Lindqvist"})
        # A name the model called an organisation is a person once "she" points at it.
        article = Article(
            body=["Its director, Eleanor Pryce, opened the hall.", '"It is ours again," she said.']
        )
        [(candidates, found)] = tagger.tag_with_quotes([article])
        self.assertEqual(found[0].speaker, "Eleanor Pryce")
        self.assertEqual(next(c for c in candidates if c.name == "Eleanor Pryce").kind, "person")


class HostileInputTests(SimpleTestCase):
    def test_long_paragraphs_of_names_and_marks_finish(self) -> None:
        names = "Aaron Baker Carter Dawson " * 20_000  # 500 KB, no full stop anywhere
        found = quotes(names + '"A quote at the end," ' + names, "“" * 50_000, '"' * 50_000)
        self.assertTrue(any(q.text.startswith("A quote at the end") for q in found))


class ReviewFindingsTests(SimpleTestCase):
    def test_an_attribution_to_someone_unnamed_is_never_a_guess(self) -> None:
        self.assertEqual(who("Reyes visited.", '"A review is under way," the agency said.'),
                         [("A review is under way,", None)])  # fmt: skip
        self.assertEqual(who("Reyes visited.", '"We want answers," residents said.'),
                         [("We want answers,", None)])  # fmt: skip
        self.assertEqual(who("Reyes visited.", '"We want answers," they said.'),
                         [("We want answers,", None)])  # fmt: skip

    def test_said_role_name(self) -> None:
        [quote] = quotes('"We were the better side," said union treasurer Tomas Reyes.')
        self.assertEqual((quote.speaker, quote.role), ("Tomas Reyes", "union treasurer"))

    def test_quotes_join_only_across_their_attribution(self) -> None:
        found = who('"We are ready," Reyes said. Ms Lindqvist disagreed. "Nobody is ready."')
        self.assertEqual(len(found), 2)
        self.assertEqual(found[1], ("Nobody is ready.", "Mara Lindqvist"))

    def test_a_shared_surname_goes_by_mr_and_ms(self) -> None:
        couple = [Speaker("Jonas Whitfield", "person"), Speaker("Helena Whitfield", "person")]
        story = [
            "Jonas Whitfield and his wife Helena Whitfield own the vineyard.",
            '"I will not sell," Ms Whitfield said.',
            '"Everything has a price," said Mr Whitfield.',
        ]
        found = [(q.text, q.speaker) for q in quotes(*story, people=couple)]
        self.assertEqual([s for _, s in found], ["Helena Whitfield", "Jonas Whitfield"])

    def test_an_object_pronoun_teaches_no_gender(self) -> None:
        story = [
            "Tomas Reyes thanked her for the report. Mara Lindqvist smiled.",
            '"It is a good day," he said.',
        ]
        people = [Speaker("Tomas Reyes", "person"), Speaker("Mara Lindqvist", "person")]
        self.assertEqual([q.speaker for q in quotes(*story, people=people)], ["Mara Lindqvist"])
        # No gender is known for either: "he" is the person named last.

    def test_words_inside_a_sentence_stay_partial_and_adverbs_are_no_role(self) -> None:
        [quote] = quotes('Reyes said it was "disappointed".')
        self.assertTrue(quote.partial)
        [quote] = quotes('Later, Reyes added: "The exporters will get their answer by June."')
        self.assertEqual((quote.speaker, quote.role), ("Tomas Reyes", None))

    def test_a_story_of_marks_is_cut_short(self) -> None:
        from topics.tagging.quotes import MAX_QUOTES

        self.assertEqual(len(quotes("“a” " * 10_000)), MAX_QUOTES)

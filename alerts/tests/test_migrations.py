"""The migration that moved an alert's reasons from their own table onto its row, and back."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase

from alerts.models import Alert
from search.models import SavedSearch
from tidings.test import People
from topics.actions import ensure_topic

BEFORE = ("alerts", "0009_alerts_by_story")
AFTER = ("alerts", "0010_reasons_on_alert")


class ReasonsOnAlertMigrationTests(People, TransactionTestCase):
    def migrate(self, target: tuple[str, str]) -> MigrationExecutor:
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        executor.loader.build_graph()
        return executor

    def tearDown(self) -> None:
        self.migrate(executor_latest())
        super().tearDown()

    def test_reason_rows_are_packed_onto_their_alerts_and_back(self) -> None:
        self.make_people()
        kenya, climate = ensure_topic("Kenya", "place"), ensure_topic("Climate", "theme")
        story = self.make_story(topics=(("Kenya", "place"),))
        executor = self.migrate(BEFORE)
        apps = executor.loader.project_state([BEFORE]).apps
        old_alert, old_reason = (
            apps.get_model("alerts", "Alert"),
            apps.get_model("alerts", "AlertReason"),
        )
        search = apps.get_model("search", "SavedSearch").objects.create(
            reader_id=self.alice.id, query="wind"
        )
        both = old_alert.objects.create(
            reader_id=self.alice.id, story_id=story.id, cadence="instant"
        )
        bare = old_alert.objects.create(reader_id=self.bob.id, story_id=story.id, cadence="daily")
        old_reason.objects.create(alert=both, topic_id=kenya.id, role="primary")
        old_reason.objects.create(alert=both, topic_id=climate.id, role="quoted")
        old_reason.objects.create(alert=both, search_id=search.id, role="search")

        self.migrate(AFTER)
        alert = Alert.objects.get(id=both.id)
        self.assertEqual(
            sorted(alert.reason_keys()),
            [
                ("primary", kenya.id, None),
                ("quoted", climate.id, None),
                ("search", None, search.id),
            ],
        )
        self.assertEqual(
            [str(r) for r in alert.reason_list],
            ["because you follow Kenya, the story's primary topic",
             "because Climate is quoted", "matches your search 'wind'"],
        )  # fmt: skip
        self.assertEqual(Alert.objects.get(id=bare.id).reasons, "")

        SavedSearch.objects.filter(id=search.id).delete()  # its reasons are no reasons now
        self.assertEqual(len(Alert.objects.get(id=both.id).reason_list), 2)
        executor = self.migrate(BEFORE)
        apps = executor.loader.project_state([BEFORE]).apps
        rows = apps.get_model("alerts", "AlertReason").objects.values_list(
            "alert_id", "role", "topic_id", "search_id"
        )
        self.assertEqual(
            sorted(rows, key=str),
            sorted([(both.id, "primary", kenya.id, None), (both.id, "quoted", climate.id, None)],
                   key=str),
        )  # fmt: skip


def executor_latest() -> tuple[str, str]:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes("alerts")
    return leaves[0]
